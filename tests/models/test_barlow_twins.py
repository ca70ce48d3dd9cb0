"""Barlow Twins: the loss is Algorithm 1's (NumPy, with the authors' code's batch norm),
training runs, saving round-trips."""

import keras
import numpy as np
import pytest

from ssl_keras.models import BarlowTwins
from tests.models.helpers import NoiseViews, to_numpy, toy_encoder
from tests.models.ssl_model_checks import (
    PAIR_SHAPE,
    check_save_round_trip,
    check_short_fit,
    dense_encoder,
    head,
    view_pair,
)


def make_model(**kwargs):
    model = BarlowTwins(
        dense_encoder(),
        projector=head(output_dim=5, name="projector"),
        augmentation=NoiseViews(seed=3),
        **kwargs,
    )
    model.build(PAIR_SHAPE)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01))
    return model


def numpy_barlow_twins_loss(z1, z2, lambda_param):
    """Zbontar et al. (2021), Algorithm 1, with the normalisation of the authors' code
    (`BatchNorm1d(affine=False)`: biased variance, eps 1e-5):
    c = bn(z1).T @ bn(z2) / N; on_diag = sum (diag(c) - 1)^2; off_diag = sum offdiag c^2."""
    n, d = z1.shape

    def bn(z):
        return (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5)

    c = bn(z1).T @ bn(z2) / n
    loss = 0.0
    for i in range(d):
        for j in range(d):
            loss += (c[i, j] - 1) ** 2 if i == j else lambda_param * c[i, j] ** 2
    return loss


@pytest.mark.parametrize("lambda_param", [0.005, 0.5])
def test_loss_is_algorithm_1_in_evaluation_and_in_a_fit_step(lambda_param):
    model = make_model(lambda_param=lambda_param)
    x1, x2 = view_pair(8, seed=0)
    z1, z2 = (to_numpy(model.projector(model.encoder(x))).astype("float64") for x in (x1, x2))
    expected = numpy_barlow_twins_loss(z1, z2, lambda_param)
    outputs = model((x1, x2), training=False)
    loss = float(to_numpy(model.compute_loss(y_pred=outputs, training=False)))
    np.testing.assert_allclose(loss, expected, rtol=1e-4)
    history = model.fit((x1, x2), batch_size=8, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-4)


def test_short_fit_with_probe_and_batch_norm():
    model = BarlowTwins(
        toy_encoder(output_dim=8),
        projector=head(use_batch_norm=True),
        augmentation=NoiseViews(seed=1),
        num_classes=4,
    )
    check_short_fit(model, expected_metrics=())


def test_get_config_and_save_round_trip(tmp_path):
    model = make_model(lambda_param=0.01, num_classes=4)
    check_save_round_trip(model, tmp_path, ("lambda_param", "num_classes"))


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="lambda_param"):
        BarlowTwins(dense_encoder(), lambda_param=-1.0)
