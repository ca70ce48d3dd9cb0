"""The contrastive_loss assignment: notebook in sync with its builder, visible checks accept
the solution and name the usual mistakes, every case (visible and hidden) matches the stored
values, and the grader's oracles agree with closed forms and with ssl_keras's losses."""

import importlib
import math

import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import contrastive_loss as checks
from ssl_keras_autograder.judge import resolve
from ssl_keras_autograder.judges import contrastive_loss as judge

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

NAME = "contrastive_loss"
TASKS = ["cosine_similarity", "pairwise_cosine_similarity", "nt_xent", "positives_only_loss",
         "alignment_loss", "uniformity_loss"]


@pytest.fixture(scope="module")
def solutions():
    from keras import ops

    return solution_namespace(NAME, TASKS, {"np": np, "ops": ops})


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure():
    check_notebook_structure(NAME, checks)
    assert list(checks.TASKS.values()) == TASKS
    graded = [cell for cell in committed_cells(NAME)
              if cell["metadata"].get("nbgrader", {}).get("grade")]
    points = {cell["id"]: cell["metadata"]["nbgrader"]["points"] for cell in graded}
    assert sum(points[f"{task}_tests"] for task in TASKS) == 16
    assert sum(points.values()) == 16 + 21


def test_case_names_are_unique():
    assert not set(checks.VISIBLE) & set(judge.HIDDEN)


def test_stored_values_are_up_to_date():
    assert references.check([NAME]) == []


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    assert "oracle" not in source and "ssl_keras." not in source.replace("ssl_keras_", "")
    assert not hasattr(checks, "CASES") and not hasattr(checks, "FORBIDDEN")


