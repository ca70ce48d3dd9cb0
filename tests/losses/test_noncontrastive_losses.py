"""Negative cosine similarity, Barlow Twins and VICReg: loops, closed forms, lightly 1.6."""

import json
import math
import pathlib

import keras
import numpy as np
import pytest

from ssl_keras.losses import (
    BarlowTwinsLoss,
    NegativeCosineSimilarity,
    VICRegLoss,
    barlow_twins_loss,
    negative_cosine_similarity,
    vicreg_loss,
    vicreg_terms,
)
from tests.conftest import autodiff_gradients, to_numpy
from tests.losses.make_lightly_values import make_inputs
from tests.losses.reference import (
    barlow_twins_algorithm1,
    negative_cosine_similarity_simsiam,
    vicreg_terms_reference,
)

LIGHTLY_VALUES = json.loads(
    pathlib.Path(__file__).with_name("lightly_values.json").read_text()
)
FUNCTIONS = {
    "NegativeCosineSimilarity": negative_cosine_similarity,
    "BarlowTwinsLoss": barlow_twins_loss,
    "VICRegLoss": vicreg_loss,
}


def _vicreg_reference(z_a, z_b, lambda_param=25.0, mu_param=25.0, nu_param=1.0, eps=1e-4):
    invariance, variance, covariance = vicreg_terms_reference(z_a, z_b, eps)
    return lambda_param * invariance + mu_param * variance + nu_param * covariance


def _orthogonal_centered_columns(scale=1.0):
    """(4, 3): columns of a Hadamard matrix without its constant one: mean 0, orthogonal,
    biased variance scale**2."""
    hadamard = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]])
    return (scale * hadamard[:, 1:]).astype("float32")


# ---------------------------------------------------------------- against NumPy loops


