"""DINO: the loss is Algorithm 1 on the sublayers' outputs (NumPy), the teacher gets no
gradient and follows the EMA with the cosine schedule, the center follows its EMA of the
teacher's batch mean (NumPy), multi-crop views, training runs, saving round-trips."""

import math

import keras
import numpy as np
import pytest

from ssl_keras.layers import MultiCropAugmentation
from ssl_keras.models import DINO, DINOHead
from tests.conftest import autodiff_gradients
from tests.models.helpers import NoiseViews, tiny_images, to_numpy, toy_encoder
from tests.models.ssl_model_checks import (
    PAIR_SHAPE,
    check_save_round_trip,
    check_short_fit,
    check_target_is_a_frozen_copy,
    dense_encoder,
    numpy_weights,
    view_pair,
)

K = 16


def dino_head(hidden=10, bottleneck=6, output_dim=K, **kwargs):
    return DINOHead(hidden_dims=(hidden,), bottleneck_dim=bottleneck, output_dim=output_dim,
                    name="projector", **kwargs)


def make_model(encoder=None, **kwargs):
    model = DINO(
        dense_encoder() if encoder is None else encoder,
        projector=dino_head(),
        augmentation=NoiseViews(seed=3),
        **kwargs,
    )
    model.build(PAIR_SHAPE)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    return model


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def numpy_dino_loss(student_views, teacher_views, center, tps=0.1, tpt=0.04):
    """Caron et al. (2021), Algorithm 1 with Sec. 3.1's multi-crop: for each teacher
    (global) view g and each other student view v, H(t_g, s_v) =
    -(softmax((t - C) / tpt) * log softmax(s / tps)).sum(dim=1).mean(); the mean of the
    pairs (two views: H(t1, s2)/2 + H(t2, s1)/2)."""
    terms = []
    for g, t in enumerate(teacher_views):
        for v, s in enumerate(student_views):
            if v != g:
                target = softmax((t - center) / tpt)
                terms.append(-(target * np.log(softmax(s / tps))).sum(axis=1).mean())
    return np.mean(terms)


def numpy_head(head, features):
    """DINOHead, Sec. 3.1: MLP -> l2 normalization -> weight-normalized linear layer (each
    prototype divided by its norm, gain 1 or learned), no bias."""
    x = to_numpy(head.mlp(features)).astype("float64")
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    v = to_numpy(head.prototypes).astype("float64")
    logits = x @ (v / np.linalg.norm(v, axis=0, keepdims=True))
    if head.prototype_gain is not None:
        logits = logits * to_numpy(head.prototype_gain)
    return logits


def student_and_teacher(model):
    student = model.encoder.weights + model.projector.weights
    teacher = model.teacher_encoder.weights + model.teacher_projector.weights
    return numpy_weights(student), numpy_weights(teacher)


def sublayer_logits(model, views):
    student = [to_numpy(model.projector(model.encoder(x))).astype("float64") for x in views]
    teacher = [to_numpy(model.teacher_projector(model.teacher_encoder(x))).astype("float64")
               for x in views[:2]]
    return student, teacher


def oracle_loss(model, views, center=None):
    student, teacher = sublayer_logits(model, views)
    center = to_numpy(model.center) if center is None else center
    return numpy_dino_loss(student, teacher, center, model.student_temperature,
                           model.teacher_temperature)


def perturb_teacher_and_center(model, seed=2):
    rng = np.random.default_rng(seed)
    for variable in model.teacher_encoder.weights + model.teacher_projector.weights:
        variable.assign(to_numpy(variable) + rng.normal(0, 0.1, variable.shape))
    model.center.assign(rng.normal(0, 0.3, (K,)).astype("float32"))


def test_head_is_mlp_l2_norm_and_weight_normalized_prototypes(rng):
    features = rng.normal(size=(5, 12)).astype("float32")
    for normalize in (True, False):
        head = dino_head(normalize_last_layer=normalize)
        logits = to_numpy(head(features))
        if not normalize:
            assert head.prototype_gain.trainable
            head.prototype_gain.assign(rng.uniform(0.5, 2.0, K).astype("float32"))
            logits = to_numpy(head(features))
        np.testing.assert_allclose(logits, numpy_head(head, features), rtol=1e-4, atol=1e-6)
        if normalize:  # cosines
            assert head.prototype_gain is None and np.all(np.abs(logits) <= 1 + 1e-6)
    restored = DINOHead.from_config(head.get_config())
    assert restored.get_config() == head.get_config()


