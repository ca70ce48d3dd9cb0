"""Visible checks of the ablations assignment: the NT-Logistic loss of SimCLR's Table 2.

`check_nt_logistic_loss` runs the visible cases below and compares the values with the
expected values stored in `expected/ablations.json` (`_core.check`); when a wrong value
equals one of the usual mistakes (one direction only, summing the negatives, keeping the
anchor among its negatives, ignoring `normalize` or the temperature), the message names
it. No reference implementation lives here: the expected values are computed by the grader.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case, normal

NAME = "ablations"

TASKS = {"nt_logistic_tests": "nt_logistic_loss"}


def _pair(seed, n, d, scale=1.0):
    def inputs():
        z_a, z_b = normal(seed, (n, d), (n, d))
        return [scale * z_a, scale * (z_a + 0.5 * z_b)]

    return inputs


def _orthonormal_twice():
    eye = np.eye(3, 5, dtype="float32")
    return [eye, 2.0 * eye]


_MISTAKES = (
    ("one_direction", "only the anchors of z_a: every one of the 2N views is an anchor "
     "(stack [z_a; z_b]) and the loss is the mean over all 2N"),
    ("sum_negatives", "the negative terms are summed; average them over the 2N - 2 "
     "negatives of each anchor"),
    ("keeps_self", "the anchor is among its own negatives: exclude k = i (and the positive) "
     "from the negatives"),
    ("ignores_normalize", "the similarities ignore `normalize`: cosine similarities (unit "
     "vectors) when normalize=True, plain dot products when normalize=False"),
    ("no_temperature", "the temperature is missing: divide the similarities by tau"),
)

VISIBLE: dict[str, Case] = {
    "random_tau_0.5": Case(
        "nt_logistic_loss", _pair(0, 4, 8), kwargs={"temperature": 0.5},
        description="nt_logistic_loss of a (4, 8) pair at tau = 0.5 (a single number)",
        mistakes=_MISTAKES),
    "random_tau_0.2": Case(
        "nt_logistic_loss", _pair(1, 5, 6), kwargs={"temperature": 0.2},
        description="nt_logistic_loss of a (5, 6) pair at tau = 0.2", mistakes=_MISTAKES),
    "orthonormal_views": Case(
        "nt_logistic_loss", _orthonormal_twice, kwargs={"temperature": 0.5},
        description="views that are orthonormal rows scaled by 1 and 2 at tau = 0.5 (cosine "
                    "1 with the positive, 0 with every negative: softplus(-2) + log 2)",
        mistakes=_MISTAKES),
    "dot_products": Case(
        "nt_logistic_loss", _pair(2, 4, 3), kwargs={"temperature": 0.5, "normalize": False},
        description="nt_logistic_loss(..., normalize=False) at tau = 0.5 (dot products of the "
                    "raw embeddings)", mistakes=_MISTAKES),
    "large_dot_products": Case(
        "nt_logistic_loss", _pair(3, 4, 8, scale=10.0),
        kwargs={"temperature": 0.1, "normalize": False},
        description="normalize=False with embeddings of norm ~30 at tau = 0.1 (logits of "
                    "thousands: log(sigmoid(x)) = -softplus(-x); write it with a stable "
                    "softplus, e.g. ops.softplus or ops.logaddexp(0, x), not log(1 + exp(x)))",
        mistakes=_MISTAKES),
}


def check_nt_logistic_loss(nt_logistic_loss) -> None:
    """NT-Logistic of SimCLR's Table 2 over the 2N anchors, negatives averaged."""
    _core.check(sys.modules[__name__], "nt_logistic_loss", nt_logistic_loss)