@pytest.mark.parametrize("task", TASKS)
def test_solution_passes_visible_checks(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    out = capsys.readouterr().out
    assert f"{task}: all visible checks passed" in out and "Hint" not in out


def test_solution_matches_every_case(solutions):
    assert_solution_matches_expected(NAME, solutions, checks)


def _stand_in(task):
    module, _, attribute = judge.STAND_INS[task].partition(":")
    return getattr(importlib.import_module(module), attribute)


def test_stand_ins_are_ssl_keras_functions_that_match_every_case():
    assert set(judge.STAND_INS) == {"cosine_similarity", "pairwise_cosine_similarity", "nt_xent"}
    stand_ins = {task: _stand_in(task) for task in judge.STAND_INS}
    assert_solution_matches_expected(NAME, stand_ins, checks, tasks=list(stand_ins))


def test_forbidden_names_exist_and_stay_per_task():
    assert set(judge.FORBIDDEN) == set(TASKS)
    for task, names in judge.FORBIDDEN.items():
        for name in names:
            assert callable(resolve(name)), (task, name)
    similarities = set(judge.FORBIDDEN["cosine_similarity"])
    assert {"ssl_keras.ops.cosine_similarity", "ssl_keras.ops.pairwise_cosine_similarity",
            "ssl_keras.cosine_similarity", "ssl_keras.pairwise_cosine_similarity",
            "ssl_keras.ops.similarity.cosine_similarity",
            "keras.losses.CosineSimilarity", "keras.metrics.CosineSimilarity"} <= similarities
    assert similarities - set(judge.FORBIDDEN["pairwise_cosine_similarity"]) == {
        "ssl_keras.cosine_similarity", "ssl_keras.ops.cosine_similarity",
        "ssl_keras.ops.similarity.cosine_similarity"}
    assert {"ssl_keras.nt_xent", "ssl_keras.losses.NTXent", "ssl_keras.losses.nt_xent.nt_xent",
            "ssl_keras.losses.chunked_nt_xent", "ssl_keras.losses.info_nce",
            "ssl_keras.distributed.gathered_nt_xent"} <= set(judge.FORBIDDEN["nt_xent"])
    for task in ("positives_only_loss", "alignment_loss"):
        assert {"ssl_keras.losses.positives_only_loss", "ssl_keras.losses.PositivesOnlyLoss",
                "ssl_keras.losses.alignment_uniformity"} <= set(judge.FORBIDDEN[task])
    assert "ssl_keras.losses.AlignmentUniformity" in judge.FORBIDDEN["uniformity_loss"]
    # Helpers stay allowed, and no task forbids what stands in for an earlier task.
    for task, names in judge.FORBIDDEN.items():
        assert not any("l2_normalize" in name for name in names), task
        earlier = TASKS[:TASKS.index(task)]
        for stand_in_task in set(earlier) & set(judge.STAND_INS):
            module, _, attribute = judge.STAND_INS[stand_in_task].partition(":")
            assert f"{module}.{attribute}" not in names, (task, stand_in_task)
    # The reference solution uses none of the package (keras.ops is allowed).
    solution_text = "".join(
        "".join(cell["source"]) for cell in committed_cells(NAME)
        if cell["metadata"].get("nbgrader", {}).get("solution")
        and cell["cell_type"] == "code")
    assert "ssl_keras" not in solution_text


# --- the oracles: closed forms, and agreement with ssl_keras's own implementations.


def test_oracles_agree_with_closed_forms():
    same = np.ones((5, 3))
    assert math.isclose(judge.oracle_nt_xent(same, same, 0.3), math.log(9), rel_tol=1e-9)
    eye = np.eye(4, 6)
    assert math.isclose(judge.oracle_nt_xent(eye, eye, 0.2), math.log(1 + 6 * math.exp(-5)),
                        rel_tol=1e-9)
    z_a, z_b = np.random.default_rng(0).normal(size=(2, 6, 4))
    for tau in (0.1, 1.0):
        assert math.isclose(tau * judge.oracle_nt_xent(z_a, z_b, tau),
                            judge.oracle_alignment_loss(z_a, z_b)
                            + judge.oracle_uniformity_loss(z_a, z_b, tau), rel_tol=1e-9)
    assert math.isclose(judge.oracle_alignment_loss(z_a, z_b),
                        judge.oracle_positives_only_loss(z_a, z_b), rel_tol=1e-12)
    np.testing.assert_allclose(judge.oracle_cosine_similarity(z_a, -2 * z_a), -np.ones(6))
    np.testing.assert_allclose(judge.oracle_cosine_similarity(np.zeros((1, 4)), z_a[:1]), [0])
    np.testing.assert_allclose(np.diag(judge.oracle_pairwise_cosine_similarity(z_a, z_b)),
                               judge.oracle_cosine_similarity(z_a, z_b))
    assert math.isclose(judge.oracle_uniformity_loss(same, same, 0.5), 0.5 * math.log(9) + 1,
                        rel_tol=1e-9)


def _package_implementations():
    from ssl_keras.losses import alignment_uniformity, nt_xent, positives_only_loss
    from ssl_keras.ops import cosine_similarity, pairwise_cosine_similarity

    return {
        "cosine_similarity": cosine_similarity,
        "pairwise_cosine_similarity": pairwise_cosine_similarity,
        "nt_xent": nt_xent,
        "positives_only_loss": positives_only_loss,
        "alignment_loss": lambda z_a, z_b: alignment_uniformity(z_a, z_b, 1.0)[0],
        "uniformity_loss": lambda z_a, z_b, t: alignment_uniformity(z_a, z_b, t)[1],
    }


def test_oracles_agree_with_ssl_keras_on_every_case():
    package = _package_implementations()
    for name, case in {**checks.VISIBLE, **judge.HIDDEN}.items():
        ours = np.asarray(judge.REFERENCES[case.task](*case.inputs()), "float64")
        theirs = np.asarray(
            __import__("keras").ops.convert_to_numpy(package[case.task](*case.inputs())),
            "float64")
        np.testing.assert_allclose(ours, theirs, rtol=case.rtol, atol=case.atol, err_msg=name)


# --- wrong implementations: each fails its visible check, naming the mistake, and the grader.


def _unit(x):
    x = np.asarray(x, "float64")
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


def cosine_nan_on_zero(z1, z2):
    z1, z2 = np.asarray(z1), np.asarray(z2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(z1 * z2, -1) / (np.linalg.norm(z1, axis=-1) * np.linalg.norm(z2, axis=-1))


def cosine_with_loop(z1, z2):
    return np.array([float(_unit(a) @ _unit(b)) for a, b in zip(z1, z2)])


def pairwise_rowwise(a, b):
    return np.sum(_unit(a)[:, None] * _unit(b)[None], axis=-1).sum(axis=1)


def nt_xent_wrong_positive(z_a, z_b, temperature=0.5):
    return judge.oracle_nt_xent(z_a, np.roll(np.asarray(z_b), 1, axis=0), temperature)


def _as_length_one(function):
    def wrapped(*args):
        return np.reshape(function(*args), (1,))

    return wrapped


V = judge.VARIANTS

# (task, wrong implementation, the words the visible check must say)
WRONG = [
    ("cosine_similarity", V["cosine_similarity"]["dot_product"], "plain dot products"),
    ("cosine_similarity", V["cosine_similarity"]["all_pairs"], "matrix of all pairs"),
    ("cosine_similarity", cosine_nan_on_zero, "zero row.*NaN"),
    ("pairwise_cosine_similarity", V["pairwise_cosine_similarity"]["swapped"], "swapped"),
    ("pairwise_cosine_similarity", V["pairwise_cosine_similarity"]["dot_product"],
     "plain dot products"),
    ("pairwise_cosine_similarity", pairwise_rowwise, r"shape \(3,\)"),
    ("nt_xent", V["nt_xent"]["sum"], "summed"),
    ("nt_xent", V["nt_xent"]["twice"], "twice"),
    ("nt_xent", V["nt_xent"]["one_direction"], "first view"),
    ("nt_xent", V["nt_xent"]["self_in_denominator"], "k = i"),
    ("nt_xent", V["nt_xent"]["no_temperature"], "temperature"),
    ("nt_xent", V["nt_xent"]["dot_product"], "cosine"),
    ("nt_xent", V["nt_xent"]["positive_left_out"], "leaves out the positive"),
    ("nt_xent", V["nt_xent"]["per_anchor"], "per-anchor losses"),
    ("nt_xent", _as_length_one(judge.oracle_nt_xent), r"shape \(1,\).*a scalar"),
    ("nt_xent", nt_xent_wrong_positive, "expected value is"),
    ("positives_only_loss", V["positives_only_loss"]["wrong_sign"], "sign"),
    ("positives_only_loss", V["positives_only_loss"]["summed"], "summed"),
    ("positives_only_loss", V["positives_only_loss"]["dot_product"], "dot products"),
    ("positives_only_loss", lambda z_a, z_b: 1.0 + judge.oracle_positives_only_loss(z_a, z_b),
     "expected value is"),
    ("positives_only_loss", _as_length_one(judge.oracle_positives_only_loss),
     r"shape \(1,\).*a scalar"),
    ("alignment_loss", V["alignment_loss"]["wrong_sign"], "sign"),
    ("alignment_loss", V["alignment_loss"]["twice"], "2N"),
    ("alignment_loss", V["alignment_loss"]["summed"], "summed"),
    ("alignment_loss", lambda z_a, z_b: judge.oracle_alignment_loss(z_a, z_b[::-1]),
     "expected value is"),
    ("alignment_loss", _as_length_one(judge.oracle_alignment_loss), r"shape \(1,\).*a scalar"),
    ("uniformity_loss", V["uniformity_loss"]["no_tau_factor"], "multiply by tau"),
    ("uniformity_loss", V["uniformity_loss"]["self_included"], "k = i"),
    ("uniformity_loss", V["uniformity_loss"]["twice"], "2N"),
    ("uniformity_loss", lambda z_a, z_b, t: judge.oracle_uniformity_loss(z_a, z_b, 1.0),
     "expected value is"),
    ("uniformity_loss", _as_length_one(judge.oracle_uniformity_loss), r"shape \(1,\).*a scalar"),
]


@pytest.mark.parametrize("task, wrong, message", WRONG)
def test_visible_checks_name_the_mistake(task, wrong, message):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"check_{task}")(wrong)


@pytest.mark.parametrize("task, wrong, message", WRONG)
def test_grader_rejects_wrong_implementations(task, wrong, message):
    assert judged_problems(NAME, wrong, task, checks)


def test_every_variant_is_named_by_a_visible_case():
    named = {(case.task, variant) for case in checks.VISIBLE.values()
             for variant, _ in case.mistakes}
    assert named == {(task, variant) for task, variants in judge.VARIANTS.items()
                     for variant in variants}


def test_cosine_similarity_loop_gets_a_hint_not_a_failure(capsys):
    checks.check_cosine_similarity(cosine_with_loop)
    out = capsys.readouterr().out
    assert "Hint" in out and "list comprehension" in out and "passed" in out


def test_not_implemented_is_reported():
    def not_done(z1, z2):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented"):
        checks.check_cosine_similarity(not_done)


# --- the decomposition: a printed note, never a failure.


def test_solution_satisfies_the_decomposition(solutions, capsys):
    checks.check_decomposition(solutions["nt_xent"], solutions["alignment_loss"],
                               solutions["uniformity_loss"])
    assert "holds" in capsys.readouterr().out


def test_decomposition_only_notes_inconsistent_functions(capsys):
    checks.check_decomposition(
        lambda z_a, z_b, t: judge.oracle_nt_xent(z_a, z_b, t),
        lambda z_a, z_b: judge.oracle_alignment_loss(z_a, z_b),
        lambda z_a, z_b, t: judge.oracle_uniformity_loss(z_a, z_b, t, exclude_self=False),
    )
    out = capsys.readouterr().out
    assert "Note" in out and "decomposition" in out and "holds" not in out


def test_decomposition_never_raises(capsys):
    def not_done(*args):
        raise NotImplementedError()

    checks.check_decomposition(not_done, not_done, not_done)
    checks.check_decomposition(lambda *a: np.ones(3), lambda *a: "x", None)
    assert capsys.readouterr().out.count("Note") == 2


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    notebook = execute_fast(NAME, monkeypatch)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.get("output_type") == "error"]
    assert not errors
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert outputs.count("all visible checks passed") == len(TASKS)
    assert "tau * L = L_a + L_d holds" in outputs