def test_teacher_starts_as_a_frozen_copy_and_the_center_at_zero():
    model = make_model()
    check_target_is_a_frozen_copy(model, (model.encoder, model.projector),
                                  (model.teacher_encoder, model.teacher_projector))
    trainable = {id(v) for v in model.trainable_weights}
    assert not model.center.trainable and id(model.center) not in trainable
    np.testing.assert_array_equal(to_numpy(model.center), np.zeros(K))


def test_loss_is_algorithm1_in_evaluation_and_leaves_the_center():
    model = make_model(student_temperature=0.2, teacher_temperature=0.05)
    perturb_teacher_and_center(model)
    center = to_numpy(model.center).copy()
    views = view_pair(5, seed=0)
    outputs = model(views, training=False)
    loss = float(to_numpy(model.compute_loss(y_pred=outputs, training=False)))
    np.testing.assert_allclose(loss, oracle_loss(model, views), rtol=1e-5)
    np.testing.assert_array_equal(to_numpy(model.center), center)
    # evaluate() changes neither the center nor the teacher.
    _, teacher_before = student_and_teacher(model)
    model.evaluate(views, batch_size=5, verbose=0)
    np.testing.assert_array_equal(to_numpy(model.center), center)
    for before, after in zip(teacher_before, student_and_teacher(model)[1]):
        np.testing.assert_array_equal(before, after)


def test_fit_steps_teacher_ema_center_ema_and_the_loss_on_the_previous_center():
    base, total, center_momentum = 0.5, 4, 0.8
    model = make_model(base_momentum=base, total_steps=total, center_momentum=center_momentum)
    perturb_teacher_and_center(model)
    for k in range(3):
        views = view_pair(4, seed=10 + k)
        student_before, teacher_before = student_and_teacher(model)
        trainable_before = numpy_weights(model.trainable_weights)
        center_before = to_numpy(model.center).astype("float64")
        history = model.fit(views, batch_size=4, epochs=1, shuffle=False, verbose=0)
        student_after, teacher_after = student_and_teacher(model)
        # BYOL's cosine schedule: l_k = 1 - (1 - l_base) (cos(pi k / K) + 1) / 2.
        tau = 1 - (1 - base) * (math.cos(math.pi * k / total) + 1) / 2
        for s, t, after in zip(student_before, teacher_before, teacher_after):
            np.testing.assert_allclose(after, tau * t + (1 - tau) * s, rtol=1e-5, atol=1e-6)
        assert any(not np.allclose(b, a) for b, a in zip(student_before, student_after))
        assert int(to_numpy(model.momentum_step)) == k + 1
        # The center: C <- m C + (1 - m) mean of the step's teacher logits (the teacher
        # after its update, which the optimizer does not move).
        _, teacher_logits = sublayer_logits(model, views)
        expected_center = (center_momentum * center_before
                           + (1 - center_momentum) * np.concatenate(teacher_logits).mean(0))
        np.testing.assert_allclose(to_numpy(model.center), expected_center, rtol=1e-5,
                                   atol=1e-6)
        # The step's loss: the pre-step student, the updated teacher, the previous center.
        after_step = numpy_weights(model.trainable_weights)
        for variable, value in zip(model.trainable_weights, trainable_before):
            variable.assign(value)
        expected_loss = oracle_loss(model, views, center=center_before)
        np.testing.assert_allclose(history.history["loss"][0], expected_loss, rtol=1e-4)
        for variable, value in zip(model.trainable_weights, after_step):
            variable.assign(value)


def test_momentum_one_keeps_teacher_and_center():
    model = make_model(base_momentum=1.0, center_momentum=1.0)
    perturb_teacher_and_center(model)
    _, teacher_before = student_and_teacher(model)
    center = to_numpy(model.center).copy()
    model.fit(view_pair(8, seed=3), batch_size=4, epochs=2, verbose=0)
    for before, after in zip(teacher_before, student_and_teacher(model)[1]):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_allclose(to_numpy(model.center), center, rtol=1e-6)