@pytest.mark.parametrize("shape", [(1, 3), (4, 5), (9, 16), (16, 2)])
def test_negative_cosine_similarity_matches_simsiam_loop(rng, shape):
    p, z = rng.normal(size=(2, *shape)).astype("float32")
    np.testing.assert_allclose(to_numpy(negative_cosine_similarity(p, z)),
                               negative_cosine_similarity_simsiam(p, z), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", [(2, 3), (5, 4), (16, 8), (9, 12)])
@pytest.mark.parametrize("lambda_param", [0.0, 0.005, 0.5])
def test_barlow_twins_matches_algorithm1_loop(rng, shape, lambda_param):
    z_a = rng.normal(size=shape).astype("float32")
    z_b = (0.7 * z_a + rng.normal(size=shape) + 0.3).astype("float32")
    np.testing.assert_allclose(to_numpy(barlow_twins_loss(z_a, z_b, lambda_param)),
                               barlow_twins_algorithm1(z_a, z_b, lambda_param), rtol=1e-5)


def test_barlow_twins_standardises_as_batch_norm_not_as_the_papers_std(rng):
    # The paper's Algorithm 1 divides by z.std(0) (1/(N-1), no eps); the authors' code and
    # lightly use BatchNorm1d(affine=False) (1/N, eps 1e-5). At N = 4 they differ clearly.
    z_a, z_b = rng.normal(size=(2, 4, 3)).astype("float32")
    ours = to_numpy(barlow_twins_loss(z_a, z_b))
    paper = barlow_twins_algorithm1(z_a, z_b, 0.005, epsilon=0.0, ddof=1)
    assert abs(ours - paper) > 1e-2
    np.testing.assert_allclose(ours, barlow_twins_algorithm1(z_a, z_b, 0.005), rtol=1e-5)


def test_barlow_twins_cross_correlation_is_pearson_up_to_the_eps(rng):
    # Paper, Eq. (2): C_ij = sum_b z_bi z'_bj / sqrt(sum_b z_bi^2 sum_b z'_bj^2), centered.
    z_a = (10.0 * rng.normal(size=(12, 4))).astype("float32")
    z_b = (z_a + 10.0 * rng.normal(size=(12, 4))).astype("float32")
    c = np.corrcoef(z_a.T, z_b.T)[:4, 4:]
    expected = np.sum((1 - np.diag(c)) ** 2) + 0.3 * (np.sum(c**2) - np.sum(np.diag(c) ** 2))
    np.testing.assert_allclose(to_numpy(barlow_twins_loss(z_a, z_b, 0.3)), expected, rtol=1e-5)


@pytest.mark.parametrize("shape", [(2, 3), (5, 4), (16, 8), (10, 12)])
@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])
def test_vicreg_matches_loop(rng, shape, scale):
    z_a = (scale * rng.normal(size=shape)).astype("float32")
    z_b = (z_a + scale * rng.normal(size=shape)).astype("float32")
    for ours, expected in zip(vicreg_terms(z_a, z_b), vicreg_terms_reference(z_a, z_b)):
        np.testing.assert_allclose(to_numpy(ours), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(to_numpy(vicreg_loss(z_a, z_b)), _vicreg_reference(z_a, z_b),
                               rtol=1e-5)
    weights = {"lambda_param": 1.5, "mu_param": 0.0, "nu_param": 4.0, "eps": 1e-2}
    np.testing.assert_allclose(to_numpy(vicreg_loss(z_a, z_b, **weights)),
                               _vicreg_reference(z_a, z_b, **weights), rtol=1e-5)


# ------------------------------------------------------------------------ closed forms


def test_negative_cosine_similarity_closed_forms(rng):
    z = rng.normal(size=(6, 5)).astype("float32")
    np.testing.assert_allclose(to_numpy(negative_cosine_similarity(z, z)), -1.0, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(negative_cosine_similarity(z, 3.0 * z)), -1.0,
                               rtol=1e-6)
    np.testing.assert_allclose(to_numpy(negative_cosine_similarity(z, -z)), 1.0, rtol=1e-6)
    e = np.eye(4, dtype="float32")
    np.testing.assert_allclose(to_numpy(negative_cosine_similarity(e, np.roll(e, 1, axis=1))),
                               0.0, atol=1e-7)
    # A zero prediction has similarity 0 with its target, not NaN.
    p = z.copy()
    p[0] = 0.0
    np.testing.assert_allclose(to_numpy(negative_cosine_similarity(p, z)), -5.0 / 6.0,
                               rtol=1e-6)


def test_barlow_twins_zero_for_identical_decorrelated_views():
    z = _orthogonal_centered_columns(scale=2.0)
    # C is the identity up to the batch-norm eps: C_ii = 4 / (4 + 1e-5).
    expected = 3 * (1.0 - 4.0 / (4.0 + 1e-5)) ** 2
    value = to_numpy(barlow_twins_loss(z, z, lambda_param=1.0))
    np.testing.assert_allclose(value, expected, atol=1e-9)
    assert value < 1e-9


def test_barlow_twins_closed_forms_for_collapse_and_anticorrelation():
    z = _orthogonal_centered_columns()
    # A constant view standardises to 0: C = 0, the loss is d.
    constant = np.ones((4, 3), "float32")
    np.testing.assert_allclose(to_numpy(barlow_twins_loss(constant, z)), 3.0, rtol=1e-6)
    # Opposite views: C = -I, each diagonal term (1 - (-1))^2 = 4.
    np.testing.assert_allclose(to_numpy(barlow_twins_loss(z, -z)), 12.0, rtol=1e-4)
    # Redundant dimensions: two equal columns give off-diagonal C_01 = C_10 = 1.
    redundant = z.copy()
    redundant[:, 1] = redundant[:, 0]
    np.testing.assert_allclose(to_numpy(barlow_twins_loss(redundant, redundant, 0.5)),
                               0.5 * 2.0, rtol=1e-4)


def test_vicreg_invariance_zero_for_identical_views(rng):
    z = rng.normal(size=(8, 4)).astype("float32")
    invariance, variance, covariance = (to_numpy(t) for t in vicreg_terms(z, z))
    assert invariance == 0.0
    np.testing.assert_allclose(to_numpy(vicreg_loss(z, z, lambda_param=1e6)),
                               25.0 * variance + covariance, rtol=1e-6)


@pytest.mark.parametrize("scale", [0.1, 0.5, 0.8, 1.0, 2.0])
def test_vicreg_variance_hinge_active_only_below_one(scale):
    z = _orthogonal_centered_columns(scale)  # unbiased variance scale^2 * 4/3, covariance 0
    std = math.sqrt(scale**2 * 4.0 / 3.0 + 1e-4)
    invariance, variance, covariance = (to_numpy(t) for t in vicreg_terms(z, z))
    np.testing.assert_allclose(variance, max(0.0, 1.0 - std), atol=1e-7)
    assert (variance > 0) == (std < 1)
    np.testing.assert_allclose(covariance, 0.0, atol=1e-6)


def test_vicreg_collapsed_batch_pays_the_full_variance_hinge():
    collapsed = np.ones((6, 5), "float32")
    invariance, variance, covariance = (to_numpy(t) for t in vicreg_terms(collapsed, collapsed))
    np.testing.assert_allclose(variance, 1.0 - math.sqrt(1e-4), rtol=1e-6)
    assert invariance == 0.0 and covariance == 0.0


def test_vicreg_covariance_of_redundant_dimensions():
    z = _orthogonal_centered_columns()
    z[:, 1] = z[:, 0]  # Cov_01 = Cov_10 = 4/3, d = 3, two branches
    covariance = to_numpy(vicreg_terms(z, z)[2])
    np.testing.assert_allclose(covariance, 2 * 2 * (4.0 / 3.0) ** 2 / 3, rtol=1e-5)


# ----------------------------------------------------------------------- lightly 1.6


def test_lightly_values_come_from_lightly_1_6():
    assert LIGHTLY_VALUES["lightly_version"].startswith("1.6.")
    # DINOLoss's cases are tested in test_dino.py.
    assert {case["loss"] for case in LIGHTLY_VALUES["cases"]} == set(FUNCTIONS) | {"DINOLoss"}


@pytest.mark.parametrize(
    "case",
    [case for case in LIGHTLY_VALUES["cases"] if case["loss"] in FUNCTIONS],
    ids=lambda case: f"{case['loss']}-{'x'.join(map(str, case['shape']))}-seed{case['seed']}",
)
def test_matches_lightly_1_6(case):
    z_a, z_b = make_inputs(case)
    value = to_numpy(FUNCTIONS[case["loss"]](z_a, z_b, **case["kwargs"]))
    np.testing.assert_allclose(value, case["lightly_float64"], rtol=1e-5)


# ------------------------------------------------------------------------- gradients


def _finite_differences(fn, arrays, index, eps=1e-6):
    arrays = [a.astype("float64") for a in arrays]
    numeric = np.zeros_like(arrays[index])
    for idx in np.ndindex(numeric.shape):
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[index][idx] += eps
        minus[index][idx] -= eps
        numeric[idx] = (fn(*plus) - fn(*minus)) / (2 * eps)
    return numeric


GRADIENT_CASES = [
    (negative_cosine_similarity, negative_cosine_similarity_simsiam),
    (lambda a, b: barlow_twins_loss(a, b, 0.05), lambda a, b: barlow_twins_algorithm1(a, b, 0.05)),
    (vicreg_loss, _vicreg_reference),
]


@pytest.mark.parametrize("fn, reference", GRADIENT_CASES,
                         ids=["negative_cosine", "barlow_twins", "vicreg"])
def test_gradients_match_finite_differences_of_the_loop(rng, fn, reference):
    z_a = (0.6 * rng.normal(size=(5, 3))).astype("float32")
    z_b = (z_a + 0.6 * rng.normal(size=(5, 3))).astype("float32")
    gradients = autodiff_gradients(fn, z_a, z_b)
    for index, gradient in enumerate(gradients):
        assert np.all(np.isfinite(gradient)) and np.any(gradient != 0)
        np.testing.assert_allclose(gradient, _finite_differences(reference, [z_a, z_b], index),
                                   rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("fn", [negative_cosine_similarity, barlow_twins_loss, vicreg_loss],
                         ids=["negative_cosine", "barlow_twins", "vicreg"])
def test_gradients_finite_for_collapsed_and_zero_inputs(fn):
    collapsed = np.ones((4, 3), "float32")
    zeros = np.zeros((4, 3), "float32")
    for z_a, z_b in ((collapsed, collapsed), (zeros, collapsed), (zeros, zeros)):
        for gradient in autodiff_gradients(fn, z_a, z_b):
            assert np.all(np.isfinite(gradient))


def test_negative_cosine_similarity_does_not_stop_gradients(rng):
    # Like lightly's: the gradient reaches the targets; SimSiam's stop-gradient is the
    # caller's job, and once applied, the targets get none.
    p, z = rng.normal(size=(2, 4, 3)).astype("float32")
    _, gradient_z = autodiff_gradients(negative_cosine_similarity, p, z)
    assert np.any(np.abs(gradient_z) > 1e-3)
    # (0 * sum(z) keeps z in the graph: tensorflow and torch give None, not 0, otherwise.)
    _, gradient_z = autodiff_gradients(
        lambda p, z: negative_cosine_similarity(p, keras.ops.stop_gradient(z))
        + 0.0 * keras.ops.sum(z), p, z)
    np.testing.assert_array_equal(gradient_z, 0.0)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("fn", [negative_cosine_similarity, barlow_twins_loss, vicreg_loss],
                         ids=["negative_cosine", "barlow_twins", "vicreg"])
def test_low_precision_inputs_computed_in_float32(rng, fn, dtype):
    z_a, z_b = rng.normal(size=(2, 8, 6)).astype("float32")
    low_a, low_b = keras.ops.cast(z_a, dtype), keras.ops.cast(z_b, dtype)
    value = fn(low_a, low_b)
    assert keras.backend.standardize_dtype(value.dtype) == "float32"
    expected = fn(keras.ops.cast(low_a, "float32"), keras.ops.cast(low_b, "float32"))
    np.testing.assert_allclose(to_numpy(value), to_numpy(expected), rtol=1e-6)


# --------------------------------------------------------------------------- classes

CLASSES = [
    (NegativeCosineSimilarity(), negative_cosine_similarity),
    (BarlowTwinsLoss(lambda_param=0.02), lambda a, b: barlow_twins_loss(a, b, 0.02)),
    (VICRegLoss(lambda_param=5.0, mu_param=10.0, nu_param=2.0, eps=1e-3),
     lambda a, b: vicreg_loss(a, b, 5.0, 10.0, 2.0, 1e-3)),
]


@pytest.mark.parametrize("loss, fn", CLASSES, ids=lambda v: type(v).__name__)
def test_class_agrees_with_function_on_stacked_views(rng, loss, fn):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    stacked = np.concatenate([z_a, z_b])
    np.testing.assert_allclose(to_numpy(loss(np.zeros(12), stacked)), to_numpy(fn(z_a, z_b)),
                               rtol=1e-6)


@pytest.mark.parametrize("loss, fn", CLASSES, ids=lambda v: type(v).__name__)
def test_classes_round_trip_through_config(rng, loss, fn):
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    for name in ("lambda_param", "mu_param", "nu_param", "eps"):
        assert getattr(restored, name, None) == getattr(loss, name, None)
    stacked = rng.normal(size=(8, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(restored(np.zeros(8), stacked)),
                               to_numpy(loss(np.zeros(8), stacked)), rtol=1e-6)


@pytest.mark.parametrize("loss, fn", CLASSES, ids=lambda v: type(v).__name__)
def test_classes_train_a_model_with_fit(rng, loss, fn):
    # Compiled training step (jit on jax, tf.function with an unknown batch size on
    # tensorflow): the loss decreases the weights' loss and stays finite.
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss)
    x = rng.normal(size=(16, 5)).astype("float32")
    history = model.fit(x, np.zeros(16), batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: BarlowTwinsLoss(lambda_param=-0.1), "`lambda_param` should be >= 0"),
        (lambda: barlow_twins_loss(np.ones((3, 2)), np.ones((3, 2)), -1), "lambda_param"),
        (lambda: VICRegLoss(mu_param=-1), "`mu_param` should be >= 0"),
        (lambda: VICRegLoss(nu_param=-2.0), "nu_param"),
        (lambda: VICRegLoss(eps=0), "`eps` should be > 0. Received: eps=0"),
        (lambda: vicreg_loss(np.ones((3, 2)), np.ones((3, 2)), lambda_param=-1), "lambda_param"),
        (lambda: vicreg_terms(np.ones((3, 2)), np.ones((3, 2)), eps=-1e-4), "eps"),
        (lambda: negative_cosine_similarity(np.ones((3, 2, 1)), np.ones((3, 2, 1))),
         r"`p` and `z` should be rank-2 .* Received: p.shape=\(3, 2, 1\)"),
        (lambda: negative_cosine_similarity(np.ones((3, 2)), np.ones((3, 4))),
         "same embedding size"),
        (lambda: barlow_twins_loss(np.ones((3, 2)), np.ones((4, 2))), "same batch size"),
        (lambda: barlow_twins_loss(np.ones((1, 2)), np.ones((1, 2))),
         r"at least 2 images \(batch statistics\)"),
        (lambda: vicreg_loss(np.ones((1, 2)), np.ones((1, 2))), "at least 2 images"),
        (lambda: vicreg_loss(np.ones((4,)), np.ones((4,))), "rank-2"),
        (lambda: VICRegLoss()(np.zeros(5), np.ones((5, 3))), "even number of rows"),
        (lambda: NegativeCosineSimilarity()(np.zeros(4), np.ones((4,))), r"\(2N, d\)"),
    ],
)
def test_bad_arguments_and_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_zero_weights_are_the_papers_ablations(rng):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    invariance, variance, covariance = (to_numpy(t) for t in vicreg_terms(z_a, z_b))
    np.testing.assert_allclose(to_numpy(vicreg_loss(z_a, z_b, mu_param=0.0)),
                               25.0 * invariance + covariance, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(barlow_twins_loss(z_a, z_b, 0.0)),
                               barlow_twins_algorithm1(z_a, z_b, 0.0), rtol=1e-5)
