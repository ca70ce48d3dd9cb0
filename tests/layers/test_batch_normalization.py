import keras
import numpy as np
import pytest

from ssl_keras.layers import BatchNormalization
from tests.conftest import autodiff_gradients
from tests.layers.helpers import to_numpy as _to_numpy

EPSILON = 1e-3


def to_numpy(x):
    return _to_numpy(keras.ops.stop_gradient(x))  # torch: outputs of weights require grad


def np_batch_norm(x, gamma, beta, axis):
    """Ioffe and Szegedy's algorithm 1 in float64: batch mean and biased variance."""
    axes = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = -1
    mean = x.mean(axis=axes, keepdims=True)
    variance = x.var(axis=axes, keepdims=True)
    x_hat = (x - mean) / np.sqrt(variance + EPSILON)
    return gamma.reshape(shape) * x_hat + beta.reshape(shape)


def _inputs(axis, seed=0):
    rng = np.random.default_rng(seed)
    shape = (4, 3, 3, 2) if axis == -1 else (4, 2, 3, 3)
    x = rng.normal(1.5, 2.0, shape)
    gamma, beta = rng.uniform(0.5, 2.0, 2), rng.normal(size=2)
    upstream = rng.normal(size=shape)
    return x, gamma, beta, upstream


def _training_loss(layer, upstream):
    """`sum(upstream * layer(x))` in training mode as a function of (x, gamma, beta)."""

    def loss(x, gamma, beta):
        outputs, _ = layer.stateless_call(
            [gamma, beta],
            [v.value for v in layer.non_trainable_variables],
            x,
            training=True,
        )
        return keras.ops.sum(keras.ops.multiply(outputs, upstream))

    return loss


@pytest.mark.parametrize("axis", [-1, 1])
def test_training_outputs_and_gradients_match_finite_differences(axis):
    x, gamma, beta, upstream = _inputs(axis)
    layer = BatchNormalization(axis=axis, epsilon=EPSILON)
    layer.build(x.shape)
    arrays = [a.astype("float32") for a in (x, gamma, beta)]
    outputs, _ = layer.stateless_call(
        arrays[1:], [v.value for v in layer.non_trainable_variables], arrays[0], training=True
    )
    np.testing.assert_allclose(to_numpy(outputs), np_batch_norm(x, gamma, beta, axis),
                               atol=1e-5)
    gradients = autodiff_gradients(_training_loss(layer, upstream.astype("float32")), *arrays)
    # Central finite differences of the float64 NumPy oracle, every entry of x, gamma, beta.
    step = 1e-6
    for index, (array, gradient) in enumerate(zip((x, gamma, beta), gradients)):
        expected = np.zeros_like(array)
        for position in np.ndindex(array.shape):
            shifted = [x.copy(), gamma.copy(), beta.copy()]
            shifted[index][position] += step
            plus = np.sum(upstream * np_batch_norm(*shifted, axis))
            shifted[index][position] -= 2 * step
            minus = np.sum(upstream * np_batch_norm(*shifted, axis))
            expected[position] = (plus - minus) / (2 * step)
        np.testing.assert_allclose(gradient, expected, rtol=1e-3, atol=1e-4)


def test_same_outputs_gradients_and_moving_statistics_as_keras_batch_normalization():
    x, gamma, beta, upstream = _inputs(-1, seed=1)
    x, gamma, beta, upstream = (a.astype("float32") for a in (x, gamma, beta, upstream))
    results = []
    for layer_class in (keras.layers.BatchNormalization, BatchNormalization):
        layer = layer_class(momentum=0.9)
        layer.build(x.shape)
        gradients = autodiff_gradients(_training_loss(layer, upstream), x, gamma, beta)
        outputs, (moving_mean, moving_variance) = layer.stateless_call(
            [gamma, beta], [v.value for v in layer.non_trainable_variables], x, training=True
        )
        inference = layer.stateless_call(
            [gamma, beta], [moving_mean, moving_variance], x, training=False
        )[0]
        results.append([to_numpy(t) for t in (outputs, moving_mean, moving_variance, inference)]
                       + gradients)
    for keras_value, ours in zip(*results):
        np.testing.assert_allclose(ours, keras_value, rtol=1e-5, atol=1e-5)


def test_layer_call_updates_the_moving_statistics():
    x = np.random.default_rng(2).normal(3.0, 2.0, (64, 5)).astype("float32")
    layer = BatchNormalization(momentum=0.5)
    layer(x, training=True)
    np.testing.assert_allclose(to_numpy(layer.moving_mean), 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(layer.moving_variance), 0.5 + 0.5 * x.var(0),
                               rtol=1e-5)


def test_mixed_precision_output_dtype():
    x = np.random.default_rng(3).normal(size=(8, 4)).astype("float32")
    layer = BatchNormalization(dtype="mixed_bfloat16")
    outputs = layer(x, training=True)
    assert keras.backend.standardize_dtype(outputs.dtype) == "bfloat16"
    np.testing.assert_allclose(to_numpy(keras.ops.cast(outputs, "float32")),
                               (x - x.mean(0)) / np.sqrt(x.var(0) + EPSILON), atol=0.05)


def test_get_config_round_trip():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, name="bn")
    config = layer.get_config()
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(revived, BatchNormalization)
    assert revived.get_config() == config
