import math

import keras
import numpy as np
import pytest

from ssl_keras.losses import NTXent, nt_xent, nt_xent_logits, nt_xent_per_example, positive_rank
from tests.conftest import autodiff_gradients, to_numpy
from tests.losses.reference import nt_xent_algorithm1


@pytest.mark.parametrize("n,d,tau", [(2, 3, 0.5), (5, 8, 0.1), (8, 16, 1.0), (3, 4, 2.0)])
def test_matches_algorithm1_loop(rng, n, d, tau):
    z_a = rng.normal(size=(n, d)).astype("float32")
    z_b = rng.normal(size=(n, d)).astype("float32")
    expected = nt_xent_algorithm1(z_a, z_b, tau)
    np.testing.assert_allclose(to_numpy(nt_xent(z_a, z_b, tau)), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n", [2, 4, 16])
def test_all_equal_embeddings_give_log_2n_minus_1(n):
    z = np.ones((n, 5), "float32")
    np.testing.assert_allclose(to_numpy(nt_xent(z, z, 0.3)), math.log(2 * n - 1), rtol=1e-6)


@pytest.mark.parametrize("n,tau", [(2, 0.5), (4, 0.1), (8, 1.0)])
def test_identical_orthonormal_views_closed_form(n, tau):
    z = np.eye(n, 2 * n, dtype="float32") * 3.0  # orthogonal rows, any norm
    expected = math.log(1 + (2 * n - 2) * math.exp(-1 / tau))
    np.testing.assert_allclose(to_numpy(nt_xent(z, z, tau)), expected, rtol=1e-5, atol=1e-6)


def test_symmetric_in_the_two_views(rng):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    np.testing.assert_allclose(
        to_numpy(nt_xent(z_a, z_b, 0.5)), to_numpy(nt_xent(z_b, z_a, 0.5)), rtol=1e-6
    )


def test_invariant_to_scale_and_shared_image_permutation(rng):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    perm = rng.permutation(6)
    base = to_numpy(nt_xent(z_a, z_b, 0.5))
    np.testing.assert_allclose(to_numpy(nt_xent(7 * z_a[perm], 0.1 * z_b[perm], 0.5)), base,
                               rtol=1e-5)


def test_per_example_terms_match_loop_terms(rng):
    z_a, z_b = rng.normal(size=(2, 4, 3)).astype("float32")
    terms = to_numpy(nt_xent_per_example(z_a, z_b, 0.5))
    assert terms.shape == (8,)
    np.testing.assert_allclose(terms.mean(), nt_xent_algorithm1(z_a, z_b, 0.5), rtol=1e-5)


def test_tiny_and_huge_temperatures_are_finite_and_correct(rng):
    z_a, z_b = rng.normal(size=(2, 5, 3)).astype("float32")
    for tau in (1e-4, 1e4):
        value = to_numpy(nt_xent(z_a, z_b, tau))
        assert np.isfinite(value)
    # tau -> infinity: every candidate equally likely, loss -> log(2N - 1).
    np.testing.assert_allclose(to_numpy(nt_xent(z_a, z_b, 1e6)), math.log(9), rtol=1e-5)


@pytest.mark.parametrize("tau", [1e-4, 0.5, 1e4])
def test_gradients_finite_even_with_zero_vectors(rng, tau):
    z_a = rng.normal(size=(4, 3)).astype("float32")
    z_b = rng.normal(size=(4, 3)).astype("float32")
    z_a[1] = 0.0
    z_b[2] = 0.0
    grads = autodiff_gradients(lambda a, b: nt_xent(a, b, tau), z_a, z_b)
    for g in grads:
        assert np.all(np.isfinite(g))


def test_gradient_matches_finite_differences(rng):
    z_a, z_b = rng.normal(size=(2, 3, 4)).astype("float64")
    grad_a = autodiff_gradients(lambda a, b: nt_xent(a, b, 0.5), z_a.astype("float32"),
                       z_b.astype("float32"))[0]
    eps = 1e-5
    numeric = np.zeros_like(z_a)
    for idx in np.ndindex(z_a.shape):
        plus, minus = z_a.copy(), z_a.copy()
        plus[idx] += eps
        minus[idx] -= eps
        difference = nt_xent_algorithm1(plus, z_b, 0.5) - nt_xent_algorithm1(minus, z_b, 0.5)
        numeric[idx] = difference / (2 * eps)
    np.testing.assert_allclose(grad_a, numeric, atol=2e-3)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_computed_in_float32(rng, dtype):
    z_a, z_b = rng.normal(size=(2, 8, 16)).astype("float32")
    low_a = keras.ops.cast(z_a, dtype)
    low_b = keras.ops.cast(z_b, dtype)
    value = nt_xent(low_a, low_b, 0.05)
    assert keras.backend.standardize_dtype(value.dtype) == "float32"
    reference = nt_xent_algorithm1(to_numpy(keras.ops.cast(low_a, "float32")),
                                   to_numpy(keras.ops.cast(low_b, "float32")), 0.05)
    np.testing.assert_allclose(to_numpy(value), reference, rtol=1e-4)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_model_training_step_is_finite(rng, policy):
    keras.mixed_precision.set_dtype_policy(policy)
    try:
        inputs = keras.Input((6,))
        z = keras.layers.Dense(8)(inputs)
        model = keras.Model(inputs, z)
        model.compile(optimizer="sgd", loss=NTXent(temperature=0.1))
        x = rng.normal(size=(16, 6)).astype("float32")
        history = model.fit(x, np.zeros(16), batch_size=16, epochs=2, verbose=0, shuffle=False)
        assert all(np.isfinite(history.history["loss"]))
        assert model.predict(x, verbose=0).dtype.name in ("float16", "bfloat16")
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def test_loss_class_equals_function_and_round_trips(rng):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    loss = NTXent(temperature=0.2)
    stacked = np.concatenate([z_a, z_b])
    np.testing.assert_allclose(to_numpy(loss(np.zeros(12), stacked)),
                               nt_xent_algorithm1(z_a, z_b, 0.2), rtol=1e-5)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, NTXent) and restored.temperature == 0.2
    np.testing.assert_allclose(to_numpy(restored(np.zeros(12), stacked)),
                               to_numpy(loss(np.zeros(12), stacked)))


