"""Visible checks of the contrastive_loss assignment: cosine similarities, NT-Xent and its parts.

Each `check_<task>` runs the task's visible cases below and compares the values with the
expected values stored in `expected/contrastive_loss.json` (`_core.check`); when a wrong
value equals one of the usual mistakes (summing instead of averaging, keeping the
self-similarity, forgetting the temperature, ...), the message names it. No reference
implementation lives here: the expected values are computed by the grader.
"""

from __future__ import annotations

import ast
import inspect
import math
import sys
import textwrap

import numpy as np

from . import _core
from ._core import Case, normal, to_array

NAME = "contrastive_loss"

TASKS = {
    "cosine_similarity_tests": "cosine_similarity",
    "pairwise_cosine_similarity_tests": "pairwise_cosine_similarity",
    "nt_xent_tests": "nt_xent",
    "positives_only_loss_tests": "positives_only_loss",
    "alignment_loss_tests": "alignment_loss",
    "uniformity_loss_tests": "uniformity_loss",
}


# ---------------------------------------------------------------------------------------
# Inputs of the visible cases.


def _random_pair():
    return normal(0, (4, 8), (4, 8))


def _with_zero_row(inputs, row):
    a, b = inputs
    a = a.copy()
    a[row] = 0.0
    return [a, b]


def _orthogonal():
    eye = np.eye(3, dtype="float32")
    return [eye, np.roll(eye, 1, axis=0)]


def _rectangular():
    return normal(1, (3, 5), (4, 5))


def _identical_nt_xent(tau):
    eye = np.eye(3, 5, dtype="float32")
    return lambda: [eye, 2.0 * eye, tau]


def _collapsed():
    z = np.tile(np.float32([[1.0, 2.0, -1.0]]), (4, 1))
    return [z, 3.0 * z]


_COSINE_MISTAKES = (
    ("all_pairs", "the matrix of all pairs: this function compares row i of Z1 with row i "
     "of Z2 only, one similarity per row"),
    ("dot_product", "plain dot products: divide by the lengths (L2 norms) of both vectors"),
)
_PAIRWISE_MISTAKES = (
    ("swapped", "rows and columns are swapped: entry [i, j] should be sim(A[i], B[j]), "
     "a matrix of shape (len(A), len(B))"),
    ("dot_product", "plain dot products: normalise the rows to length 1 first"),
)
_NT_XENT_MISTAKES = (
    ("per_anchor", "the 2N per-anchor losses, not their mean: the loss is a single number "
     "(average over the anchors)"),
    ("twice", "exactly twice the expected value: the two directions are summed, not "
     "averaged (divide by 2N, not by N)"),
    ("sum", "you summed the 2N per-anchor losses; the loss is their mean (divide by 2N)"),
    ("one_direction", "only the N anchors of the first view are counted; the loss averages "
     "over all 2N anchors, both (i, j) and (j, i)"),
    ("self_in_denominator", "the denominator includes k = i (the anchor's similarity with "
     "itself); the indicator 1[k != i] removes it"),
    ("positive_left_out", "the denominator leaves out the positive; it should sum over "
     "every k != i, the positive included"),
    ("no_temperature", "the similarities are not divided by the temperature tau"),
    ("dot_product", "plain dot products are used; NT-Xent uses cosine similarities "
     "(normalise the embeddings)"),
)
_POSITIVES_ONLY_MISTAKES = (
    ("wrong_sign", "the sign is wrong: minimising the loss should *increase* the "
     "similarity of the positives"),
    ("summed", "you summed over the pairs; take the mean"),
    ("dot_product", "plain dot products are used; use the cosine similarity (otherwise "
     "the loss is unbounded)"),
)
_ALIGNMENT_MISTAKES = (
    ("wrong_sign", "the sign is wrong (L_a = -mean similarity of the positives)"),
    ("twice", "the sum over the 2N anchors is divided by N: each positive pair is counted "
     "once per direction and the sum is divided by 2N (the number of anchors), i.e. the "
     "mean over pairs"),
    ("summed", "you summed over the 2N anchors: divide by 2N (the number of anchors), "
     "i.e. take the mean over pairs"),
)
_UNIFORMITY_MISTAKES = (
    ("no_tau_factor", "the factor tau is missing: multiply by tau (L_d carries the factor "
     "tau)"),
    ("self_included", "the sum includes k = i; leave the anchor itself out"),
    ("twice", "twice the expected value: average over the 2N anchors (divide by 2N)"),
)

