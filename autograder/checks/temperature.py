"""Checks of the temperature assignment: the softmax with a temperature.

The visible check compares the student's function with a NumPy oracle written here from
the sheet's formula and names the usual mistakes (no division by tau, multiplying by tau,
the wrong axis, overflow at small tau). The hidden cases' reference is
`ssl_keras.ops.softmax_with_temperature`.
"""

from __future__ import annotations

import numpy as np

from ._core import Case, expect_close, record_cases, to_array

SHEET_SIMILARITIES = [2.0, 1.0, 0.2, -0.5]
CONTRASTIVE_SIMILARITIES = [1.0, 0.2, 0.1, -0.1, -0.3]  # the positive first


def _reference_softmax(logits, temperature):
    from ssl_keras.ops import softmax_with_temperature

    return softmax_with_temperature(logits, temperature)


def _inputs(values, temperature):
    return lambda: [np.asarray(values, dtype="float32"), temperature]


def _batch():
    rng = np.random.default_rng(201)
    return [np.clip(rng.normal(size=(3, 6)), -1, 1).astype("float32"), 0.5]


CASES: dict[str, Case] = {
    **{
        f"sheet_tau_{tau:g}": Case(
            "softmax_tests", "softmax_with_temperature", _inputs(SHEET_SIMILARITIES, tau),
            _reference_softmax,
            description=f"softmax of [2.0, 1.0, 0.2, -0.5] at tau = {tau:g}")
        for tau in (0.1, 0.5, 1.0, 2.0, 5.0)
    },
    "contrastive_tau_10": Case(
        "softmax_tests", "softmax_with_temperature",
        _inputs(CONTRASTIVE_SIMILARITIES, 10.0), _reference_softmax,
        description="softmax of [1.0, 0.2, 0.1, -0.1, -0.3] at tau = 10"),
    "contrastive_tau_0.1": Case(
        "softmax_tests", "softmax_with_temperature",
        _inputs(CONTRASTIVE_SIMILARITIES, 0.1), _reference_softmax,
        description="softmax of [1.0, 0.2, 0.1, -0.1, -0.3] at tau = 0.1"),
    "contrastive_tau_0.01": Case(
        "softmax_tests", "softmax_with_temperature",
        _inputs([1.0, 0.99, 0.5, 0.0, -1.0], 0.01), _reference_softmax,
        description="softmax at tau = 0.01 (exp(100) overflows float32 unless the maximum is "
                    "subtracted first)"),
    "batch_rows": Case(
        "softmax_tests", "softmax_with_temperature", _batch, _reference_softmax,
        description="a (3, 6) batch: each row is its own distribution"),
}

# Calling a library softmax instead of writing exp / sum scores 0 on the cell.
FORBIDDEN: dict[str, list[str]] = {
    "softmax_tests": [
        "ssl_keras.ops", "ssl_keras.softmax_with_temperature", "ssl_keras.evaluation.plots",
        "keras.ops.softmax", "keras.ops.log_softmax", "keras.ops.nn",
        "keras.activations.softmax", "keras.activations.log_softmax", "keras.layers.Softmax",
        "scipy.special.softmax", "scipy.special.log_softmax",
        "jax.nn.softmax", "jax.nn.log_softmax", "torch.softmax", "torch.nn.functional",
        "tensorflow.nn.softmax", "tensorflow.math.softmax",
    ],
}


def oracle_softmax(logits, temperature) -> np.ndarray:
    """softmax_tau(x_i) = exp(x_i / tau) / sum_j exp(x_j / tau), along the last axis."""
    scaled = np.asarray(logits, dtype="float64") / float(temperature)
    scaled = scaled - scaled.max(axis=-1, keepdims=True)  # shift-invariant, no overflow
    exponentials = np.exp(scaled)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def _call(function, logits, temperature, what):
    try:
        return to_array(function(logits, temperature))
    except NotImplementedError:
        raise AssertionError(f"{what}: not implemented yet (remove the "
                             "`raise NotImplementedError()` line and write your code).") from None


def check_softmax_with_temperature(softmax_with_temperature) -> None:
    """softmax(logits / tau) along the last axis; sums to 1; stable at small tau."""
    logits = np.asarray(SHEET_SIMILARITIES, "float32")
    what = "softmax_with_temperature([2.0, 1.0, 0.2, -0.5], 0.5)"
    value = _call(softmax_with_temperature, logits, 0.5, what)
    if value.shape != logits.shape:
        raise AssertionError(f"{what}: expected one probability per logit, shape "
                             f"{logits.shape}; got shape {value.shape}.")
    if np.all(np.isfinite(value)) and not np.isclose(value.sum(), 1.0, rtol=1e-4):
        raise AssertionError(f"{what}: the probabilities sum to {value.sum():.6g}, not 1. "
                             "Divide by the sum of the exponentials.")
    if np.allclose(value, oracle_softmax(logits, 1.0), rtol=1e-4):
        raise AssertionError(f"{what}: this is the softmax at tau = 1; divide the logits by "
                             "the temperature before the exponential.")
    if np.allclose(value, oracle_softmax(logits * 0.5, 1.0), rtol=1e-4):
        raise AssertionError(f"{what}: the logits are multiplied by tau; divide by it "
                             "(a low temperature must make the distribution sharper).")
    expect_close(value, oracle_softmax(logits, 0.5), what)
    for tau in (0.1, 1.0, 5.0):
        expect_close(_call(softmax_with_temperature, logits, tau, "softmax_with_temperature"),
                     oracle_softmax(logits, tau), f"softmax_with_temperature of "
                     f"[2.0, 1.0, 0.2, -0.5] at tau = {tau:g}")
    cold = np.asarray([1.0, 0.98, 0.3, -0.2], "float32")
    value = _call(softmax_with_temperature, cold, 0.01, "softmax_with_temperature")
    if not np.all(np.isfinite(value)):
        raise AssertionError(
            "softmax_with_temperature([1.0, 0.98, 0.3, -0.2], 0.01) gives NaN or infinity: "
            "exp(1.0 / 0.01) = exp(100) overflows float32. Softmax does not change when the "
            "same number is subtracted from every logit: subtract the maximum of x / tau "
            "before the exponential.")
    expect_close(value, oracle_softmax(cold, 0.01), "softmax_with_temperature at tau = 0.01")
    batch = np.asarray([[1.0, 0.0, -1.0], [0.5, 0.5, 2.0]], "float32")
    value = _call(softmax_with_temperature, batch, 0.5, "softmax_with_temperature")
    if value.shape == batch.shape and np.allclose(value.sum(axis=0), 1.0, rtol=1e-4) and not (
            np.allclose(value.sum(axis=1), 1.0, rtol=1e-4)):
        raise AssertionError("For a (2, 3) batch of logits the softmax should be taken over "
                             "the last axis (each row sums to 1); yours normalises the "
                             "columns. Use axis=-1.")
    expect_close(value, oracle_softmax(batch, 0.5),
                 "softmax_with_temperature of a (2, 3) batch (each row is one distribution)")
    print("softmax_with_temperature: all visible checks passed.")


def record_softmax_with_temperature(softmax_with_temperature) -> None:
    record_cases(CASES, "softmax_with_temperature", softmax_with_temperature)