def test_logits_reproduce_the_loss_and_rank(rng):
    z_a, z_b = rng.normal(size=(2, 5, 3)).astype("float32")
    logits, positive_index = nt_xent_logits(z_a, z_b, 0.5)
    logits, positive_index = to_numpy(logits), to_numpy(positive_index)
    assert logits.shape == (10, 9)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    ce = -log_softmax[np.arange(10), positive_index]
    np.testing.assert_allclose(ce.mean(), nt_xent_algorithm1(z_a, z_b, 0.5), rtol=1e-5)
    # The rank from the logits (1 + number of candidates scoring above the positive).
    rank_from_logits = 1 + (logits > logits[np.arange(10), positive_index][:, None]).sum(1)
    np.testing.assert_array_equal(to_numpy(positive_rank(z_a, z_b)), rank_from_logits)


def test_rank_is_one_for_perfect_views_and_chance_when_collapsed():
    z = np.eye(4, dtype="float32")
    np.testing.assert_array_equal(to_numpy(positive_rank(z, z)), np.ones(8))
    # All 2N-1 candidates tie: the expected rank with random tie-breaking is N.
    collapsed = np.ones((4, 3), "float32")
    np.testing.assert_array_equal(to_numpy(positive_rank(collapsed, collapsed)), np.full(8, 4.0))


@pytest.mark.parametrize(
    "z_a,z_b,tau,match",
    [
        (np.ones((4, 3)), np.ones((4, 3)), 0.0, "temperature"),
        (np.ones((4, 3)), np.ones((4, 3)), -1.0, "temperature"),
        (np.ones((4, 3)), np.ones((4, 2)), 0.5, "embedding size"),
        (np.ones((4, 3)), np.ones((5, 3)), 0.5, "batch size"),
        (np.ones((4,)), np.ones((4,)), 0.5, "rank-2"),
        (np.ones((1, 3)), np.ones((1, 3)), 0.5, "at least 2"),
    ],
)
def test_bad_inputs_raise_clear_errors(z_a, z_b, tau, match):
    with pytest.raises(ValueError, match=match):
        nt_xent(z_a.astype("float32"), z_b.astype("float32"), tau)


def test_bad_class_arguments():
    with pytest.raises(ValueError, match="temperature"):
        NTXent(temperature=0)
    with pytest.raises(ValueError, match="even"):
        NTXent()(np.zeros(3), np.ones((3, 2), "float32"))
