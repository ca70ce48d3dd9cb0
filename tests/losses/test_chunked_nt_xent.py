import math

import keras
import numpy as np
import pytest

from ssl_keras.losses import NTXent, nt_xent, nt_xent_per_example
from ssl_keras.losses.chunked_nt_xent import (
    ChunkedNTXent,
    chunked_nt_xent,
    chunked_nt_xent_per_example,
)
from tests.conftest import autodiff_gradients, to_numpy
from tests.losses.reference import loops_over_anchors, nt_xent_algorithm1


def _terms_loop(z_a, z_b, tau):
    """Per-anchor NT-Xent terms, anchors ordered [z_a; z_b], from plain loops (float64)."""
    terms = []
    for sim, i, j, negatives in loops_over_anchors(z_a, z_b):
        denominator = sum(math.exp(sim[i, k] / tau) for k in [j, *negatives])
        terms.append(-math.log(math.exp(sim[i, j] / tau) / denominator))
    return np.array(terms)


def _numeric_gradient(fn, x, step=1e-4):
    """Central finite differences of a float64 NumPy function."""
    x = x.astype(np.float64)
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += step
        minus[index] -= step
        gradient[index] = (fn(plus) - fn(minus)) / (2 * step)
    return gradient


# chunk_size: 1 (every anchor alone), not dividing 2N (a remainder block), equal to 2N,
# larger than 2N (one block).
@pytest.mark.parametrize(
    "n,d,tau,chunk_size",
    [(2, 3, 0.5, 1), (5, 8, 0.1, 3), (4, 16, 2.0, 8), (3, 5, 0.5, 100)],
)
def test_matches_algorithm1_loop_and_nt_xent(rng, n, d, tau, chunk_size):
    z_a = rng.normal(size=(n, d)).astype("float32")
    z_b = rng.normal(size=(n, d)).astype("float32")
    value = to_numpy(chunked_nt_xent(z_a, z_b, tau, chunk_size=chunk_size))
    np.testing.assert_allclose(value, nt_xent_algorithm1(z_a, z_b, tau), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value, to_numpy(nt_xent(z_a, z_b, tau)), rtol=1e-6, atol=1e-6)


def test_per_example_terms_match_loops_and_nt_xent(rng):
    z_a, z_b = rng.normal(size=(2, 5, 3)).astype("float32")
    terms = to_numpy(chunked_nt_xent_per_example(z_a, z_b, 0.5, chunk_size=4))
    assert terms.shape == (10,)
    np.testing.assert_allclose(terms, _terms_loop(z_a, z_b, 0.5), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(terms, to_numpy(nt_xent_per_example(z_a, z_b, 0.5)), rtol=1e-6)


@pytest.mark.parametrize("chunk_size", [3, 16])
def test_gradients_equal_nt_xent_including_temperature(rng, chunk_size):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    tau = np.array(0.3, "float32")
    expected = autodiff_gradients(lambda a, b, t: nt_xent(a, b, t), z_a, z_b, tau)
    got = autodiff_gradients(lambda a, b, t: chunked_nt_xent(a, b, t, chunk_size), z_a, z_b, tau)
    for g, e in zip(got, expected):
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-6)
    assert abs(float(got[2])) > 1e-3  # the temperature gradient is really checked


def test_gradient_matches_finite_differences_of_numpy_oracle(rng):
    z_a, z_b = rng.normal(size=(2, 3, 2)).astype("float32")
    grad_a, grad_b = autodiff_gradients(lambda a, b: chunked_nt_xent(a, b, 0.5, 2), z_a, z_b)
    numeric_a = _numeric_gradient(lambda a: nt_xent_algorithm1(a, z_b, 0.5), z_a)
    numeric_b = _numeric_gradient(lambda b: nt_xent_algorithm1(z_a, b, 0.5), z_b)
    np.testing.assert_allclose(grad_a, numeric_a, atol=1e-4)
    np.testing.assert_allclose(grad_b, numeric_b, atol=1e-4)


def test_weighted_per_example_gradient_matches_nt_xent(rng):
    # A non-uniform upstream gradient exercises the per-anchor weights of the backward pass.
    z_a, z_b = rng.normal(size=(2, 4, 3)).astype("float32")
    weights = keras.ops.convert_to_tensor(np.linspace(0.1, 2.0, 8).astype("float32"))

    def weighted(fn):
        return lambda a, b: keras.ops.sum(fn(a, b) * weights)

    expected = autodiff_gradients(weighted(lambda a, b: nt_xent_per_example(a, b, 0.5)), z_a, z_b)
    got = autodiff_gradients(
        weighted(lambda a, b: chunked_nt_xent_per_example(a, b, 0.5, chunk_size=3)), z_a, z_b
    )
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("tau", [1e-4, 1e4])
def test_extreme_temperatures_and_zero_vectors_stay_finite(rng, tau):
    z_a, z_b = rng.normal(size=(2, 5, 3)).astype("float32")
    z_a[0] = 0.0
    value = to_numpy(chunked_nt_xent(z_a, z_b, tau, chunk_size=3))
    np.testing.assert_allclose(value, to_numpy(nt_xent(z_a, z_b, tau)), rtol=1e-5)
    for gradient in autodiff_gradients(lambda a, b: chunked_nt_xent(a, b, tau, 3), z_a, z_b):
        assert np.all(np.isfinite(gradient))


def test_all_equal_embeddings_give_log_2n_minus_1():
    z = np.ones((6, 4), "float32")
    np.testing.assert_allclose(
        to_numpy(chunked_nt_xent(z, z, 0.2, chunk_size=5)), math.log(11), rtol=1e-6
    )


def test_training_step_inside_fit_equals_nt_xent():
    """One compiled `fit` step (jit on jax/tensorflow) gives the same weights as NTXent."""
    x = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")
    weights = []
    for loss in (NTXent(0.5), ChunkedNTXent(0.5, chunk_size=3)):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss=loss)
        history = model.fit(x, np.zeros(8), batch_size=8, epochs=2, shuffle=False, verbose=0)
        weights.append((model.get_weights()[0], history.history["loss"]))
    np.testing.assert_allclose(weights[1][0], weights[0][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(weights[1][1], weights[0][1], rtol=1e-5)
    assert not np.allclose(weights[0][1][0], weights[0][1][1])  # the step did change things


def test_loss_class_config_round_trip(rng):
    loss = ChunkedNTXent(temperature=0.2, chunk_size=7)
    restored = ChunkedNTXent.from_config(loss.get_config())
    assert (restored.temperature, restored.chunk_size) == (0.2, 7)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, ChunkedNTXent)
    z = rng.normal(size=(6, 4)).astype("float32")
    np.testing.assert_allclose(
        to_numpy(restored(np.zeros(6), z)), to_numpy(nt_xent(z[:3], z[3:], 0.2)), rtol=1e-6
    )


@pytest.mark.parametrize("chunk_size", [0, -1, 2.5, True, None])
def test_invalid_chunk_size_raises(chunk_size):
    z = np.ones((4, 3), "float32")
    with pytest.raises(ValueError, match="chunk_size"):
        chunked_nt_xent(z, z, 0.5, chunk_size=chunk_size)
    with pytest.raises(ValueError, match="chunk_size"):
        ChunkedNTXent(chunk_size=chunk_size)


def test_invalid_temperature_and_batch_raise():
    z = np.ones((4, 3), "float32")
    with pytest.raises(ValueError, match="temperature"):
        chunked_nt_xent(z, z, 0.0)
    with pytest.raises(ValueError, match="at least 2"):
        chunked_nt_xent(z[:1], z[:1], 0.5)