VISIBLE: dict[str, Case] = {
    # Task 1a: cosine_similarity, shape (batch,).
    "cosine_random": Case(
        "cosine_similarity", _random_pair,
        description="cosine_similarity(Z1, Z2) of random (4, 8) batches (one similarity "
                    "per row, shape (4,))",
        mistakes=_COSINE_MISTAKES),
    "cosine_self": Case(
        "cosine_similarity", lambda: [_random_pair()[0]] * 2,
        description="cosine_similarity(Z, Z) (a vector with itself has similarity 1)"),
    "cosine_opposite": Case(
        "cosine_similarity", lambda: [_random_pair()[0], -3.0 * _random_pair()[0]],
        description="cosine_similarity(Z, -3 Z) (opposite vectors give -1)"),
    "cosine_orthogonal": Case(
        "cosine_similarity", _orthogonal,
        description="cosine_similarity of orthogonal vectors (should be 0)"),
    "cosine_zero_row": Case(
        "cosine_similarity", lambda: _with_zero_row(_random_pair(), 2),
        description="cosine_similarity with a zero row (should give 0 there, not NaN: "
                    "clamp the norm, e.g. at 1e-6)"),
    # Task 1b: pairwise_cosine_similarity, shape (n_a, n_b).
    "pairwise_rectangular": Case(
        "pairwise_cosine_similarity", _rectangular,
        description="pairwise_cosine_similarity(A, B) with A of shape (3, 5) and B of "
                    "shape (4, 5) (shape (3, 4), entry [i, j] = sim(A[i], B[j]))",
        mistakes=_PAIRWISE_MISTAKES),
    "pairwise_square": Case(
        "pairwise_cosine_similarity", lambda: normal(8, (4, 5), (4, 5)),
        description="pairwise_cosine_similarity(A, B) of two random (4, 5) batches",
        mistakes=_PAIRWISE_MISTAKES),
    "pairwise_self": Case(
        "pairwise_cosine_similarity", lambda: [_rectangular()[0]] * 2,
        description="pairwise_cosine_similarity(A, A) (its diagonal is 1: every vector "
                    "has similarity 1 with itself)"),
    "pairwise_zero_row": Case(
        "pairwise_cosine_similarity", lambda: _with_zero_row(_rectangular(), 0),
        description="pairwise_cosine_similarity with a zero row (should give 0 there, "
                    "not NaN)"),
    # Task 2: nt_xent, a scalar.
    "nt_xent_random": Case(
        "nt_xent", lambda: [*normal(2, (4, 6), (4, 6)), 0.5],
        description="nt_xent of random (4, 6) views at tau = 0.5 (a scalar)",
        mistakes=_NT_XENT_MISTAKES),
    "nt_xent_collapsed": Case(
        "nt_xent", lambda: [np.ones((4, 3), "float32"), np.ones((4, 3), "float32"), 0.5],
        description="nt_xent with all 8 embeddings identical (every candidate is as "
                    "similar as the positive, so the loss is log(2N - 1) = log(7))",
        mistakes=_NT_XENT_MISTAKES),
    "nt_xent_orthonormal_cold": Case(
        "nt_xent", _identical_nt_xent(0.1),
        description="nt_xent of identical views of 3 orthonormal images at tau = 0.1 "
                    "(log(1 + (2N - 2) exp(-1/tau)))",
        mistakes=_NT_XENT_MISTAKES),
    "nt_xent_orthonormal": Case(
        "nt_xent", _identical_nt_xent(1.0),
        description="nt_xent of identical views of 3 orthonormal images at tau = 1 "
                    "(log(1 + (2N - 2) exp(-1/tau)))",
        mistakes=_NT_XENT_MISTAKES),
    "nt_xent_cold": Case(
        "nt_xent", lambda: [*normal(3, (6, 4), (6, 4)), 0.1],
        description="nt_xent of random (6, 4) views at tau = 0.1",
        mistakes=_NT_XENT_MISTAKES),
    "nt_xent_hot": Case(
        "nt_xent", lambda: [*normal(3, (6, 4), (6, 4)), 2.0],
        description="nt_xent of random (6, 4) views at tau = 2",
        mistakes=_NT_XENT_MISTAKES),
    "nt_xent_swapped_views": Case(
        "nt_xent", lambda: [*normal(3, (6, 4), (6, 4))[::-1], 0.5],
        description="nt_xent(z_b, z_a) (the loss is symmetric in the two views when both "
                    "directions are averaged)",
        mistakes=_NT_XENT_MISTAKES),
    # Task 3b: positives_only_loss, a scalar.
    "positives_only_random": Case(
        "positives_only_loss", lambda: normal(4, (5, 8), (5, 8)),
        description="positives_only_loss of random (5, 8) views (a scalar)",
        mistakes=_POSITIVES_ONLY_MISTAKES),
    "positives_only_collapsed": Case(
        "positives_only_loss", _collapsed,
        description="positives_only_loss of collapsed embeddings (all equal: the "
                    "minimum, -1)",
        mistakes=_POSITIVES_ONLY_MISTAKES),
    # Task 4b: alignment_loss, a scalar.
    "alignment_random": Case(
        "alignment_loss", lambda: normal(5, (6, 4), (6, 4)),
        description="alignment_loss of random (6, 4) views (a scalar)",
        mistakes=_ALIGNMENT_MISTAKES),
    # Task 4c: uniformity_loss; tau = 0.1 first: at tau = 0.5, "/ tau" and "x 2" look alike.
    "uniformity_cold": Case(
        "uniformity_loss", lambda: [*normal(6, (5, 4), (5, 4)), 0.1],
        description="uniformity_loss of random (5, 4) views at tau = 0.1 (a scalar)",
        mistakes=_UNIFORMITY_MISTAKES),
    "uniformity_warm": Case(
        "uniformity_loss", lambda: [*normal(6, (5, 4), (5, 4)), 0.5],
        description="uniformity_loss of random (5, 4) views at tau = 0.5",
        mistakes=_UNIFORMITY_MISTAKES),
}