def test_no_gradient_reaches_the_teacher():
    model = make_model()
    perturb_teacher_and_center(model)
    outputs = {key: to_numpy(value) for key, value in model(view_pair(5, seed=4)).items()}
    keys = ("z_a", "z_b", "teacher_a", "teacher_b")

    def loss(*values):
        y_pred = dict(zip(keys, values))
        zero = 0.0 * (keras.ops.sum(values[2]) + keras.ops.sum(values[3]))
        return model.compute_ssl_loss(y_pred) + zero

    gradients = autodiff_gradients(loss, *(outputs[key] for key in keys))
    np.testing.assert_array_equal(gradients[2], 0.0)
    np.testing.assert_array_equal(gradients[3], 0.0)
    assert np.abs(gradients[0]).sum() > 0 and np.abs(gradients[1]).sum() > 0
    # And in a training step the optimizer leaves every teacher weight alone (tau = 1).
    frozen = make_model(base_momentum=1.0)
    _, before = student_and_teacher(frozen)
    frozen.fit(view_pair(4, seed=5), batch_size=4, epochs=1, verbose=0)
    for b, a in zip(before, student_and_teacher(frozen)[1]):
        np.testing.assert_array_equal(b, a)


def test_local_views_go_to_the_student_only():
    # Four pre-made views: the first two global (teacher and student), two local.
    model = make_model()
    perturb_teacher_and_center(model)
    views = list(view_pair(3, seed=6)) + list(view_pair(3, seed=7))
    outputs = model(views, training=False)
    assert {"z_local_0", "z_local_1"} <= set(outputs)
    assert not any(key.startswith("teacher_local") for key in outputs)
    loss = float(to_numpy(model.compute_ssl_loss(outputs)))
    np.testing.assert_allclose(loss, oracle_loss(model, views), rtol=1e-5)


def _any_size_encoder():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x), name="any_size")


def test_fit_on_pre_made_views_of_two_sizes():
    # Two global 16x16 views and two local 8x8 views, through fit (list inputs).
    model = DINO(_any_size_encoder(), projector=dino_head(), augmentation=NoiseViews(),
                 total_steps=2)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    global_views = list(view_pair(8, seed=8))
    local_views = [view[:, 4:12, 4:12] for view in view_pair(8, seed=9)]
    history = model.fit(global_views + local_views, batch_size=4, epochs=1, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))
    assert int(to_numpy(model.momentum_step)) == 2 and np.any(to_numpy(model.center) != 0)
    outputs = model([view[:2] for view in global_views + local_views], training=False)
    assert tuple(outputs["z_local_1"].shape) == (2, K)
    np.testing.assert_allclose(
        float(to_numpy(model.compute_ssl_loss(outputs))),
        oracle_loss(model, [to_numpy(view[:2]) for view in global_views + local_views]),
        rtol=1e-5)


@pytest.mark.slow
def test_fit_with_multi_crop_augmentation():
    augmentation = MultiCropAugmentation(global_size=16, local_size=8, num_local_crops=2,
                                         preset="cifar", seed=0)
    model = DINO(_any_size_encoder(), projector=dino_head(), augmentation=augmentation,
                 total_steps=2)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    images, _ = tiny_images(8)
    history = model.fit(images, batch_size=4, epochs=1, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))
    assert int(to_numpy(model.momentum_step)) == 2
    assert np.any(to_numpy(model.center) != 0)
    outputs = model(images[:2], training=False)
    assert tuple(outputs["z_local_1"].shape) == (2, K)


def test_short_fit_with_probe_and_batch_norm():
    model = DINO(
        toy_encoder(output_dim=8),
        projector=dino_head(use_batch_norm=True),
        augmentation=NoiseViews(seed=1),
        base_momentum=0.9,
        total_steps=3,
        num_classes=4,
    )
    check_short_fit(model, expected_metrics=())
    assert int(to_numpy(model.momentum_step)) == 3
    assert any("moving_mean" in v.path for v in model.teacher_encoder.weights)


def test_get_config_and_save_round_trip(tmp_path):
    model = make_model(student_temperature=0.2, teacher_temperature=0.07, center_momentum=0.8,
                       base_momentum=0.9, total_steps=7, num_classes=4)
    check_save_round_trip(
        model, tmp_path,
        ("student_temperature", "teacher_temperature", "center_momentum", "base_momentum",
         "total_steps", "num_classes"),
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"student_temperature": 0.0}, "student_temperature"),
        ({"teacher_temperature": -0.1}, "teacher_temperature"),
        ({"center_momentum": 1.5}, "center_momentum"),
        ({"base_momentum": -0.1}, "base_momentum"),
        ({"total_steps": 0}, "total_steps"),
        ({"augmentation": MultiCropAugmentation(num_global_crops=3)}, "num_global_crops=2"),
    ],
)
def test_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        DINO(dense_encoder(), **arguments)


def test_rejects_a_single_view():
    model = make_model()
    with pytest.raises(ValueError, match="at least 2 views"):
        model([view_pair(2, seed=0)[0]])
