"""Judge of the ablations assignment (grader-private): the NT-Logistic loss.

The reference is a NumPy oracle (float64) written from SimCLR's Table 2 with the course's
conventions: every one of the 2N views of `[z_a; z_b]` is an anchor with one positive and
2N - 2 negatives, `l_i = softplus(-s_ij / tau) + mean_k softplus(s_ik / tau)` with `s` the
cosine (or, with `normalize=False`, the dot product), and the loss is the mean of `l_i`.
The assignment's tests check it against `ssl_keras.losses.nt_logistic` on every case.
"""

from __future__ import annotations

import numpy as np

from ..checks._core import Case, normal


def _softplus(x):
    return np.logaddexp(0.0, x)


def _similarities(z_a, z_b, normalize):
    z = np.concatenate([np.asarray(z_a, "float64"), np.asarray(z_b, "float64")])
    if normalize:
        z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return z @ z.T


def _terms(z_a, z_b, temperature, normalize, negatives="mean", keep_self=False):
    logits = _similarities(z_a, z_b, normalize) / float(temperature)
    two_n = len(logits)
    n = two_n // 2
    index = np.arange(two_n)
    positive = (index + n) % two_n
    negative = np.ones((two_n, two_n), bool)
    negative[index, positive] = False
    if not keep_self:
        negative[index, index] = False
    negative_terms = np.where(negative, _softplus(logits), 0.0).sum(axis=1)
    if negatives == "mean":
        negative_terms = negative_terms / negative.sum(axis=1)
    return _softplus(-logits[index, positive]) + negative_terms


def oracle_nt_logistic(z_a, z_b, temperature=0.5, normalize=True) -> float:
    """Mean over the 2N anchors of softplus(-s_ij / tau) + mean_k softplus(s_ik / tau)."""
    return float(np.mean(_terms(z_a, z_b, temperature, normalize)))


REFERENCES = {"nt_logistic_loss": oracle_nt_logistic}


def _one_direction(z_a, z_b, temperature=0.5, normalize=True):
    return float(np.mean(_terms(z_a, z_b, temperature, normalize)[: len(z_a)]))


def _sum_negatives(z_a, z_b, temperature=0.5, normalize=True):
    return float(np.mean(_terms(z_a, z_b, temperature, normalize, negatives="sum")))


def _keeps_self(z_a, z_b, temperature=0.5, normalize=True):
    return float(np.mean(_terms(z_a, z_b, temperature, normalize, keep_self=True)))


def _ignores_normalize(z_a, z_b, temperature=0.5, normalize=True):
    return oracle_nt_logistic(z_a, z_b, temperature, not normalize)


def _no_temperature(z_a, z_b, temperature=0.5, normalize=True):
    return oracle_nt_logistic(z_a, z_b, 1.0, normalize)


VARIANTS = {
    "nt_logistic_loss": {
        "one_direction": _one_direction,
        "sum_negatives": _sum_negatives,
        "keeps_self": _keeps_self,
        "ignores_normalize": _ignores_normalize,
        "no_temperature": _no_temperature,
    },
}


def _pair(seed, n, d, scale=1.0, noise=0.5):
    def inputs():
        z_a, z_b = normal(seed, (n, d), (n, d))
        return [scale * z_a, scale * (z_a + noise * z_b)]

    return inputs


def _collapsed():
    z = np.tile(np.float32([[1.0, -2.0, 0.5]]), (4, 1))
    return [z, 3.0 * z]


_HIDDEN: dict[str, Case] = {
    "smallest_batch": Case("nt_logistic_loss", _pair(301, 2, 4), kwargs={"temperature": 0.5},
                           description="N = 2: one negative per anchor"),
    "default_temperature": Case("nt_logistic_loss", _pair(302, 6, 5),
                                description="the default temperature 0.5 and normalize=True"),
    "cold": Case("nt_logistic_loss", _pair(303, 8, 16), kwargs={"temperature": 0.05},
                 description="tau = 0.05"),
    "warm": Case("nt_logistic_loss", _pair(304, 5, 4, noise=2.0), kwargs={"temperature": 2.0},
                 description="tau = 2, unrelated views"),
    "collapsed": Case("nt_logistic_loss", _collapsed, kwargs={"temperature": 0.2},
                      description="every view the same direction (collapse)"),
    "dot_products_small_norm": Case(
        "nt_logistic_loss", _pair(305, 6, 3, scale=0.1),
        kwargs={"temperature": 0.5, "normalize": False},
        description="normalize=False with small embeddings"),
    "dot_products_huge": Case(
        "nt_logistic_loss", _pair(306, 5, 32, scale=30.0),
        kwargs={"temperature": 0.05, "normalize": False},
        description="normalize=False, logits of tens of thousands (stable softplus)"),
    "explicit_normalize_true": Case(
        "nt_logistic_loss", _pair(307, 3, 7, scale=5.0),
        kwargs={"temperature": 0.3, "normalize": True},
        description="normalize=True: the embeddings' norms do not matter"),
}
# Named apart from the visible cases (both share one namespace in the grader's spec).
HIDDEN: dict[str, Case] = {f"hidden_{name}": case for name, case in _HIDDEN.items()}

# Only one task: nothing is called by a later task, so there is no stand-in.
STAND_INS: dict = {}

# The package's NT-Logistic, every path to it (the similarity helpers stay allowed).
FORBIDDEN: dict[str, list[str]] = {
    "nt_logistic_loss": [
        "ssl_keras.losses.nt_logistic",
        "ssl_keras.losses.NTLogistic",
        "ssl_keras.losses.nt_logistic.nt_logistic",
        "ssl_keras.losses.nt_logistic.NTLogistic",
        "ssl_keras.losses.nt_logistic.nt_logistic_per_example",
        "ssl_keras.models.simclr.nt_logistic",
    ],
}

SETUP = ("setup",)