# ---------------------------------------------------------------------------------------
# Hints that never fail a cell.


def python_loops(function) -> list[str]:
    """The Python loops (`for`, `while`, comprehensions) in `function`'s source code.

    Returns an empty list when the source is not available (e.g. a lambda defined in a
    string); the check is only a hint for the student and never fails a cell.
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return []
    kinds = {ast.For: "a `for` loop", ast.While: "a `while` loop",
             ast.ListComp: "a list comprehension", ast.GeneratorExp: "a generator expression",
             ast.DictComp: "a dict comprehension", ast.SetComp: "a set comprehension",
             ast.AsyncFor: "an `async for` loop"}
    return sorted({kinds[type(node)] for node in ast.walk(tree) if type(node) in kinds})


def _loop_hint(function, name: str) -> None:
    loops = python_loops(function)
    if loops:
        print(f"Hint: `{name}` uses {', '.join(loops)}. It gives the right values, but the "
              "exercise asks for array operations only (no Python loops): they are much "
              "faster on a batch, and a TA will look at this.")


# ---------------------------------------------------------------------------------------
# The checks the notebook's test cells call.


def check_cosine_similarity(cosine_similarity) -> None:
    """Row-wise cosine similarity: shape `(batch,)`, values in [-1, 1]."""
    _core.check(sys.modules[__name__], "cosine_similarity", cosine_similarity)
    _loop_hint(cosine_similarity, "cosine_similarity")


def check_pairwise_cosine_similarity(pairwise_cosine_similarity) -> None:
    """All-pairs cosine similarity: shape `(batch_a, batch_b)`."""
    _core.check(sys.modules[__name__], "pairwise_cosine_similarity", pairwise_cosine_similarity)
    _loop_hint(pairwise_cosine_similarity, "pairwise_cosine_similarity")


def check_nt_xent(nt_xent) -> None:
    """NT-Xent of SimCLR: a scalar, the mean over the 2N anchors."""
    _core.check(sys.modules[__name__], "nt_xent", nt_xent)
    _loop_hint(nt_xent, "nt_xent")


def check_positives_only_loss(positives_only_loss) -> None:
    """-(mean cosine similarity of the positive pairs): a scalar in [-1, 1]."""
    _core.check(sys.modules[__name__], "positives_only_loss", positives_only_loss)


def check_alignment_loss(alignment_loss) -> None:
    """L_a = -1/(2N) sum over the 2N anchors of sim(z_i, z_j)."""
    _core.check(sys.modules[__name__], "alignment_loss", alignment_loss)


def check_uniformity_loss(uniformity_loss) -> None:
    """L_d = tau/(2N) sum_i log sum_{k != i} exp(sim(z_i, z_k) / tau)."""
    _core.check(sys.modules[__name__], "uniformity_loss", uniformity_loss)


def check_decomposition(nt_xent, alignment_loss, uniformity_loss) -> None:
    """Prints whether your three functions satisfy tau * nt_xent = alignment_loss +
    uniformity_loss. A note, never a failure: each function is graded on its own."""
    z_a, z_b = normal(7, (6, 8), (6, 8))
    try:
        for tau in (0.1, 0.5, 2.0):
            left = tau * float(to_array(nt_xent(z_a, z_b, tau)).reshape(-1)[0])
            right = (float(to_array(alignment_loss(z_a, z_b)).reshape(-1)[0])
                     + float(to_array(uniformity_loss(z_a, z_b, tau)).reshape(-1)[0]))
            if not math.isclose(left, right, rel_tol=1e-4, abs_tol=1e-5):
                print(f"Note: at tau={tau}, tau * nt_xent = {left:.6g} but alignment_loss + "
                      f"uniformity_loss = {right:.6g}; the decomposition should hold "
                      "exactly, so one of the three functions is not right yet (their own "
                      "checks above say which).")
                return
    except Exception as error:  # noqa: BLE001 (a note, never a failure)
        print(f"Note: the decomposition could not be checked ({type(error).__name__}: "
              f"{error}); finish nt_xent, alignment_loss and uniformity_loss first.")
        return
    print("tau * L = L_a + L_d holds for your functions (checked at tau = 0.1, 0.5, 2).")
