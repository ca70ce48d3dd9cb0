"""Judge of the temperature assignment (grader-private): the softmax with a temperature.

The reference is a NumPy oracle written from the sheet's formula (float64, the maximum
subtracted first); the assignment's tests check it against closed forms and against
`ssl_keras.ops.softmax_with_temperature`. The wrong variants (no division by tau,
multiplying by tau, no normalisation, the wrong axis) let the visible check name a mistake.
"""

from __future__ import annotations

import numpy as np

from ..checks._core import Case
from ..checks.temperature import CONTRASTIVE_SIMILARITIES, SHEET_SIMILARITIES


def oracle_softmax(logits, temperature, axis=-1) -> np.ndarray:
    """softmax_tau(x_i) = exp(x_i / tau) / sum_j exp(x_j / tau), along `axis`."""
    scaled = np.asarray(logits, dtype="float64") / float(temperature)
    scaled = scaled - scaled.max(axis=axis, keepdims=True)  # shift-invariant, no overflow
    exponentials = np.exp(scaled)
    return exponentials / exponentials.sum(axis=axis, keepdims=True)


REFERENCES = {"softmax_with_temperature": oracle_softmax}


def _no_temperature(logits, temperature):
    return oracle_softmax(logits, 1.0)


def _times_temperature(logits, temperature):
    return oracle_softmax(np.asarray(logits, "float64") * float(temperature), 1.0)


def _not_normalised(logits, temperature):
    return np.exp(np.asarray(logits, "float64") / float(temperature))


def _columns(logits, temperature):
    return oracle_softmax(logits, temperature, axis=0)


VARIANTS = {
    "softmax_with_temperature": {
        "no_temperature": _no_temperature,
        "times_temperature": _times_temperature,
        "not_normalised": _not_normalised,
        "columns": _columns,
    },
}


def _inputs(values, temperature):
    return lambda: [np.asarray(values, dtype="float32"), temperature]


def _batch():
    rng = np.random.default_rng(201)
    return [np.clip(rng.normal(size=(3, 6)), -1, 1).astype("float32"), 0.5]


def _cold_rank_3():
    rng = np.random.default_rng(202)
    return [np.clip(rng.normal(size=(2, 3, 5)), -1, 1).astype("float32"), 0.02]


_HIDDEN: dict[str, Case] = {
    **{
        f"sheet_tau_{tau:g}": Case(
            "softmax_with_temperature", _inputs(SHEET_SIMILARITIES, tau),
            description=f"softmax of [2.0, 1.0, 0.2, -0.5] at tau = {tau:g}")
        for tau in (0.1, 0.5, 1.0, 2.0, 5.0)
    },
    "contrastive_tau_10": Case(
        "softmax_with_temperature", _inputs(CONTRASTIVE_SIMILARITIES, 10.0),
        description="softmax of [1.0, 0.2, 0.1, -0.1, -0.3] at tau = 10"),
    "contrastive_tau_0.1": Case(
        "softmax_with_temperature", _inputs(CONTRASTIVE_SIMILARITIES, 0.1),
        description="softmax of [1.0, 0.2, 0.1, -0.1, -0.3] at tau = 0.1"),
    "contrastive_tau_0.01": Case(
        "softmax_with_temperature", _inputs([1.0, 0.99, 0.5, 0.0, -1.0], 0.01),
        description="softmax at tau = 0.01 (exp(100) overflows float32 unless the maximum is "
                    "subtracted first)"),
    "batch_rows": Case(
        "softmax_with_temperature", _batch,
        description="a (3, 6) batch: each row is its own distribution"),
    "cold_rank_3": Case(
        "softmax_with_temperature", _cold_rank_3,
        description="a (2, 3, 5) batch at tau = 0.02: the last axis sums to 1, no overflow"),
    "equal_logits": Case(
        "softmax_with_temperature", _inputs([0.7, 0.7, 0.7, 0.7], 0.001),
        description="equal logits give the uniform distribution, whatever tau"),
}
# Named apart from the visible cases (both share one namespace in the grader's spec).
HIDDEN: dict[str, Case] = {f"hidden_{name}": case for name, case in _HIDDEN.items()}

# Only one task: nothing is called by a later task, so there is no stand-in.
STAND_INS: dict = {}

# Calling a library softmax instead of writing exp / sum: every path to one.
FORBIDDEN: dict[str, list[str]] = {
    "softmax_with_temperature": [
        "ssl_keras.softmax_with_temperature",
        "ssl_keras.ops.softmax_with_temperature",
        "ssl_keras.ops.softmax.softmax_with_temperature",
        "ssl_keras.evaluation.plots.softmax_with_temperature",
        "keras.ops.softmax",
        "keras.ops.log_softmax",
        "keras.ops.nn.softmax",
        "keras.ops.nn.log_softmax",
        "keras.activations.softmax",
        "keras.activations.log_softmax",
        "keras.layers.Softmax",
        "scipy.special.softmax",
        "scipy.special.log_softmax",
        "jax.nn.softmax",
        "jax.nn.log_softmax",
        "torch.softmax",
        "torch.log_softmax",
        "torch.nn.functional.softmax",
        "torch.nn.functional.log_softmax",
        "tensorflow.nn.softmax",
        "tensorflow.nn.log_softmax",
        "tensorflow.math.softmax",
    ],
}

SETUP = ("setup",)
