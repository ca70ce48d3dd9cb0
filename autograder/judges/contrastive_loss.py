"""Judge of the contrastive_loss assignment (grader-private): references, wrong variants,
hidden cases, stand-ins and forbidden names.

The references are NumPy oracles written from the exercise sheet's formulas (float64, one
anchor at a time, as in SimCLR's Algorithm 1); the assignment's tests check that they
agree with ssl_keras's own implementations and with closed forms. The wrong variants are
the same oracles with one thing changed (summing instead of averaging, keeping k = i in
the denominator, ...): their values on the visible cases let a visible check name the
mistake.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..checks._core import Case, normal

EPSILON = 1e-6  # the norm clamp of ssl_keras.ops (a zero vector has similarity 0)


# ---------------------------------------------------------------------------------------
# NumPy oracles, written from the exercise sheet's formulas.


def _unit(x) -> np.ndarray:
    x = np.asarray(x, dtype="float64")
    norms = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    return x / np.maximum(norms, EPSILON)


def oracle_cosine_similarity(a, b) -> np.ndarray:
    """sim(a_i, b_i) = a_i . b_i / (|a_i| |b_i|), norms clamped at 1e-6."""
    return np.sum(_unit(a) * _unit(b), axis=-1)


def oracle_pairwise_cosine_similarity(a, b) -> np.ndarray:
    """Entry [i, j] = sim(a_i, b_j)."""
    return _unit(a) @ _unit(b).T


def oracle_nt_xent(z_a, z_b, temperature, *, reduction="mean", exclude_self=True,
                   normalize=True, use_temperature=True, positive_in_denominator=True,
                   directions=2):
    """NT-Xent from SimCLR's Algorithm 1, one anchor at a time.

    The keyword arguments build the usual wrong variants: `reduction="sum"` (no 1/(2N)),
    `reduction="none"` (the 2N per-anchor terms), `exclude_self=False` (k = i kept in the
    denominator), `normalize=False` (dot products), `use_temperature=False` (no 1/tau),
    `positive_in_denominator=False` (denominator over the negatives only), `directions=1`
    (only the anchors of the first view).
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
    if reduction == "none":
        return np.asarray(terms)
    return float(np.sum(terms) if reduction == "sum" else np.mean(terms))


def oracle_positives_only_loss(z_a, z_b) -> float:
    """-1/N sum_i sim(z_a_i, z_b_i)."""
    return -float(np.mean(oracle_cosine_similarity(z_a, z_b)))


def oracle_alignment_loss(z_a, z_b) -> float:
    """L_a = -1/(2N) sum_i sim(z_i, z_j(i)): each positive pair counted in both directions."""
    a, b = _unit(z_a), _unit(z_b)
    z = np.concatenate([a, b])
    n = len(a)
    return -float(np.mean([z[i] @ z[(i + n) % (2 * n)] for i in range(2 * n)]))


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


REFERENCES = {
    "cosine_similarity": oracle_cosine_similarity,
    "pairwise_cosine_similarity": oracle_pairwise_cosine_similarity,
    "nt_xent": oracle_nt_xent,
    "positives_only_loss": oracle_positives_only_loss,
    "alignment_loss": oracle_alignment_loss,
    "uniformity_loss": oracle_uniformity_loss,
}


# ---------------------------------------------------------------------------------------
# The usual mistakes, as values (the visible cases name them in `mistakes`).


def _cosine_dot_product(a, b):
    return np.sum(np.asarray(a, "float64") * np.asarray(b, "float64"), axis=-1)


def _pairwise_dot_product(a, b):
    return np.asarray(a, "float64") @ np.asarray(b, "float64").T


def _pairwise_swapped(a, b):
    return oracle_pairwise_cosine_similarity(b, a)


def _nt_xent_twice(z_a, z_b, temperature):
    return 2 * oracle_nt_xent(z_a, z_b, temperature)


def _scaled(function, factor):
    @functools.wraps(function)
    def scaled(*args):
        return factor * function(*args)

    return scaled


def _positives_only_dot_product(z_a, z_b):
    return -float(np.mean(_cosine_dot_product(z_a, z_b)))


def _uniformity_without_tau(z_a, z_b, temperature):
    return oracle_uniformity_loss(z_a, z_b, temperature) / float(temperature)


def _alignment_summed(z_a, z_b):
    return 2 * len(z_a) * oracle_alignment_loss(z_a, z_b)


