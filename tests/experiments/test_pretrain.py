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
