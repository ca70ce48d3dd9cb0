"""Momentum (EMA) helpers against their NumPy formulas."""

import math

import keras
import numpy as np
import pytest

from ssl_keras.models.momentum import (
    check_momentum,
    cosine_momentum,
    initialize_target,
    momentum_update,
    paired_weights,
)
from tests.models.helpers import to_numpy


def test_momentum_update_is_the_exponential_moving_average():
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), ()]
    targets = [keras.Variable(rng.normal(size=s).astype("float32")) for s in shapes]
    online = [rng.normal(size=s).astype("float32") for s in shapes]
    before = [to_numpy(t).copy() for t in targets]
    momentum_update(targets, online, 0.75)
    for after, t, o in zip(targets, before, online):
        np.testing.assert_allclose(to_numpy(after), 0.75 * t + 0.25 * o, rtol=1e-6)
    # A tensor momentum works the same; 1 keeps the target, 0 copies the online weights.
    momentum_update(targets, online, keras.ops.convert_to_tensor(1.0))
    momentum_update(targets[:1], online[:1], 0.0)
    np.testing.assert_array_equal(to_numpy(targets[0]), online[0])
    np.testing.assert_allclose(to_numpy(targets[1]), 0.75 * before[1] + 0.25 * online[1])


@pytest.mark.parametrize("base", [0.99, 0.996, 0.5])
def test_cosine_momentum_is_byol_schedule(base):
    total = 10
    for k in range(0, 13):
        # tau_k = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2, and 1 after K steps.
        expected = 1 - (1 - base) * (math.cos(math.pi * min(k, total) / total) + 1) / 2
        value = float(to_numpy(cosine_momentum(k, total, base)))
        np.testing.assert_allclose(value, expected, rtol=1e-6)
        step = keras.ops.convert_to_tensor(k, dtype="int32")
        np.testing.assert_allclose(float(to_numpy(cosine_momentum(step, total, base))), value)
    np.testing.assert_allclose(float(to_numpy(cosine_momentum(0, total, base))), base, rtol=1e-6)
    np.testing.assert_allclose(float(to_numpy(cosine_momentum(total, total, base))), 1.0)
    np.testing.assert_allclose(
        float(to_numpy(cosine_momentum(total // 2, total, base))), (1 + base) / 2, rtol=1e-6
    )


def test_initialize_target_copies_and_freezes_and_pairs_trainable_weights():
    online = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2), keras.layers.BatchNormalization()]
    )
    target = keras.models.clone_model(online)
    initialize_target(target.weights, online.weights)
    for t, o in zip(target.weights, online.weights):
        np.testing.assert_array_equal(to_numpy(t), to_numpy(o))
        assert not t.trainable
    target_weights, online_weights = paired_weights([online], [target])
    # Dense kernel and bias, BatchNorm gamma and beta; not the moving statistics.
    assert [w.path for w in online_weights] == [w.path for w in online.trainable_weights]
    assert len(target_weights) == 4
    # With the statistics: every float weight, in the same order on both sides.
    target_weights, online_weights = paired_weights([online], [target], include_statistics=True)
    assert [w.path for w in online_weights] == [w.path for w in online.weights]
    assert [w.path for w in target_weights] == [w.path for w in target.weights]
    assert len(target_weights) == 6
    with pytest.raises(ValueError, match="do not match"):
        initialize_target(target.weights[:-1], online.weights)


@pytest.mark.parametrize("value", [-0.1, 1.5, True, "0.9"])
def test_check_momentum_rejects(value):
    with pytest.raises(ValueError, match="momentum"):
        check_momentum(value)