VARIANTS = {
    "cosine_similarity": {
        "dot_product": _cosine_dot_product,
        "all_pairs": oracle_pairwise_cosine_similarity,
    },
    "pairwise_cosine_similarity": {
        "dot_product": _pairwise_dot_product,
        "swapped": _pairwise_swapped,
    },
    "nt_xent": {
        "twice": _nt_xent_twice,
        "per_anchor": functools.partial(oracle_nt_xent, reduction="none"),
        "sum": functools.partial(oracle_nt_xent, reduction="sum"),
        "one_direction": functools.partial(oracle_nt_xent, directions=1),
        "self_in_denominator": functools.partial(oracle_nt_xent, exclude_self=False),
        "positive_left_out": functools.partial(oracle_nt_xent, positive_in_denominator=False),
        "no_temperature": functools.partial(oracle_nt_xent, use_temperature=False),
        "dot_product": functools.partial(oracle_nt_xent, normalize=False),
    },
    "positives_only_loss": {
        "wrong_sign": _scaled(oracle_positives_only_loss, -1.0),
        "summed": lambda z_a, z_b: len(z_a) * oracle_positives_only_loss(z_a, z_b),
        "dot_product": _positives_only_dot_product,
    },
    "alignment_loss": {
        "wrong_sign": _scaled(oracle_alignment_loss, -1.0),
        "twice": _scaled(oracle_alignment_loss, 2.0),
        "summed": _alignment_summed,
    },
    "uniformity_loss": {
        "no_tau_factor": _uniformity_without_tau,
        "self_included": functools.partial(oracle_uniformity_loss, exclude_self=False),
        "twice": _scaled(oracle_uniformity_loss, 2.0),
    },
}


# ---------------------------------------------------------------------------------------
# Hidden cases (the student never sees these inputs).


def _with_zero_row(seed, shape):
    a, b = normal(seed, shape, shape)
    a[1] = 0.0
    return [a, b]


def _scaled_pair(seed, shape, scale_a, scale_b):
    a, b = normal(seed, shape, shape)
    return [a * np.float32(scale_a), b * np.float32(scale_b)]


def _near_views(seed, n, d, noise):
    z_a, offset = normal(seed, (n, d), (n, d))
    return [z_a, z_a + np.float32(noise) * offset]


def _collapsed(row, n, scale):
    z = np.tile(np.float32([row]), (n, 1))
    return [z, np.float32(scale) * z]


def _orthonormal(n, d, scale):
    eye = np.eye(n, d, dtype="float32")
    return [eye, np.float32(scale) * eye]


