"""Checks of the contrastive_loss assignment: cosine similarities, NT-Xent and its parts.

Visible checks (`check_<task>`) compare the student's function with NumPy oracles written
here from the formulas of the exercise sheet (loops over anchors, as in SimCLR's
Algorithm 1), and name the usual mistakes when the value matches one of them (summing
instead of averaging, keeping the self-similarity, forgetting the temperature, ...).
Hidden checks (`record_<task>`) record the student's values on `CASES`, whose reference
is ssl_keras's own implementation; the grader compares them outside the kernel.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap

import numpy as np

from ._core import Case, expect_close, normal, record_cases, to_array

EPSILON = 1e-6  # the norm clamp of ssl_keras.ops (a zero vector has similarity 0)


# ---------------------------------------------------------------------------------------
# References of the hidden cases: ssl_keras's own implementations (imported lazily, so
# that importing this module in a notebook does not import the losses).


def _reference_cosine_similarity(a, b):
    from ssl_keras.ops import cosine_similarity

    return cosine_similarity(a, b)


def _reference_pairwise_cosine_similarity(a, b):
    from ssl_keras.ops import pairwise_cosine_similarity

    return pairwise_cosine_similarity(a, b)


def _reference_nt_xent(z_a, z_b, temperature):
    from ssl_keras.losses import nt_xent

    return nt_xent(z_a, z_b, temperature)


def _reference_positives_only_loss(z_a, z_b):
    from ssl_keras.losses import positives_only_loss

    return positives_only_loss(z_a, z_b)


def _reference_alignment_loss(z_a, z_b):
    from ssl_keras.losses import alignment_uniformity

    return alignment_uniformity(z_a, z_b, 1.0)[0]


def _reference_uniformity_loss(z_a, z_b, temperature):
    from ssl_keras.losses import alignment_uniformity

    return alignment_uniformity(z_a, z_b, temperature)[1]


def _with_zero_row(seed, shape):
    a, b = normal(seed, shape, shape)
    a[1] = 0.0
    return [a, b]


def _scaled(seed, shape, scale_a, scale_b):
    a, b = normal(seed, shape, shape)
    return [a * np.float32(scale_a), b * np.float32(scale_b)]


def _near_views(seed, n, d, noise):
    z_a, offset = normal(seed, (n, d), (n, d))
    return [z_a, z_a + np.float32(noise) * offset]


CASES: dict[str, Case] = {
    # cosine_similarity (row-wise)
    "cosine_random": Case(
        "cosine_similarity_tests", "cosine_similarity",
        lambda: normal(101, (8, 16), (8, 16)), _reference_cosine_similarity,
        description="row-wise cosine similarity of random (8, 16) batches"),
    "cosine_scaled": Case(
        "cosine_similarity_tests", "cosine_similarity",
        lambda: _scaled(102, (5, 3), 1000.0, 0.001), _reference_cosine_similarity,
        description="cosine similarity does not depend on the lengths of the vectors"),
    "cosine_zero_row": Case(
        "cosine_similarity_tests", "cosine_similarity",
        lambda: _with_zero_row(103, (4, 6)), _reference_cosine_similarity,
        description="a zero vector has cosine similarity 0 (not NaN)"),
    # pairwise_cosine_similarity
    "pairwise_square": Case(
        "pairwise_cosine_similarity_tests", "pairwise_cosine_similarity",
        lambda: normal(111, (6, 8), (6, 8)), _reference_pairwise_cosine_similarity,
        description="pairwise cosine similarities of two (6, 8) batches"),
    "pairwise_rectangular": Case(
        "pairwise_cosine_similarity_tests", "pairwise_cosine_similarity",
        lambda: normal(112, (3, 5), (7, 5)), _reference_pairwise_cosine_similarity,
        description="pairwise cosine similarities of batches of different sizes (3 and 7)"),
    "pairwise_zero_row": Case(
        "pairwise_cosine_similarity_tests", "pairwise_cosine_similarity",
        lambda: _with_zero_row(113, (4, 6)), _reference_pairwise_cosine_similarity,
        description="pairwise similarities with a zero vector (0, not NaN)"),
    # nt_xent
    "nt_xent_random": Case(
        "nt_xent_tests", "nt_xent",
        lambda: [*normal(121, (8, 16), (8, 16)), 0.5], _reference_nt_xent,
        description="NT-Xent of random (8, 16) views at temperature 0.5"),
    "nt_xent_near_views": Case(
        "nt_xent_tests", "nt_xent",
        lambda: [*_near_views(122, 6, 10, 0.1), 0.1], _reference_nt_xent,
        description="NT-Xent of nearly identical views at temperature 0.1"),
    "nt_xent_two_images": Case(
        "nt_xent_tests", "nt_xent",
        lambda: [*normal(123, (2, 4), (2, 4)), 1.0], _reference_nt_xent,
        description="NT-Xent of a batch of 2 images at temperature 1"),
    "nt_xent_large_batch": Case(
        "nt_xent_tests", "nt_xent",
        lambda: [*_scaled(124, (32, 8), 3.0, 0.5), 0.2], _reference_nt_xent,
        description="NT-Xent of a (32, 8) batch of unnormalised views at temperature 0.2"),
    # positives_only_loss
    "positives_only_random": Case(
        "positives_only_loss_tests", "positives_only_loss",
        lambda: normal(131, (8, 16), (8, 16)), _reference_positives_only_loss,
        description="positives-only loss of random (8, 16) views"),
    "positives_only_near_views": Case(
        "positives_only_loss_tests", "positives_only_loss",
        lambda: _near_views(132, 5, 4, 0.3), _reference_positives_only_loss,
        description="positives-only loss of nearly identical views"),
    # alignment (L_a) and uniformity (L_d)
    "alignment_random": Case(
        "alignment_loss_tests", "alignment_loss",
        lambda: normal(141, (8, 16), (8, 16)), _reference_alignment_loss,
        description="L_a of random (8, 16) views"),
    "alignment_scaled": Case(
        "alignment_loss_tests", "alignment_loss",
        lambda: _scaled(142, (6, 5), 10.0, 0.1), _reference_alignment_loss,
        description="L_a of unnormalised views"),
    "uniformity_random": Case(
        "uniformity_loss_tests", "uniformity_loss",
        lambda: [*normal(151, (8, 16), (8, 16)), 0.5], _reference_uniformity_loss,
        description="L_d of random (8, 16) views at temperature 0.5"),
    "uniformity_cold": Case(
        "uniformity_loss_tests", "uniformity_loss",
        lambda: [*_near_views(152, 10, 6, 0.2), 0.1], _reference_uniformity_loss,
        description="L_d at temperature 0.1"),
    "uniformity_hot": Case(
        "uniformity_loss_tests", "uniformity_loss",
        lambda: [*normal(153, (4, 3), (4, 3)), 2.0], _reference_uniformity_loss,
        description="L_d at temperature 2"),
}

# A submission that only calls ssl_keras's (or Keras's) implementation of the function it
# is asked to write scores 0 on that cell. The grader searches every editable code cell for
# these names, so they are kept to the implementations of the taught functions (the setup
# cell's `evaluation` module stays usable for plots).
_SIMILARITY = [
    "ssl_keras.ops", "ssl_keras.cosine_similarity", "ssl_keras.pairwise_cosine_similarity",
    "ssl_keras.evaluation.positive_negative_similarities", "ssl_keras.evaluation.plots",
    "ssl_keras.evaluation.knn", "ssl_keras.evaluation._arrays",
    "keras.losses.cosine_similarity", "keras.losses.CosineSimilarity",
    "keras.metrics.cosine_similarity", "keras.metrics.CosineSimilarity",
]
_LOSSES = [*_SIMILARITY, "ssl_keras.losses", "ssl_keras.nt_xent", "ssl_keras.NTXent",
           "ssl_keras.models.simclr", "ssl_keras.distributed"]
FORBIDDEN: dict[str, list[str]] = {
    "cosine_similarity_tests": _SIMILARITY,
    "pairwise_cosine_similarity_tests": _SIMILARITY,
    "nt_xent_tests": _LOSSES,
    "positives_only_loss_tests": _LOSSES,
    "alignment_loss_tests": _LOSSES,
    "uniformity_loss_tests": _LOSSES,
}


# ---------------------------------------------------------------------------------------
# NumPy oracles, written from the exercise sheet's formulas (float64, loops over anchors).


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype="float64")
    norms = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    return x / np.maximum(norms, EPSILON)


def oracle_cosine_similarity(a, b) -> np.ndarray:
    return np.sum(_unit(a) * _unit(b), axis=-1)


def oracle_pairwise_cosine_similarity(a, b) -> np.ndarray:
    return _unit(a) @ _unit(b).T


def oracle_nt_xent(z_a, z_b, temperature, *, reduction="mean", exclude_self=True,
                   normalize=True, use_temperature=True, positive_in_denominator=True,
                   directions=2) -> float:
    """NT-Xent from SimCLR's Algorithm 1, one anchor at a time.

    The keyword arguments build the usual wrong variants, to recognise them:
    `reduction="sum"` (no 1/(2N)), `exclude_self=False` (k = i kept in the denominator),
    `normalize=False` (dot products), `use_temperature=False` (no 1/tau),
    `positive_in_denominator=False` (denominator over the negatives only),
    `directions=1` (only the anchors of the first view).
    """
    z = np.concatenate([np.asarray(z_a, "float64"), np.asarray(z_b, "float64")])
    if normalize:
        z = _unit(z)
    n = len(z) // 2
    tau = float(temperature) if use_temperature else 1.0
    terms = []
    for i in range(n * directions):
        j = (i + n) % (2 * n)
        denominator = 0.0
        for k in range(2 * n):
            if (k == i and exclude_self) or (k == j and not positive_in_denominator):
                continue
            denominator += math.exp(float(z[i] @ z[k]) / tau)
        terms.append(-float(z[i] @ z[j]) / tau + math.log(denominator))
    return float(np.sum(terms) if reduction == "sum" else np.mean(terms))


def oracle_alignment_loss(z_a, z_b) -> float:
    """L_a = -1/(2N) sum_i sim(z_i, z_j(i)): each positive pair counted in both directions."""
    return -float(np.mean(oracle_cosine_similarity(z_a, z_b)))


def oracle_uniformity_loss(z_a, z_b, temperature, *, exclude_self=True) -> float:
    """L_d = tau/(2N) sum_i log sum_{k != i} exp(sim(z_i, z_k) / tau)."""
    z = _unit(np.concatenate([np.asarray(z_a, "float64"), np.asarray(z_b, "float64")]))
    tau = float(temperature)
    terms = []
    for i in range(len(z)):
        total = sum(math.exp(float(z[i] @ z[k]) / tau) for k in range(len(z))
                    if k != i or not exclude_self)
        terms.append(tau * math.log(total))
    return float(np.mean(terms))


# ---------------------------------------------------------------------------------------
# Helpers of the visible checks.


def _call(function, *args, what: str):
    try:
        return function(*args)
    except NotImplementedError:
        raise AssertionError(f"{what}: not implemented yet (remove the "
                             "`raise NotImplementedError()` line and write your code).") from None


def _scalar(value, what: str) -> float:
    array = to_array(value)
    if array.size != 1:
        raise AssertionError(
            f"{what}: the loss should be a single number (a scalar), got an array of shape "
            f"{array.shape}. Did you forget to average over the anchors?")
    if not np.isfinite(array).all():
        raise AssertionError(f"{what}: the loss is NaN or infinite.")
    return float(array.reshape(()))


def _close(a: float, b: float, rtol: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-5)


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


def _first_failure(function, *cases):
    for args, expected, what in cases:
        expect_close(_call(function, *args, what=what), expected, what)


# ---------------------------------------------------------------------------------------
# Task 1: cosine similarity, row-wise and pairwise.


def check_cosine_similarity(cosine_similarity) -> None:
    """Row-wise cosine similarity: shape `(batch,)`, values in [-1, 1]."""
    a, b = normal(0, (4, 8), (4, 8))
    value = to_array(_call(cosine_similarity, a, b, what="cosine_similarity"))
    if value.shape != (4,):
        hint = (" It looks like the matrix of all pairs: this function compares row i of "
                "Z1 with row i of Z2 only." if value.shape == (4, 4) else "")
        raise AssertionError(
            f"cosine_similarity(Z1, Z2) with Z1, Z2 of shape (4, 8) should return shape "
            f"(4,), one similarity per row; got shape {value.shape}.{hint}")
    unnormalised = np.sum(np.asarray(a, "float64") * b, axis=-1)
    if np.allclose(value, unnormalised, rtol=1e-4):
        raise AssertionError("cosine_similarity returns plain dot products: divide by the "
                             "lengths (L2 norms) of both vectors.")
    _first_failure(
        cosine_similarity,
        ((a, b), oracle_cosine_similarity(a, b), "cosine_similarity of random (4, 8) batches"),
        ((a, a), np.ones(4), "cosine_similarity(Z, Z) (a vector with itself is 1)"),
        ((a, -3.0 * a), -np.ones(4), "cosine_similarity(Z, -3 Z) (opposite vectors give -1)"),
        ((np.eye(3, dtype="float32"), np.roll(np.eye(3, dtype="float32"), 1, axis=0)),
         np.zeros(3), "cosine_similarity of orthogonal vectors (should be 0)"),
    )
    a_zero = a.copy()
    a_zero[2] = 0.0
    _first_failure(cosine_similarity, ((a_zero, b), oracle_cosine_similarity(a_zero, b),
                                       "cosine_similarity with a zero row (should give 0 "
                                       "there, not NaN: clamp the norm, e.g. at 1e-6)"))
    _loop_hint(cosine_similarity, "cosine_similarity")
    print("cosine_similarity: all visible checks passed.")


def record_cosine_similarity(cosine_similarity) -> None:
    record_cases(CASES, "cosine_similarity", cosine_similarity)


def check_pairwise_cosine_similarity(pairwise_cosine_similarity) -> None:
    """All-pairs cosine similarity: shape `(batch_a, batch_b)`."""
    a, b = normal(1, (3, 5), (4, 5))
    value = to_array(_call(pairwise_cosine_similarity, a, b, what="pairwise_cosine_similarity"))
    if value.shape != (3, 4):
        raise AssertionError(
            "pairwise_cosine_similarity(A, B) with A of shape (3, 5) and B of shape (4, 5) "
            f"should return shape (3, 4) (entry [i, j] = sim(A[i], B[j])); got {value.shape}.")
    c, d = normal(8, (4, 5), (4, 5))
    square = to_array(pairwise_cosine_similarity(c, d))
    if square.shape == (4, 4) and np.allclose(
            square, oracle_pairwise_cosine_similarity(d, c), rtol=1e-4) and not np.allclose(
            square, oracle_pairwise_cosine_similarity(c, d), rtol=1e-4):
        raise AssertionError("pairwise_cosine_similarity: rows and columns are swapped; "
                             "entry [i, j] should be sim(A[i], B[j]).")
    if np.allclose(value, np.asarray(a, "float64") @ np.asarray(b, "float64").T, rtol=1e-4):
        raise AssertionError("pairwise_cosine_similarity returns plain dot products: "
                             "normalise the rows to length 1 first.")
    _first_failure(
        pairwise_cosine_similarity,
        ((a, b), oracle_pairwise_cosine_similarity(a, b), "pairwise_cosine_similarity(A, B)"),
    )
    diagonal = np.diag(to_array(pairwise_cosine_similarity(a, a)))
    expect_close(diagonal, np.ones(3), "the diagonal of pairwise_cosine_similarity(A, A) "
                 "(every vector has similarity 1 with itself)")
    a_zero = a.copy()
    a_zero[0] = 0.0
    _first_failure(pairwise_cosine_similarity, (
        (a_zero, b), oracle_pairwise_cosine_similarity(a_zero, b),
        "pairwise_cosine_similarity with a zero row (should give 0 there, not NaN)"))
    _loop_hint(pairwise_cosine_similarity, "pairwise_cosine_similarity")
    print("pairwise_cosine_similarity: all visible checks passed.")


def record_pairwise_cosine_similarity(pairwise_cosine_similarity) -> None:
    record_cases(CASES, "pairwise_cosine_similarity", pairwise_cosine_similarity)


# ---------------------------------------------------------------------------------------
# Task 2: NT-Xent.

_NT_XENT_MISTAKES = [
    (dict(reduction="sum"), "you summed the 2N per-anchor losses; the loss is their mean "
     "(divide by 2N)"),
    (dict(directions=1), "only the N anchors of the first view are counted; the loss "
     "averages over all 2N anchors, both (i, j) and (j, i)"),
    (dict(exclude_self=False), "the denominator includes k = i (the anchor's similarity with "
     "itself); the indicator 1[k != i] removes it"),
    (dict(positive_in_denominator=False), "the denominator leaves out the positive; it "
     "should sum over every k != i, the positive included"),
    (dict(use_temperature=False), "the similarities are not divided by the temperature tau"),
    (dict(normalize=False), "plain dot products are used; NT-Xent uses cosine similarities "
     "(normalise the embeddings)"),
]


def _diagnose_nt_xent(value, z_a, z_b, temperature, what):
    expected = oracle_nt_xent(z_a, z_b, temperature)
    if _close(value, expected):
        return
    if _close(value, 2 * expected):
        raise AssertionError(f"{what}: expected {expected:.6g}, got {value:.6g}, exactly twice "
                             "the expected value: the two directions are summed, not averaged "
                             "(divide by 2N, not by N).")
    for variant, message in _NT_XENT_MISTAKES:
        if _close(value, oracle_nt_xent(z_a, z_b, temperature, **variant)):
            raise AssertionError(f"{what}: expected {expected:.6g}, got {value:.6g}; it looks "
                                 f"like {message}.")
    raise AssertionError(f"{what}: expected {expected:.6g}, got {value:.6g}.")


def check_nt_xent(nt_xent) -> None:
    """NT-Xent of SimCLR: a scalar, the mean over the 2N anchors."""
    z_a, z_b = normal(2, (4, 6), (4, 6))
    value = _scalar(_call(nt_xent, z_a, z_b, 0.5, what="nt_xent"), "nt_xent")
    _diagnose_nt_xent(value, z_a, z_b, 0.5, "nt_xent of random (4, 6) views at tau=0.5")
    # Closed form: all 2N embeddings equal -> every logit equal -> log(2N - 1).
    same = np.ones((4, 3), "float32")
    value = _scalar(nt_xent(same, same, 0.5), "nt_xent")
    expected = math.log(2 * 4 - 1)
    if not _close(value, expected):
        raise AssertionError(
            f"nt_xent with all 8 embeddings identical: every candidate is as similar as the "
            f"positive, so the loss is log(2N - 1) = log(7) = {expected:.6g}; got {value:.6g}.")
    # Closed form: identical views of orthonormal images -> log(1 + (2N - 2) e^{-1/tau}).
    eye = np.eye(3, 5, dtype="float32")
    for tau in (0.1, 1.0):
        value = _scalar(nt_xent(eye, 2.0 * eye, tau), "nt_xent")
        expected = math.log(1 + 4 * math.exp(-1 / tau))
        if not _close(value, expected):
            raise AssertionError(
                f"nt_xent of identical views of 3 orthonormal images at tau={tau}: expected "
                f"log(1 + (2N - 2) exp(-1/tau)) = {expected:.6g}, got {value:.6g}.")
    z_a, z_b = normal(3, (6, 4), (6, 4))
    for tau in (0.1, 2.0):
        value = _scalar(nt_xent(z_a, z_b, tau), "nt_xent")
        _diagnose_nt_xent(value, z_a, z_b, tau, f"nt_xent of random (6, 4) views at tau={tau}")
    swapped = _scalar(nt_xent(z_b, z_a, 0.5), "nt_xent")
    if not _close(swapped, _scalar(nt_xent(z_a, z_b, 0.5), "nt_xent")):
        raise AssertionError("nt_xent(z_a, z_b) and nt_xent(z_b, z_a) differ: the loss is "
                             "symmetric in the two views when both directions are averaged.")
    _loop_hint(nt_xent, "nt_xent")
    print("nt_xent: all visible checks passed.")


def record_nt_xent(nt_xent) -> None:
    record_cases(CASES, "nt_xent", nt_xent)


# ---------------------------------------------------------------------------------------
# Task 3: the positives-only loss.


def check_positives_only_loss(positives_only_loss) -> None:
    """-(mean cosine similarity of the positive pairs): a scalar in [-1, 1]."""
    z_a, z_b = normal(4, (5, 8), (5, 8))
    value = _scalar(_call(positives_only_loss, z_a, z_b, what="positives_only_loss"),
                    "positives_only_loss")
    expected = oracle_alignment_loss(z_a, z_b)
    if _close(value, -expected):
        raise AssertionError(
            f"positives_only_loss: expected {expected:.6g}, got {value:.6g}: the sign is "
            "wrong. Minimising the loss should *increase* the similarity of the positives.")
    if _close(value, 5 * expected):
        raise AssertionError(f"positives_only_loss: expected {expected:.6g}, got {value:.6g}: "
                             "you summed over the pairs; take the mean.")
    if _close(value, -float(np.mean(np.sum(np.asarray(z_a, "float64") * z_b, axis=-1)))):
        raise AssertionError("positives_only_loss uses plain dot products; use the cosine "
                             "similarity (otherwise the loss is unbounded).")
    expect_close(value, expected, "positives_only_loss of random (5, 8) views")
    collapsed = np.tile(np.float32([[1.0, 2.0, -1.0]]), (4, 1))
    expect_close(_scalar(positives_only_loss(collapsed, 3.0 * collapsed), "positives_only_loss"),
                 -1.0, "positives_only_loss of collapsed embeddings (all equal: the minimum, -1)")
    print("positives_only_loss: all visible checks passed.")


def record_positives_only_loss(positives_only_loss) -> None:
    record_cases(CASES, "positives_only_loss", positives_only_loss)


# ---------------------------------------------------------------------------------------
# Task 4: the decomposition tau * L = L_a + L_d.


def check_alignment_loss(alignment_loss) -> None:
    """L_a = -1/(2N) sum over the 2N anchors of sim(z_i, z_j)."""
    z_a, z_b = normal(5, (6, 4), (6, 4))
    value = _scalar(_call(alignment_loss, z_a, z_b, what="alignment_loss"), "alignment_loss")
    expected = oracle_alignment_loss(z_a, z_b)
    if _close(value, -expected):
        raise AssertionError(f"alignment_loss: expected {expected:.6g}, got {value:.6g}: the "
                             "sign is wrong (L_a = -mean similarity of the positives).")
    if _close(value, 2 * expected) or _close(value, 12 * expected):
        raise AssertionError(f"alignment_loss: expected {expected:.6g}, got {value:.6g}: each "
                             "positive pair is counted once per direction and the sum is "
                             "divided by 2N (the number of anchors), i.e. the mean over pairs.")
    expect_close(value, expected, "alignment_loss of random (6, 4) views")
    print("alignment_loss: all visible checks passed.")


def record_alignment_loss(alignment_loss) -> None:
    record_cases(CASES, "alignment_loss", alignment_loss)


def check_uniformity_loss(uniformity_loss) -> None:
    """L_d = tau/(2N) sum_i log sum_{k != i} exp(sim(z_i, z_k) / tau)."""
    z_a, z_b = normal(6, (5, 4), (5, 4))
    for tau in (0.1, 0.5):  # 0.1 first: at tau = 0.5, "/ tau" and "x 2" look alike
        value = _scalar(_call(uniformity_loss, z_a, z_b, tau, what="uniformity_loss"),
                        "uniformity_loss")
        expected = oracle_uniformity_loss(z_a, z_b, tau)
        if _close(value, expected / tau):
            raise AssertionError(f"uniformity_loss at tau={tau}: expected {expected:.6g}, got "
                                 f"{value:.6g}: multiply by tau (L_d carries the factor tau).")
        if _close(value, oracle_uniformity_loss(z_a, z_b, tau, exclude_self=False)):
            raise AssertionError(f"uniformity_loss at tau={tau}: the sum includes k = i; "
                                 "leave the anchor itself out.")
        if _close(value, 2 * expected):
            raise AssertionError(f"uniformity_loss at tau={tau}: expected {expected:.6g}, got "
                                 f"{value:.6g}: average over the 2N anchors (divide by 2N).")
        expect_close(value, expected, f"uniformity_loss of random (5, 4) views at tau={tau}")
    print("uniformity_loss: all visible checks passed.")


def record_uniformity_loss(uniformity_loss) -> None:
    record_cases(CASES, "uniformity_loss", uniformity_loss)


def check_decomposition(nt_xent, alignment_loss, uniformity_loss) -> None:
    """Your three functions satisfy tau * nt_xent = alignment_loss + uniformity_loss."""
    z_a, z_b = normal(7, (6, 8), (6, 8))
    for tau in (0.1, 0.5, 2.0):
        left = tau * _scalar(nt_xent(z_a, z_b, tau), "nt_xent")
        right = (_scalar(alignment_loss(z_a, z_b), "alignment_loss")
                 + _scalar(uniformity_loss(z_a, z_b, tau), "uniformity_loss"))
        if not _close(left, right):
            raise AssertionError(
                f"At tau={tau}: tau * nt_xent = {left:.6g} but alignment_loss + "
                f"uniformity_loss = {right:.6g}; the decomposition should hold exactly.")
    print("tau * L = L_a + L_d holds for your functions (checked at tau = 0.1, 0.5, 2).")
