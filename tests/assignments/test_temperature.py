"""The temperature assignment: notebook in sync with its builder, the visible check accepts
the solution and rejects the usual mistakes, hidden cases agree with ssl_keras's softmax."""

import numpy as np
import pytest
from ssl_keras_autograder.checks import temperature as checks

from tests.assignments.run_notebook import execute_fast
from tests.assignments.source_notebooks import (
    assert_matches_references,
    built_cells,
    check_notebook_structure,
    committed_cells,
    comparable,
    recorded_values,
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


def test_solution_passes_visible_check_and_hidden_references(solution, capsys):
    checks.check_softmax_with_temperature(solution)
    checks.record_softmax_with_temperature(solution)
    assert_matches_references(checks.CASES, recorded_values(capsys), TASK)


def test_oracle_against_closed_forms():
    # Two logits: softmax is the logistic function of their difference over tau.
    p = checks.oracle_softmax([1.0, 0.0], 0.5)
    np.testing.assert_allclose(p[0], 1 / (1 + np.exp(-2.0)), rtol=1e-12)
    np.testing.assert_allclose(checks.oracle_softmax([3.0, 3.0, 3.0], 0.01), [1 / 3] * 3)
    assert np.all(np.isfinite(checks.oracle_softmax([1000.0, 0.0], 0.001)))


def softmax_no_temperature(logits, temperature=1.0):
    e = np.exp(np.asarray(logits, "float64"))
    return e / e.sum(-1, keepdims=True)


def softmax_times_temperature(logits, temperature=1.0):
    e = np.exp(np.asarray(logits, "float64") * temperature)
    return e / e.sum(-1, keepdims=True)


def softmax_naive_float32(logits, temperature=1.0):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.asarray(logits, "float32") / np.float32(temperature))
        return e / e.sum(-1, keepdims=True)


def softmax_columns(logits, temperature=1.0):
    x = np.asarray(logits, "float64") / temperature
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_not_normalised(logits, temperature=1.0):
    return np.exp(np.asarray(logits, "float64") / temperature)


def softmax_scalar(logits, temperature=1.0):
    x = np.asarray(logits, "float64") / temperature
    return np.exp(x.max()) / np.exp(x).sum()


@pytest.mark.parametrize("wrong, message", [
    (softmax_no_temperature, "divide the logits by the temperature"),
    (softmax_times_temperature, "multiplied by tau"),
    (softmax_naive_float32, "overflows"),
    (softmax_columns, "last axis"),
    (softmax_not_normalised, "sum to"),
    (softmax_scalar, "shape"),
])
def test_visible_check_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_softmax_with_temperature(wrong)


def test_naive_softmax_fails_the_hidden_small_temperature_case(capsys):
    checks.record_softmax_with_temperature(softmax_naive_float32)
    with pytest.raises(AssertionError, match="contrastive_tau_0.01"):
        assert_matches_references(checks.CASES, recorded_values(capsys), TASK)


def test_library_softmaxes_are_forbidden():
    forbidden = set(checks.FORBIDDEN["softmax_tests"])
    assert {"keras.ops.softmax", "ssl_keras.ops", "ssl_keras.softmax_with_temperature",
            "keras.activations.softmax"} <= forbidden
    solution_text = "".join(
        "".join(cell["source"]) for cell in committed_cells(NAME)
        if cell["metadata"].get("nbgrader", {}).get("solution") and cell["cell_type"] == "code")
    for name in ("ops.softmax", "activations.softmax", "ssl_keras", "special.softmax"):
        assert name not in solution_text


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(tmp_path, monkeypatch):
    notebook = execute_fast(NAME, tmp_path, monkeypatch)
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert "all visible checks passed" in outputs