_HIDDEN: dict[str, Case] = {
    # cosine_similarity (row-wise)
    "cosine_random": Case(
        "cosine_similarity", lambda: normal(101, (8, 16), (8, 16)),
        description="row-wise cosine similarity of random (8, 16) batches"),
    "cosine_scaled": Case(
        "cosine_similarity", lambda: _scaled_pair(102, (5, 3), 1000.0, 0.001),
        description="cosine similarity does not depend on the lengths of the vectors"),
    "cosine_zero_row": Case(
        "cosine_similarity", lambda: _with_zero_row(103, (4, 6)),
        description="a zero vector has cosine similarity 0 (not NaN)"),
    "cosine_opposite": Case(
        "cosine_similarity", lambda: [normal(104, (3, 7))[0], -0.5 * normal(104, (3, 7))[0]],
        description="opposite vectors have cosine similarity -1"),
    # pairwise_cosine_similarity
    "pairwise_square": Case(
        "pairwise_cosine_similarity", lambda: normal(111, (6, 8), (6, 8)),
        description="pairwise cosine similarities of two (6, 8) batches"),
    "pairwise_rectangular": Case(
        "pairwise_cosine_similarity", lambda: normal(112, (3, 5), (7, 5)),
        description="pairwise cosine similarities of batches of different sizes (3 and 7)"),
    "pairwise_zero_row": Case(
        "pairwise_cosine_similarity", lambda: _with_zero_row(113, (4, 6)),
        description="pairwise similarities with a zero vector (0, not NaN)"),
    "pairwise_scaled": Case(
        "pairwise_cosine_similarity", lambda: _scaled_pair(114, (4, 3), 0.01, 50.0),
        description="pairwise cosine similarities do not depend on the lengths of the vectors"),
    # nt_xent
    "nt_xent_random": Case(
        "nt_xent", lambda: [*normal(121, (8, 16), (8, 16)), 0.5],
        description="NT-Xent of random (8, 16) views at temperature 0.5"),
    "nt_xent_near_views": Case(
        "nt_xent", lambda: [*_near_views(122, 6, 10, 0.1), 0.1],
        description="NT-Xent of nearly identical views at temperature 0.1"),
    "nt_xent_two_images": Case(
        "nt_xent", lambda: [*normal(123, (2, 4), (2, 4)), 1.0],
        description="NT-Xent of a batch of 2 images at temperature 1"),
    "nt_xent_large_batch": Case(
        "nt_xent", lambda: [*_scaled_pair(124, (32, 8), 3.0, 0.5), 0.2],
        description="NT-Xent of a (32, 8) batch of unnormalised views at temperature 0.2"),
    "nt_xent_collapsed": Case(
        "nt_xent", lambda: [*_collapsed([0.5, -1.0, 2.0, 0.0, 1.0], 5, 4.0), 0.3],
        description="NT-Xent of collapsed embeddings (all equal: log(2N - 1))"),
    "nt_xent_orthonormal": Case(
        "nt_xent", lambda: [*_orthonormal(4, 6, 0.5), 0.2],
        description="NT-Xent of identical views of orthonormal images: "
                    "log(1 + (2N - 2) exp(-1/tau))"),
    "nt_xent_swapped_views": Case(
        "nt_xent", lambda: [*normal(125, (5, 6), (5, 6))[::-1], 0.7],
        description="NT-Xent is symmetric in the two views"),
    # positives_only_loss
    "positives_only_random": Case(
        "positives_only_loss", lambda: normal(131, (8, 16), (8, 16)),
        description="positives-only loss of random (8, 16) views"),
    "positives_only_near_views": Case(
        "positives_only_loss", lambda: _near_views(132, 5, 4, 0.3),
        description="positives-only loss of nearly identical views"),
    "positives_only_collapsed": Case(
        "positives_only_loss", lambda: _collapsed([0.3, 0.0, -2.0, 1.0], 6, 0.25),
        description="positives-only loss of collapsed embeddings (the minimum, -1)"),
    # alignment (L_a) and uniformity (L_d)
    "alignment_random": Case(
        "alignment_loss", lambda: normal(141, (8, 16), (8, 16)),
        description="L_a of random (8, 16) views"),
    "alignment_scaled": Case(
        "alignment_loss", lambda: _scaled_pair(142, (6, 5), 10.0, 0.1),
        description="L_a of unnormalised views"),
    "alignment_collapsed": Case(
        "alignment_loss", lambda: _collapsed([1.0, 1.0, -3.0], 4, 2.0),
        description="L_a of collapsed embeddings (the minimum, -1)"),
    "uniformity_random": Case(
        "uniformity_loss", lambda: [*normal(151, (8, 16), (8, 16)), 0.5],
        description="L_d of random (8, 16) views at temperature 0.5"),
    "uniformity_cold": Case(
        "uniformity_loss", lambda: [*_near_views(152, 10, 6, 0.2), 0.1],
        description="L_d at temperature 0.1"),
    "uniformity_hot": Case(
        "uniformity_loss", lambda: [*normal(153, (4, 3), (4, 3)), 2.0],
        description="L_d at temperature 2"),
    "uniformity_collapsed": Case(
        "uniformity_loss", lambda: [*_collapsed([2.0, -1.0], 3, 1.5), 0.5],
        description="L_d of collapsed embeddings (tau log(2N - 1) + 1)"),
}
# Named apart from the visible cases (both share one namespace in the grader's spec).
HIDDEN: dict[str, Case] = {f"hidden_{name}": case for name, case in _HIDDEN.items()}


# ---------------------------------------------------------------------------------------
# Error carried forward: ssl_keras's own functions, same semantics as the tasks (the
# notebook's `positives_only_loss` and `alignment_loss` are called by no later task).

STAND_INS = {
    "cosine_similarity": "ssl_keras.ops:cosine_similarity",
    "pairwise_cosine_similarity": "ssl_keras.ops:pairwise_cosine_similarity",
    "nt_xent": "ssl_keras.losses:nt_xent",
}


