"""VICReg: the loss is Algorithm 1's (NumPy), the three logged terms, training runs,
saving round-trips."""

import keras
import numpy as np
import pytest

from ssl_keras.models import VICReg
from tests.models.helpers import NoiseViews, to_numpy, toy_encoder
from tests.models.ssl_model_checks import (
    PAIR_SHAPE,
    check_save_round_trip,
    check_short_fit,
    dense_encoder,
    head,
    view_pair,
)

WEIGHTS = {"lambda_param": 25.0, "mu_param": 15.0, "nu_param": 2.0}


def make_model(**kwargs):
    model = VICReg(
        dense_encoder(),
        expander=head(output_dim=5, name="expander"),
        augmentation=NoiseViews(seed=3),
        **kwargs,
    )
    model.build(PAIR_SHAPE)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001))
    return model


def numpy_vicreg_terms(x, y, eps=1e-4):
    """Bardes et al. (2022), Algorithm 1 (torch's var is unbiased):
    repr = mse(x, y); std = sqrt(var(0) + eps);
    std_loss = mean(relu(1 - std_x)) / 2 + mean(relu(1 - std_y)) / 2;
    cov = x.T @ x / (N - 1); cov_loss = sum offdiag(cov_x)^2 / D + same for y."""
    n, d = x.shape
    invariance = np.mean((x - y) ** 2)
    x, y = x - x.mean(axis=0), y - y.mean(axis=0)
    std_x, std_y = (np.sqrt(z.var(axis=0, ddof=1) + eps) for z in (x, y))
    variance = np.mean(np.maximum(0, 1 - std_x)) / 2 + np.mean(np.maximum(0, 1 - std_y)) / 2
    covariance = 0.0
    for z in (x, y):
        cov = z.T @ z / (n - 1)
        covariance += (np.sum(cov**2) - np.sum(np.diag(cov) ** 2)) / d
    return invariance, variance, covariance


def test_loss_is_algorithm_1_in_evaluation_and_in_a_fit_step():
    model = make_model(**WEIGHTS)
    x1, x2 = view_pair(8, seed=0)
    z1, z2 = (to_numpy(model.expander(model.encoder(x))).astype("float64") for x in (x1, x2))
    invariance, variance, covariance = numpy_vicreg_terms(z1, z2)
    assert variance > 0  # the hinge is active: the term is tested, not zero
    expected = 25.0 * invariance + 15.0 * variance + 2.0 * covariance
    outputs = model((x1, x2), training=False)
    loss = float(to_numpy(model.compute_loss(y_pred=outputs, training=False)))
    np.testing.assert_allclose(loss, expected, rtol=1e-4)
    history = model.fit((x1, x2), batch_size=8, epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"][0], expected, rtol=1e-4)
    for name, value in zip(("invariance", "variance", "covariance"), numpy_vicreg_terms(z1, z2)):
        np.testing.assert_allclose(history[name][0], value, rtol=1e-4, atol=1e-7)


def test_short_fit_with_probe_and_batch_norm():
    model = VICReg(
        toy_encoder(output_dim=8),
        expander=head(use_batch_norm=True),
        augmentation=NoiseViews(seed=1),
        num_classes=4,
    )
    check_short_fit(model, expected_metrics=("invariance", "variance", "covariance"))


def test_get_config_and_save_round_trip(tmp_path):
    model = make_model(**WEIGHTS, eps=1e-3, num_classes=4)
    keys = tuple(WEIGHTS) + ("eps", "num_classes")
    check_save_round_trip(model, tmp_path, keys)


@pytest.mark.parametrize(
    "arguments, message",
    [({"mu_param": -1.0}, "mu_param"), ({"nu_param": -0.1}, "nu_param"), ({"eps": 0.0}, "eps")],
)
def test_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        VICReg(dense_encoder(), **arguments)
