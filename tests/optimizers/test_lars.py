"""LARS against a NumPy transcription of SimCLR's `lars_optimizer.py` update."""

import keras
import numpy as np
import pytest

from ssl_keras.optimizers import LARS
from tests.conftest import to_numpy


def numpy_lars(weights, gradients, learning_rate, momentum, nesterov, weight_decay_rate, eta,
               decay, adapt):
    """SimCLR's LARS (classic momentum), one variable, written from the paper's rule."""
    w = np.array(weights, dtype="float64")
    velocity = np.zeros_like(w)
    for g in gradients:
        g = np.array(g, dtype="float64")
        if decay and weight_decay_rate:
            g = g + weight_decay_rate * w
        trust_ratio = 1.0
        if adapt:
            w_norm, g_norm = np.linalg.norm(w), np.linalg.norm(g)
            if w_norm > 0 and g_norm > 0:
                trust_ratio = eta * w_norm / g_norm
        scaled_lr = learning_rate * trust_ratio
        velocity = momentum * velocity + scaled_lr * g
        update = momentum * velocity + scaled_lr * g if nesterov else velocity
        w = w - update
    return w


def small_model():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization(name="norm"),
         keras.layers.Dense(2, use_bias=False, name="head")]
    )
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=v.shape).astype("float32") for v in model.weights])
    return model


def run_steps(optimizer, model, gradients):
    variables = model.trainable_variables
    initial = [to_numpy(v) for v in variables]
    for step in gradients:
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in step], variables)
    return initial, [to_numpy(v) for v in variables]


def fixed_gradients(model, steps=3):
    rng = np.random.default_rng(1)
    return [
        [rng.normal(size=v.shape).astype("float32") for v in model.trainable_variables]
        for _ in range(steps)
    ]


@pytest.mark.parametrize("nesterov", [False, True])
def test_update_matches_numpy_with_default_exclusions(nesterov):
    model = small_model()
    gradients = fixed_gradients(model)
    settings = dict(learning_rate=0.5, momentum=0.9, nesterov=nesterov,
                    weight_decay_rate=0.1, eta=0.2)
    initial, final = run_steps(LARS(**settings), model, gradients)
    paths = [v.path for v in model.trainable_variables]
    # Kernels are decayed and adapted; bias, gamma and beta are neither (SimCLR's default;
    # the batch norm is named "norm", so its variables are excluded as gamma and beta).
    expected_excluded = {p: not p.endswith("kernel") for p in paths}
    assert sum(expected_excluded.values()) == 3  # dense/bias, gamma, beta
    for i, path in enumerate(paths):
        included = not expected_excluded[path]
        expected = numpy_lars(initial[i], [g[i] for g in gradients], decay=included,
                              adapt=included, **settings)
        np.testing.assert_allclose(final[i], expected, rtol=1e-5, atol=1e-6, err_msg=path)


def test_trust_ratio_changes_the_step():
    # Guard that the oracle comparison is sensitive: with adaptation, the kernel's step
    # differs from plain momentum SGD's.
    model = small_model()
    gradients = fixed_gradients(model, steps=1)
    initial, final = run_steps(LARS(learning_rate=0.5, eta=0.2), model, gradients)
    plain = initial[0] - 0.5 * gradients[0][0]
    assert not np.allclose(final[0], plain, atol=1e-3)


def test_custom_exclusions():
    model = small_model()
    gradients = fixed_gradients(model)
    settings = dict(learning_rate=0.3, momentum=0.5, nesterov=False,
                    weight_decay_rate=0.2, eta=0.1)
    optimizer = LARS(exclude_from_weight_decay=[], exclude_from_layer_adaptation=["head"],
                     **settings)
    initial, final = run_steps(optimizer, model, gradients)
    for i, variable in enumerate(model.trainable_variables):
        adapt = "head" not in variable.path
        expected = numpy_lars(initial[i], [g[i] for g in gradients], decay=True, adapt=adapt,
                              **settings)
        np.testing.assert_allclose(final[i], expected, rtol=1e-5, atol=1e-6,
                                   err_msg=variable.path)
    assert optimizer.exclude_from_layer_adaptation == ("head",)


def test_zero_weights_and_zero_momentum_fall_back_to_sgd():
    variable = keras.Variable(np.zeros((2, 3), "float32"), name="kernel")
    gradient = np.arange(6, dtype="float32").reshape(2, 3)
    LARS(learning_rate=0.5, momentum=0.0, eta=0.01).apply([gradient], [variable])
    np.testing.assert_allclose(to_numpy(variable), -0.5 * gradient, rtol=1e-6)


def test_get_config_round_trip():
    optimizer = LARS(learning_rate=0.2, momentum=0.8, nesterov=True, weight_decay_rate=1e-6,
                     eta=0.002, exclude_from_weight_decay=["bias"], clipnorm=1.0)
    config = optimizer.get_config()
    assert "weight_decay" not in config
    restored = LARS.from_config(config)
    assert restored.get_config() == config
    assert restored.exclude_from_layer_adaptation == ("bias",)
    revived = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(revived, LARS) and revived.get_config() == config


def test_fit_trains_a_tiny_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1))).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=LARS(learning_rate=0.1, eta=0.05, weight_decay_rate=1e-6), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"momentum": 1.5}, "momentum"),
        ({"eta": 0.0}, "eta"),
        ({"weight_decay_rate": -1.0}, "weight_decay_rate"),
        ({"weight_decay": 1e-4}, "weight_decay_rate"),
        ({"exclude_from_weight_decay": "bias"}, "exclude_from_weight_decay"),
        ({"exclude_from_layer_adaptation": ["("]}, "exclude_from_layer_adaptation"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LARS(**kwargs)