# The package's (and Keras's) implementations of each taught function, every path it can
# be reached by. Helpers that other tasks' answers may use stay allowed
# (`ssl_keras.ops.l2_normalize`, and the stand-ins above in the later tasks).
_ROW_WISE = [
    "ssl_keras.cosine_similarity",
    "ssl_keras.ops.cosine_similarity",
    "ssl_keras.ops.similarity.cosine_similarity",
]
_PAIRWISE = [
    "ssl_keras.pairwise_cosine_similarity",
    "ssl_keras.ops.pairwise_cosine_similarity",
    "ssl_keras.ops.similarity.pairwise_cosine_similarity",
    "ssl_keras.losses._contrastive.pairwise_cosine_similarity",
    "ssl_keras.losses._contrastive.two_view_similarities",
    "ssl_keras.losses.clip_contrastive.pairwise_cosine_similarity",
    "ssl_keras.distributed.gathered_nt_xent.pairwise_cosine_similarity",
    "ssl_keras.evaluation.positive_negative_similarities",
    "ssl_keras.evaluation.plots.positive_negative_similarities",
    "ssl_keras.evaluation.plots._two_view_similarities",
    "ssl_keras.evaluation.plots._cosine_matrix",
    "keras.losses.cosine_similarity",
    "keras.losses.CosineSimilarity",
    "keras.metrics.CosineSimilarity",  # Keras 3 has no keras.metrics.cosine_similarity
]
_NT_XENT = [
    "ssl_keras.nt_xent",
    "ssl_keras.NTXent",
    "ssl_keras.losses.nt_xent",
    "ssl_keras.losses.NTXent",
    "ssl_keras.losses.nt_xent_logits",
    "ssl_keras.losses.nt_xent_per_example",
    "ssl_keras.losses.nt_xent.nt_xent",
    "ssl_keras.losses.nt_xent.NTXent",
    "ssl_keras.losses.nt_xent.nt_xent_logits",
    "ssl_keras.losses.nt_xent.nt_xent_per_example",
    "ssl_keras.losses.chunked_nt_xent",
    "ssl_keras.losses.ChunkedNTXent",
    "ssl_keras.losses.chunked_nt_xent_per_example",
    "ssl_keras.losses.chunked_nt_xent.chunked_nt_xent",
    "ssl_keras.losses.chunked_nt_xent.ChunkedNTXent",
    "ssl_keras.losses.chunked_nt_xent.chunked_nt_xent_per_example",
    "ssl_keras.losses.info_nce",
    "ssl_keras.losses.info_nce_logits",
    "ssl_keras.losses.info_nce.info_nce",
    "ssl_keras.losses.info_nce.info_nce_logits",
    "ssl_keras.distributed.gathered_nt_xent",
    "ssl_keras.distributed.gathered_nt_xent_per_example",
    "ssl_keras.distributed.gathered_nt_xent.gathered_nt_xent",
    "ssl_keras.distributed.gathered_nt_xent.gathered_nt_xent_per_example",
    "ssl_keras.models.simclr.nt_xent",
    "ssl_keras.models.simclr.nt_xent_logits",
    "ssl_keras.models.simclr.gathered_nt_xent",
    "ssl_keras.models.moco.info_nce",
    "ssl_keras.models.moco.info_nce_logits",
    # tau * NT-Xent = L_a + L_d
    "ssl_keras.losses.alignment_uniformity",
    "ssl_keras.losses.AlignmentUniformity",
    "ssl_keras.losses.alignment_uniformity.alignment_uniformity",
    "ssl_keras.losses.alignment_uniformity.AlignmentUniformity",
]
_ALIGNMENT_UNIFORMITY = [
    "ssl_keras.losses.alignment_uniformity",
    "ssl_keras.losses.AlignmentUniformity",
    "ssl_keras.losses.alignment_uniformity.alignment_uniformity",
    "ssl_keras.losses.alignment_uniformity.AlignmentUniformity",
    "ssl_keras.losses.alignment_uniformity._parts_per_example",
]
# The positives-only loss is L_a: the same function under two names.
_POSITIVES_ONLY = [
    "ssl_keras.losses.positives_only_loss",
    "ssl_keras.losses.PositivesOnlyLoss",
    "ssl_keras.losses.positives_only.positives_only_loss",
    "ssl_keras.losses.positives_only.PositivesOnlyLoss",
    "ssl_keras.losses.positives_only._per_example",
    "ssl_keras.models.simclr.positives_only_loss",
    *_ALIGNMENT_UNIFORMITY,
]

FORBIDDEN: dict[str, list[str]] = {
    # The diagonal of the pairwise matrix is the row-wise similarity: both are refused
    # while cosine_similarity is judged. ssl_keras's row-wise function stands in for the
    # student's while pairwise_cosine_similarity is judged (it cannot broadcast to all
    # pairs: rank-2 inputs only), so it stays allowed there; Keras's `axis=-1` cosine
    # broadcasts to the whole matrix and stays refused.
    "cosine_similarity": _ROW_WISE + _PAIRWISE,
    "pairwise_cosine_similarity": _PAIRWISE,
    "nt_xent": _NT_XENT,
    "positives_only_loss": _POSITIVES_ONLY,
    "alignment_loss": _POSITIVES_ONLY,
    "uniformity_loss": _ALIGNMENT_UNIFORMITY,
}

SETUP = ("setup",)
