"""The contrastive_loss assignment: notebook in sync with its builder, visible checks accept
the solution and reject the usual mistakes, hidden cases agree with ssl_keras's losses."""

import math

import numpy as np
import pytest
from ssl_keras_autograder.checks import contrastive_loss as checks

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
    graded = [cell for cell in committed_cells(NAME)
              if cell["metadata"].get("nbgrader", {}).get("grade")]
    points = {cell["id"]: cell["metadata"]["nbgrader"]["points"] for cell in graded}
    assert sum(points[f"{task}_tests"] for task in TASKS) == 16
    assert sum(points.values()) == 16 + 21


@pytest.mark.parametrize("task", TASKS)
def test_solution_passes_visible_checks_and_hidden_references(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    getattr(checks, f"record_{task}")(solutions[task])
    out = recorded_values(capsys)
    assert_matches_references(checks.CASES, out, task)


def test_solution_satisfies_the_decomposition(solutions, capsys):
    checks.check_decomposition(solutions["nt_xent"], solutions["alignment_loss"],
                               solutions["uniformity_loss"])
    assert "holds" in capsys.readouterr().out


def test_oracles_agree_with_closed_forms():
    # The oracles themselves, against values that need no implementation.
    same = np.ones((5, 3))
    assert math.isclose(checks.oracle_nt_xent(same, same, 0.3), math.log(9), rel_tol=1e-9)
    eye = np.eye(4, 6)
    assert math.isclose(checks.oracle_nt_xent(eye, eye, 0.2), math.log(1 + 6 * math.exp(-5)),
                        rel_tol=1e-9)
    z_a, z_b = np.random.default_rng(0).normal(size=(2, 6, 4))
    for tau in (0.1, 1.0):
        assert math.isclose(tau * checks.oracle_nt_xent(z_a, z_b, tau),
                            checks.oracle_alignment_loss(z_a, z_b)
                            + checks.oracle_uniformity_loss(z_a, z_b, tau), rel_tol=1e-9)


# --- wrong implementations (NumPy), each must fail with a message that names the mistake.


def _unit(x):
    x = np.asarray(x, "float64")
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


def cosine_dot_product(z1, z2):
    return np.sum(np.asarray(z1) * z2, axis=-1)


def cosine_pairwise_instead(z1, z2):
    return _unit(z1) @ _unit(z2).T


def cosine_nan_on_zero(z1, z2):
    z1, z2 = np.asarray(z1), np.asarray(z2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(z1 * z2, -1) / (np.linalg.norm(z1, axis=-1) * np.linalg.norm(z2, axis=-1))


def cosine_with_loop(z1, z2):
    return np.array([float(_unit(a) @ _unit(b)) for a, b in zip(z1, z2)])


@pytest.mark.parametrize("wrong, message", [
    (cosine_dot_product, "dot products"),
    (cosine_pairwise_instead, "shape"),
    (cosine_nan_on_zero, "NaN"),
])
def test_cosine_similarity_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_cosine_similarity(wrong)


def test_cosine_similarity_loop_gets_a_hint_not_a_failure(capsys):
    checks.check_cosine_similarity(cosine_with_loop)
    out = capsys.readouterr().out
    assert "Hint" in out and "list comprehension" in out and "passed" in out


def test_not_implemented_is_reported():
    def not_done(z1, z2):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented"):
        checks.check_cosine_similarity(not_done)


def pairwise_swapped(a, b):
    return _unit(b) @ _unit(a).T


def pairwise_unnormalised(a, b):
    return np.asarray(a) @ np.asarray(b).T


def pairwise_rowwise(a, b):
    return np.sum(_unit(a)[:, None] * _unit(b)[None], axis=-1).sum(axis=1)


@pytest.mark.parametrize("wrong, message", [
    (pairwise_swapped, "shape|swapped"),
    (pairwise_unnormalised, "dot products"),
    (pairwise_rowwise, "shape"),
])
def test_pairwise_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_pairwise_cosine_similarity(wrong)


def _nt_xent_variant(**variant):
    def loss(z_a, z_b, temperature=0.5):
        return checks.oracle_nt_xent(z_a, z_b, temperature, **variant)

    return loss


def nt_xent_per_anchor(z_a, z_b, temperature=0.5):
    z = _unit(np.concatenate([z_a, z_b]))
    logits = z @ z.T / temperature
    np.fill_diagonal(logits, -np.inf)
    n = len(z_a)
    positive = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
    return np.log(np.exp(logits).sum(1)) - logits[np.arange(2 * n), positive]


def nt_xent_summed_directions(z_a, z_b, temperature=0.5):
    return 2 * checks.oracle_nt_xent(z_a, z_b, temperature)


def nt_xent_wrong_positive(z_a, z_b, temperature=0.5):
    return checks.oracle_nt_xent(z_a, np.roll(np.asarray(z_b), 1, axis=0), temperature)


@pytest.mark.parametrize("wrong, message", [
    (_nt_xent_variant(reduction="sum"), "summed"),
    (nt_xent_summed_directions, "twice"),
    (_nt_xent_variant(directions=1), "first view"),
    (_nt_xent_variant(exclude_self=False), "k = i"),
    (_nt_xent_variant(use_temperature=False), "temperature"),
    (_nt_xent_variant(normalize=False), "cosine"),
    (_nt_xent_variant(positive_in_denominator=False), "leaves out the positive"),
    (nt_xent_per_anchor, "scalar"),
    (nt_xent_wrong_positive, "expected"),
])
def test_nt_xent_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_nt_xent(wrong)


@pytest.mark.parametrize("wrong, message", [
    (lambda z_a, z_b: -checks.oracle_alignment_loss(z_a, z_b), "sign"),
    (lambda z_a, z_b: 5 * checks.oracle_alignment_loss(z_a, z_b), "summed"),
    (lambda z_a, z_b: -np.mean(np.sum(np.asarray(z_a) * z_b, -1)), "dot products"),
    (lambda z_a, z_b: 1.0 + checks.oracle_alignment_loss(z_a, z_b), "expected"),
])
def test_positives_only_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_positives_only_loss(wrong)


@pytest.mark.parametrize("wrong, message", [
    (lambda z_a, z_b: -checks.oracle_alignment_loss(z_a, z_b), "sign"),
    (lambda z_a, z_b: 2 * checks.oracle_alignment_loss(z_a, z_b), "2N"),
    (lambda z_a, z_b: checks.oracle_alignment_loss(z_a, z_b[::-1]), "expected"),
])
def test_alignment_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_alignment_loss(wrong)


@pytest.mark.parametrize("wrong, message", [
    (lambda z_a, z_b, t: checks.oracle_uniformity_loss(z_a, z_b, t) / t, "multiply by tau"),
    (lambda z_a, z_b, t: checks.oracle_uniformity_loss(z_a, z_b, t, exclude_self=False),
     "k = i"),
    (lambda z_a, z_b, t: 2 * checks.oracle_uniformity_loss(z_a, z_b, t), "2N"),
    (lambda z_a, z_b, t: checks.oracle_uniformity_loss(z_a, z_b, 1.0), "expected"),
])
def test_uniformity_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_uniformity_loss(wrong)


def test_decomposition_rejects_inconsistent_functions():
    with pytest.raises(AssertionError, match="decomposition"):
        checks.check_decomposition(
            lambda z_a, z_b, t: checks.oracle_nt_xent(z_a, z_b, t),
            lambda z_a, z_b: checks.oracle_alignment_loss(z_a, z_b),
            lambda z_a, z_b, t: checks.oracle_uniformity_loss(z_a, z_b, t, exclude_self=False),
        )


def test_wrong_function_does_not_match_hidden_references(capsys):
    checks.record_nt_xent(_nt_xent_variant(exclude_self=False))
    with pytest.raises(AssertionError):
        assert_matches_references(checks.CASES, recorded_values(capsys), "nt_xent")


def test_forbidden_names_cover_the_package_implementations():
    for cell in ("nt_xent_tests", "uniformity_loss_tests", "positives_only_loss_tests"):
        assert "ssl_keras.losses" in checks.FORBIDDEN[cell]
        assert "ssl_keras.nt_xent" in checks.FORBIDDEN[cell]
    for cell in ("cosine_similarity_tests", "pairwise_cosine_similarity_tests"):
        assert {"ssl_keras.ops", "ssl_keras.cosine_similarity",
                "ssl_keras.pairwise_cosine_similarity"} <= set(checks.FORBIDDEN[cell])
    # The reference solution uses none of them (keras.ops is allowed).
    solution_text = "".join(
        "".join(cell["source"]) for cell in committed_cells(NAME)
        if cell["metadata"].get("nbgrader", {}).get("solution")
        and cell["cell_type"] == "code")
    assert "ssl_keras" not in solution_text


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(tmp_path, monkeypatch):
    notebook = execute_fast(NAME, tmp_path, monkeypatch)
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert "all visible checks passed" in outputs
