"""Pieces of the main job that notebooks reuse: the optimizer and its schedule."""

import math

import keras
import numpy as np

from ssl_keras.experiments.pretrain import config_for, make_optimizer


def _learning_rate(optimizer, step):
    schedule = optimizer.get_config()["learning_rate"]
    schedule = keras.optimizers.schedules.deserialize(schedule)
    return float(keras.ops.convert_to_numpy(schedule(step)))


def test_make_optimizer_warms_up_then_decays_by_cosine():
    config = config_for("digits", epochs=4, batch_size=100, learning_rate=2e-3,
                        weight_decay=1e-4)
    optimizer = make_optimizer(config, num_train=1000)  # 10 steps an epoch, 40 in all
    assert isinstance(optimizer, keras.optimizers.AdamW)
    assert math.isclose(optimizer.weight_decay, 1e-4)
    steps, warmup = 40, 2  # warmup = 5% of the steps
    assert _learning_rate(optimizer, 0) == 0.0
    np.testing.assert_allclose(_learning_rate(optimizer, 1), 1e-3, rtol=1e-5)  # linear
    np.testing.assert_allclose(_learning_rate(optimizer, warmup), 2e-3, rtol=1e-5)
    for step in (10, 25, steps):
        progress = (step - warmup) / steps  # Keras counts the decay after the warmup
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        expected = 2e-3 * ((1 - 0.01) * cosine + 0.01)  # decays to alpha = 1% of the peak
        np.testing.assert_allclose(_learning_rate(optimizer, step), expected, rtol=1e-4)


def test_make_optimizer_handles_fewer_images_than_a_batch():
    optimizer = make_optimizer(config_for("digits", epochs=1, batch_size=128), num_train=10)
    assert _learning_rate(optimizer, 1) > 0.0


def test_method_options_scale_with_the_budget():
    from ssl_keras.experiments.pretrain import method_options

    digits = config_for("digits", method="moco")  # batch 128
    moco = method_options(digits, 1258)
    # A queue holding most of the data would hold every query's own image as a negative.
    assert moco["queue_size"] == 157 and moco["momentum"] == 0.99
    assert method_options(digits, 500)["queue_size"] == 128  # at least one batch
    assert method_options(config_for("cifar10", method="moco"), 50_000)["queue_size"] == 4096
    byol = method_options(config_for("digits", method="byol", epochs=3, batch_size=100), 1000)
    assert byol == {"total_steps": 30}
    dino = method_options(config_for("digits", method="dino", epochs=3, batch_size=100), 1000)
    assert dino == {"total_steps": 30}  # the teacher's cosine momentum schedule
    assert method_options(config_for("digits"), 1000) == {"temperature": 0.2}
    assert method_options(config_for("digits", method="vicreg"), 1000) == {}


def test_train_method_trains_with_the_given_optimizer_and_model_options():
    from ssl_keras.experiments.pretrain import train_method
    from tests.conftest import to_numpy

    images = np.random.default_rng(0).integers(0, 256, (16, 16, 16, 3)).astype("uint8")
    config = config_for("digits", method="moco", epochs=1, batch_size=8, width=4)
    optimizer = keras.optimizers.SGD(0.01)
    model, history = train_method(config, images, verbose=0, optimizer=optimizer,
                                  key_encoder_training=False)
    assert model.optimizer is optimizer and model.key_encoder_training is False
    assert int(to_numpy(optimizer.iterations)) == 2 and len(history.history["loss"]) == 1
