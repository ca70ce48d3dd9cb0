"""The temperature assignment: notebook in sync with its builder, the visible check accepts
the solution and names the usual mistakes, every case (visible and hidden) matches the
stored values, and the grader's oracle agrees with closed forms and ssl_keras's softmax."""


import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import temperature as checks
from ssl_keras_autograder.judge import resolve
from ssl_keras_autograder.judges import temperature as judge

from tests.assignments.source_notebooks import (
    assert_solution_matches_expected,
    built_cells,
    check_notebook_structure,
    committed_cells,
    comparable,
    execute_fast,
    judged_problems,
    solution_namespace,
)

NAME = "temperature"
TASK = "softmax_with_temperature"


@pytest.fixture(scope="module")
def solution():
    from keras import ops

    return solution_namespace(NAME, ["softmax"], {"np": np, "ops": ops})[TASK]


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure_and_points():
    check_notebook_structure(NAME, checks)
    graded = [cell for cell in committed_cells(NAME)
              if cell["metadata"].get("nbgrader", {}).get("grade")]
    assert sum(cell["metadata"]["nbgrader"]["points"] for cell in graded) == 3  # as the sheet


def test_case_names_are_unique():
    assert not set(checks.VISIBLE) & set(judge.HIDDEN)


def test_stored_values_are_up_to_date():
    assert references.check([NAME]) == []


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    assert "oracle" not in source and "ssl_keras." not in source.replace("ssl_keras_", "")
    assert not hasattr(checks, "CASES") and not hasattr(checks, "FORBIDDEN")


def test_solution_passes_visible_check(solution, capsys):
    checks.check_softmax_with_temperature(solution)
    assert f"{TASK}: all visible checks passed" in capsys.readouterr().out


def test_solution_matches_every_case(solution):
    assert_solution_matches_expected(NAME, {TASK: solution}, checks)


def test_oracle_against_closed_forms():
    # Two logits: softmax is the logistic function of their difference over tau.
    p = judge.oracle_softmax([1.0, 0.0], 0.5)
    np.testing.assert_allclose(p[0], 1 / (1 + np.exp(-2.0)), rtol=1e-12)
    np.testing.assert_allclose(judge.oracle_softmax([3.0, 3.0, 3.0], 0.01), [1 / 3] * 3)
    assert np.all(np.isfinite(judge.oracle_softmax([1000.0, 0.0], 0.001)))


def test_oracle_agrees_with_ssl_keras_on_every_case():
    import keras

    from ssl_keras.ops import softmax_with_temperature

    for name, case in {**checks.VISIBLE, **judge.HIDDEN}.items():
        ours = judge.oracle_softmax(*case.inputs())
        theirs = keras.ops.convert_to_numpy(softmax_with_temperature(*case.inputs()))
        np.testing.assert_allclose(ours, theirs, rtol=case.rtol, atol=case.atol, err_msg=name)


def softmax_naive_float32(logits, temperature=1.0):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.asarray(logits, "float32") / np.float32(temperature))
        return e / e.sum(-1, keepdims=True)


def softmax_scalar(logits, temperature=1.0):
    x = np.asarray(logits, "float64") / temperature
    return np.exp(x.max()) / np.exp(x).sum()


def softmax_half_normalised(logits, temperature=1.0):
    return 0.5 * judge.oracle_softmax(logits, temperature)


V = judge.VARIANTS[TASK]

WRONG = [
    (V["no_temperature"], "divide the logits by the temperature"),
    (V["times_temperature"], "multiplied by tau"),
    (V["not_normalised"], "sum to 1"),
    (V["columns"], "last axis"),
    (softmax_naive_float32, "overflows.*NaN or infinity"),
    (softmax_scalar, "shape"),
    (softmax_half_normalised, "differs from the expected values"),
]


@pytest.mark.parametrize("wrong, message", WRONG)
def test_visible_check_names_the_mistake(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_softmax_with_temperature(wrong)


@pytest.mark.parametrize("wrong, message", WRONG)
def test_grader_rejects_wrong_implementations(wrong, message):
    assert judged_problems(NAME, wrong, TASK, checks)


def test_naive_softmax_fails_the_hidden_small_temperature_cases():
    problems = judged_problems(NAME, softmax_naive_float32, TASK, checks)
    assert any("NaN or infinity" in problem for problem in problems)


def test_every_variant_is_named_by_a_visible_case():
    named = {variant for case in checks.VISIBLE.values() for variant, _ in case.mistakes}
    assert named == set(V)


def test_library_softmaxes_are_forbidden():
    forbidden = judge.FORBIDDEN[TASK]
    assert set(judge.FORBIDDEN) == {TASK} and not judge.STAND_INS
    assert {"keras.ops.softmax", "ssl_keras.ops.softmax_with_temperature",
            "ssl_keras.softmax_with_temperature", "keras.activations.softmax",
            "scipy.special.softmax"} <= set(forbidden)
    for name in forbidden:
        assert callable(resolve(name)), name
    solution_text = "".join(
        "".join(cell["source"]) for cell in committed_cells(NAME)
        if cell["metadata"].get("nbgrader", {}).get("solution") and cell["cell_type"] == "code")
    for name in ("ops.softmax", "activations.softmax", "ssl_keras", "special.softmax"):
        assert name not in solution_text


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    notebook = execute_fast(NAME, monkeypatch)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.get("output_type") == "error"]
    assert not errors
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert "all visible checks passed" in outputs
