"""SimSiam: the loss is Algorithm 1's (NumPy), the stop-gradient is real, training runs,
saving round-trips."""

import keras
import numpy as np
import pytest

from ssl_keras.models import SimSiam
from tests.conftest import autodiff_gradients
from tests.models.helpers import NoiseViews, to_numpy, toy_encoder
from tests.models.ssl_model_checks import (
    PAIR_SHAPE,
    check_save_round_trip,
    check_short_fit,
    dense_encoder,
    head,
    view_pair,
)


def make_model(encoder=None, **kwargs):
    model = SimSiam(
        dense_encoder() if encoder is None else encoder,
        projector=head(output_dim=6, name="projector"),
        predictor=head(output_dim=6, hidden=8, name="predictor"),
        augmentation=NoiseViews(seed=3),
        **kwargs,
    )
    model.build(PAIR_SHAPE)
    return model


def numpy_simsiam_loss(p1, p2, z1, z2):
    """Chen & He (2021), Algorithm 1: D(p, z) = -(normalize(p) * normalize(z)).sum(1).mean();
    L = D(p1, z2) / 2 + D(p2, z1) / 2 (z detached: no effect on the value)."""

    def D(p, z):
        p = p / np.linalg.norm(p, axis=1, keepdims=True)
        z = z / np.linalg.norm(z, axis=1, keepdims=True)
        return -(p * z).sum(axis=1).mean()

    return D(p1, z2) / 2 + D(p2, z1) / 2


def oracle_terms(model, x1, x2):
    """f = projector(encoder(x)), p = predictor(z), from the sublayers themselves."""
    z1 = model.projector(model.encoder(x1))
    z2 = model.projector(model.encoder(x2))
    p1, p2 = model.predictor(z1), model.predictor(z2)
    return [to_numpy(t).astype("float64") for t in (p1, p2, z1, z2)]


def test_loss_is_algorithm_1_in_evaluation_and_in_a_fit_step():
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    x1, x2 = view_pair(6, seed=0)
    expected = numpy_simsiam_loss(*oracle_terms(model, x1, x2))
    outputs = model((x1, x2), training=False)
    loss = float(to_numpy(model.compute_loss(y_pred=outputs, training=False)))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    # The loss fit reports is the same number, at the weights before the step.
    history = model.fit((x1, x2), batch_size=6, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-4)
    assert float(to_numpy(model.compute_loss(y_pred=model((x1, x2)), training=False))) != loss


def test_stop_gradient_on_z_and_not_on_p():
    model = make_model()
    x1, x2 = view_pair(6, seed=1)
    outputs = {key: to_numpy(value) for key, value in model((x1, x2)).items()}
    p_a, p_b, z_a, z_b = (outputs[key] for key in ("p_a", "p_b", "z_a", "z_b"))

    def loss(p_a, p_b, z_a, z_b):
        y_pred = {"p_a": p_a, "p_b": p_b, "z_a": z_a, "z_b": z_b}
        # `0 * sum(z)` keeps z in the graph, so its gradient is 0 rather than None.
        zero = 0.0 * (keras.ops.sum(z_a) + keras.ops.sum(z_b))
        return model.compute_ssl_loss(y_pred) + zero

    grad_p_a, grad_p_b, grad_z_a, grad_z_b = autodiff_gradients(loss, p_a, p_b, z_a, z_b)
    np.testing.assert_array_equal(grad_z_a, 0.0)
    np.testing.assert_array_equal(grad_z_b, 0.0)
    # d/dp of -cos(p, z) / (2N): (p_hat (p_hat . z_hat) - z_hat) / (2 N ||p||), NumPy.
    for p, z, grad in ((p_a, z_b, grad_p_a), (p_b, z_a, grad_p_b)):
        norm = np.linalg.norm(p, axis=1, keepdims=True)
        p_hat, z_hat = p / norm, z / np.linalg.norm(z, axis=1, keepdims=True)
        cos = (p_hat * z_hat).sum(axis=1, keepdims=True)
        expected = (p_hat * cos - z_hat) / (2 * len(p) * norm)
        np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-7)


def test_short_fit_with_probe_and_batch_norm():
    model = SimSiam(
        toy_encoder(output_dim=8),
        projector=head(use_batch_norm=True),
        predictor=head(hidden=8, use_batch_norm=True),
        augmentation=NoiseViews(seed=1),
        num_classes=4,
    )
    check_short_fit(model, expected_metrics=())


def test_get_config_and_save_round_trip(tmp_path):
    model = make_model(num_classes=4)
    check_save_round_trip(model, tmp_path, scalar_keys=("num_classes",))


def test_rejects_bad_inputs():
    model = make_model()
    with pytest.raises(ValueError, match="num_classes"):
        SimSiam(dense_encoder(), num_classes=0)
    with pytest.raises(ValueError, match="pair"):
        model((np.zeros((2, 16, 16, 3)),) * 3)
