"""Visible checks of the temperature assignment: the softmax with a temperature.

`check_softmax_with_temperature` runs the visible cases below and compares the values with
the expected values stored in `expected/temperature.json` (`_core.check`); when a wrong
value equals one of the usual mistakes (no division by tau, multiplying by tau, no
normalisation, the wrong axis), the message names it. No reference implementation lives
here: the expected values are computed by the grader.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case

NAME = "temperature"

TASKS = {"softmax_tests": "softmax_with_temperature"}

SHEET_SIMILARITIES = [2.0, 1.0, 0.2, -0.5]
CONTRASTIVE_SIMILARITIES = [1.0, 0.2, 0.1, -0.1, -0.3]  # the positive first

_SHEET = "softmax_with_temperature([2.0, 1.0, 0.2, -0.5], {tau})"


def _inputs(values, temperature):
    return lambda: [np.asarray(values, dtype="float32"), temperature]


_MISTAKES = (
    ("no_temperature", "the softmax at tau = 1: divide the logits by the temperature "
     "before the exponential"),
    ("times_temperature", "the logits are multiplied by tau; divide by it (a low "
     "temperature must make the distribution sharper)"),
    ("not_normalised", "the exponentials are not divided by their sum: the probabilities "
     "should sum to 1"),
)

VISIBLE: dict[str, Case] = {
    "sheet_0.5": Case(
        "softmax_with_temperature", _inputs(SHEET_SIMILARITIES, 0.5),
        description=_SHEET.format(tau=0.5) + " (one probability per logit, summing to 1)",
        mistakes=_MISTAKES),
    **{
        f"sheet_{tau:g}": Case(
            "softmax_with_temperature", _inputs(SHEET_SIMILARITIES, tau),
            description=_SHEET.format(tau=f"{tau:g}"), mistakes=_MISTAKES)
        for tau in (0.1, 1.0, 5.0)
    },
    "cold_0.01": Case(
        "softmax_with_temperature", _inputs([1.0, 0.98, 0.3, -0.2], 0.01),
        description="softmax_with_temperature([1.0, 0.98, 0.3, -0.2], 0.01) (exp(1.0 / 0.01) "
                    "= exp(100) overflows float32; softmax does not change when the same "
                    "number is subtracted from every logit: subtract the maximum of x / tau "
                    "before the exponential)",
        mistakes=_MISTAKES),
    "batch_rows": Case(
        "softmax_with_temperature",
        _inputs([[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]], 0.5),
        description="softmax_with_temperature of a (2, 3) batch at tau = 0.5 (each row is "
                    "one distribution: the last axis sums to 1)",
        mistakes=(("columns", "the columns are normalised (axis 0); take the softmax over "
                   "the last axis, axis=-1, so that each row sums to 1"), *_MISTAKES)),
}


def check_softmax_with_temperature(softmax_with_temperature) -> None:
    """softmax(logits / tau) along the last axis; sums to 1; stable at small tau."""
    _core.check(sys.modules[__name__], "softmax_with_temperature", softmax_with_temperature)
