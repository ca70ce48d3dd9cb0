"""BYOL: the loss is the paper's Eq. (2) (NumPy), the target gets no gradient and moves by
the EMA with the cosine schedule (NumPy formula), training runs, saving round-trips."""

import math

import keras
import numpy as np
import pytest

from ssl_keras.models import BYOL
from tests.conftest import autodiff_gradients
from tests.models.helpers import NoiseViews, to_numpy, toy_encoder
from tests.models.ssl_model_checks import (
    PAIR_SHAPE,
    check_save_round_trip,
    check_short_fit,
    check_target_is_a_frozen_copy,
    dense_encoder,
    head,
    numpy_weights,
    view_pair,
)


def make_model(encoder=None, **kwargs):
    model = BYOL(
        dense_encoder() if encoder is None else encoder,
        projector=head(output_dim=6, name="projector"),
        predictor=head(output_dim=6, hidden=4, name="predictor"),
        augmentation=NoiseViews(seed=3),
        **kwargs,
    )
    model.build(PAIR_SHAPE)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    return model


def numpy_byol_loss(p1, p2, target1, target2):
    """Grill et al. (2020), Eq. (2): L = mean ||p_bar - z'_bar||^2, for both directions
    (view 1 predicts view 2's target, and the reverse), summed: L + L~."""

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    def direction(p, target):
        return np.mean(np.sum((unit(p) - unit(target)) ** 2, axis=1))

    return direction(p1, target2) + direction(p2, target1)


def numpy_tau(k, total, base):
    """BYOL, Section 3.2: tau = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2."""
    return 1 - (1 - base) * (math.cos(math.pi * k / total) + 1) / 2


def online_and_target(model):
    online = model.encoder.weights + model.projector.weights
    target = model.target_encoder.weights + model.target_projector.weights
    return numpy_weights(online), numpy_weights(target)


def oracle_loss(model, x1, x2):
    """Online p = predictor(projector(encoder(x))), target z' = target projector(target
    encoder(x)), from the sublayers themselves."""
    p1, p2 = (model.predictor(model.projector(model.encoder(x))) for x in (x1, x2))
    t1, t2 = (model.target_projector(model.target_encoder(x)) for x in (x1, x2))
    return numpy_byol_loss(*(to_numpy(t).astype("float64") for t in (p1, p2, t1, t2)))


def perturb_target(model, seed=2):
    rng = np.random.default_rng(seed)
    for variable in model.target_encoder.weights + model.target_projector.weights:
        variable.assign(to_numpy(variable) + rng.normal(0, 0.1, variable.shape))


def test_target_starts_as_a_frozen_copy_of_the_online_network():
    model = make_model()
    check_target_is_a_frozen_copy(model, (model.encoder, model.projector),
                                  (model.target_encoder, model.target_projector))


def test_loss_is_eq_2_in_evaluation():
    model = make_model()
    perturb_target(model)  # so that online and target outputs differ
    x1, x2 = view_pair(5, seed=0)
    outputs = model((x1, x2), training=False)
    loss = float(to_numpy(model.compute_loss(y_pred=outputs, training=False)))
    np.testing.assert_allclose(loss, oracle_loss(model, x1, x2), rtol=1e-5)
    assert 0.0 < loss < 8.0


def test_fit_steps_ema_with_the_cosine_schedule_and_the_loss_on_updated_targets():
    base, total = 0.5, 4
    model = make_model(base_momentum=base, total_steps=total)
    perturb_target(model)
    trainable = [v.trainable for v in model.encoder.weights + model.projector.weights]
    for k in range(3):
        x1, x2 = view_pair(4, seed=10 + k)
        online_before, target_before = online_and_target(model)
        trainable_before = numpy_weights(model.trainable_weights)
        history = model.fit((x1, x2), batch_size=4, epochs=1, shuffle=False, verbose=0)
        online_after, target_after = online_and_target(model)
        tau = numpy_tau(k, total, base)
        for o, t, after, is_trainable in zip(online_before, target_before, target_after, trainable):
            assert is_trainable
            np.testing.assert_allclose(after, tau * t + (1 - tau) * o, rtol=1e-5, atol=1e-6)
        # The optimizer moved the online network, never the target.
        assert any(not np.allclose(b, a) for b, a in zip(online_before, online_after))
        assert int(to_numpy(model.momentum_step)) == k + 1
        # The step's loss used the updated targets and the pre-step online network.
        after_step = numpy_weights(model.trainable_weights)
        for variable, value in zip(model.trainable_weights, trainable_before):
            variable.assign(value)
        expected_loss = oracle_loss(model, x1, x2)
        np.testing.assert_allclose(history.history["loss"][0], expected_loss, rtol=1e-4)
        for variable, value in zip(model.trainable_weights, after_step):
            variable.assign(value)


def test_momentum_one_keeps_the_target_fixed_through_training():
    # tau = 1: any change of the target would have to come from the optimizer.
    model = make_model(base_momentum=1.0)
    perturb_target(model)
    _, target_before = online_and_target(model)
    model.fit(view_pair(8, seed=3), batch_size=4, epochs=2, verbose=0)
    _, target_after = online_and_target(model)
    for before, after in zip(target_before, target_after):
        np.testing.assert_array_equal(before, after)


def test_no_gradient_reaches_the_targets():
    model = make_model()
    perturb_target(model)
    outputs = {key: to_numpy(value) for key, value in model(view_pair(5, seed=4)).items()}
    keys = ("p_a", "p_b", "target_a", "target_b")

    def loss(p_a, p_b, target_a, target_b):
        y_pred = dict(zip(keys, (p_a, p_b, target_a, target_b)))
        zero = 0.0 * (keras.ops.sum(target_a) + keras.ops.sum(target_b))
        return model.compute_ssl_loss(y_pred) + zero

    gradients = autodiff_gradients(loss, *(outputs[key] for key in keys))
    np.testing.assert_array_equal(gradients[2], 0.0)
    np.testing.assert_array_equal(gradients[3], 0.0)
    assert np.abs(gradients[0]).sum() > 0 and np.abs(gradients[1]).sum() > 0


def test_short_fit_with_probe_and_batch_norm():
    model = BYOL(
        toy_encoder(output_dim=8),
        projector=head(use_batch_norm=True),
        predictor=head(hidden=4, use_batch_norm=True),
        augmentation=NoiseViews(seed=1),
        base_momentum=0.9,
        total_steps=3,
        num_classes=4,
    )
    check_short_fit(model, expected_metrics=())
    assert int(to_numpy(model.momentum_step)) == 3  # one per training step
    # Only trainable weights are averaged; BatchNorm statistics of the target are its own.
    assert any("moving_mean" in v.path for v in model.target_encoder.weights)


def test_get_config_and_save_round_trip(tmp_path):
    model = make_model(base_momentum=0.9, total_steps=7, num_classes=4)
    check_save_round_trip(model, tmp_path, ("base_momentum", "total_steps", "num_classes"))


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"base_momentum": 1.5}, "base_momentum"),
        ({"total_steps": 0}, "total_steps"),
        ({"total_steps": 2.5}, "total_steps"),
    ],
)
def test_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        BYOL(dense_encoder(), **arguments)
