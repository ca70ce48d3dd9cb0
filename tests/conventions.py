"""The conventions every public layer and loss of ssl_keras keeps, as reusable checks.

A layer: its config round-trips (through JSON, as `.keras` files store it); a model
holding it saves to `.keras` and loads back with the same weights and seed state, so the
loaded copy computes the same outputs; a dtype policy sets the dtype of every output;
it trains inside `model.fit` (finite loss, its own weights and the layers after it updated).

A loss: the class computes the function's value on stacked views; its config
round-trips through `keras.losses.serialize`; a model compiled with it saves to `.keras`
and loads back with the same loss; float16 and bfloat16 embeddings give a float32 value
close to the float32 one; it trains a model inside `model.fit`.

`tests/test_conventions.py` runs these on every class that `ssl_keras.layers` and
`ssl_keras.losses` export; a model's tests use `tests/models/ssl_model_checks.py`.
"""

from __future__ import annotations

import json

import keras
import numpy as np

from tests.layers.helpers import to_numpy

POLICIES = ("float32", "mixed_bfloat16", "float16")


def outputs_as_list(outputs) -> list:
    return [to_numpy(x) for x in keras.tree.flatten(outputs)]


# ----------------------------------------------------------------------------- layers


class LayerUnderTest(keras.Model):
    """`layer(inputs, training)` followed by a Dense unit on every output, summed: a
    trainable model whose loss depends on all of the layer's outputs."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer
        self.flatten = keras.layers.Flatten()
        self.readout = keras.layers.Dense(1, name="readout")

    def call(self, inputs, training=None):
        outputs = keras.tree.flatten(self.layer(inputs, training=training))
        features = [self.flatten(keras.ops.cast(x, "float32")) for x in outputs]
        # Views of other sizes (multi-crop): pool each to one value per image first.
        if len({f.shape[-1] for f in features}) > 1:
            features = [keras.ops.mean(f, axis=-1, keepdims=True) for f in features]
        return self.readout(keras.ops.concatenate(features, axis=-1))


def check_layer_config_round_trip(layer) -> None:
    """`from_config(get_config())` through JSON rebuilds the same config."""
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(layer)))
    rebuilt = keras.saving.deserialize_keras_object(config)
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == layer.get_config()


def check_layer_saves(make_layer, inputs, tmp_path) -> None:
    """A model holding the layer saves to `.keras` and loads back as the layer its config
    describes: the same weights, the same inference outputs, and, from the same seed, the
    same random draws as a new layer. (Like Keras's own random layers, the seed
    generators' state is not saved: a loaded layer starts again from its seed.)"""
    original = keras.Sequential([keras.Input(inputs.shape[1:]), make_layer()])
    original(inputs)  # builds every sublayer
    path = tmp_path / "layer.keras"
    original.save(path)
    loaded = keras.saving.load_model(path)
    _assert_all_close([to_numpy(w) for w in original.weights],
                      [to_numpy(w) for w in loaded.weights])
    _assert_all_close(outputs_as_list(original(inputs, training=False)),
                      outputs_as_list(loaded(inputs, training=False)))
    fresh = keras.Sequential([keras.Input(inputs.shape[1:]), make_layer()])
    fresh.set_weights(loaded.get_weights())
    _assert_all_close(outputs_as_list(fresh(inputs, training=True)),
                      outputs_as_list(loaded(inputs, training=True)))


def _assert_all_close(expected, received) -> None:
    assert len(expected) == len(received)
    for a, b in zip(expected, received):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


def check_layer_dtype_policy(make_layer, inputs, policy: str) -> None:
    """Every output is in the policy's compute dtype, finite."""
    layer = make_layer(dtype=policy)
    compute_dtype = keras.dtype_policies.get(policy).compute_dtype
    outputs = keras.tree.flatten(layer(inputs, training=True))
    for output in outputs:
        assert keras.backend.standardize_dtype(output.dtype) == compute_dtype, (
            policy, output.dtype)
        assert np.all(np.isfinite(to_numpy(keras.ops.cast(output, "float32"))))


def check_layer_trains(make_layer, inputs, steps: int = 2) -> None:
    """`fit` with the layer inside: finite losses, the readout and the layer's own
    trainable weights updated."""
    model = LayerUnderTest(make_layer(), name="layer_under_test")
    model(inputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    before = {id(v): to_numpy(v).copy() for v in model.trainable_weights}
    targets = np.ones((len(inputs), 1), "float32")
    history = model.fit(inputs, targets, batch_size=len(inputs), epochs=steps, verbose=0)
    assert np.all(np.isfinite(history.history["loss"])), history.history
    changed = {id(v): not np.allclose(before[id(v)], to_numpy(v))
               for v in model.trainable_weights}
    for variable in model.readout.trainable_weights + model.layer.trainable_weights:
        assert changed[id(variable)], f"{variable.path} did not change"


# ----------------------------------------------------------------------------- losses


def stacked_views(n: int = 6, dim: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    z_a = rng.normal(size=(n, dim)).astype("float32")
    z_b = (z_a + 0.5 * rng.normal(size=(n, dim))).astype("float32")
    return z_a, z_b


def check_loss_matches_function(loss, function, kwargs: dict, n: int = 6) -> None:
    """`loss(None, [z_a; z_b])` equals `function(z_a, z_b, **kwargs)`."""
    z_a, z_b = stacked_views(n)
    expected = float(to_numpy(function(z_a, z_b, **kwargs)))
    received = float(to_numpy(loss(np.zeros(2 * n), np.concatenate([z_a, z_b]))))
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)


def check_loss_config_round_trip(loss) -> None:
    config = json.loads(json.dumps(keras.losses.serialize(loss)))
    rebuilt = keras.losses.deserialize(config)
    assert type(rebuilt) is type(loss)
    assert rebuilt.get_config() == loss.get_config()


def check_loss_low_precision(loss, n: int = 6) -> None:
    """float16 and bfloat16 embeddings: a finite float32 value near the float32 one."""
    z_a, z_b = stacked_views(n)
    stacked = np.concatenate([z_a, z_b])
    dummy = np.zeros(2 * n, "float32")
    reference = float(to_numpy(loss(dummy, stacked)))
    for dtype in ("float16", "bfloat16"):
        value = loss(dummy, keras.ops.cast(stacked, dtype))
        assert keras.backend.standardize_dtype(value.dtype) == "float32", (dtype, value.dtype)
        np.testing.assert_allclose(float(to_numpy(value)), reference, rtol=0.05, atol=0.05)


def _embedding_model(input_dim: int, output_dim: int = 4):
    return keras.Sequential([keras.Input((input_dim,)), keras.layers.Dense(output_dim)])


def check_loss_trains_and_saves(loss, tmp_path, n: int = 6) -> None:
    """A model compiled with the loss takes `fit` steps (finite loss, weights updated)
    on stacked views, and saves to `.keras` with the loss restored from its config."""
    z_a, z_b = stacked_views(n, dim=5)
    stacked = np.concatenate([z_a, z_b])
    model = _embedding_model(5)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss=loss)
    before = to_numpy(model.layers[0].kernel).copy()
    history = model.fit(stacked, np.zeros(2 * n, "float32"), batch_size=2 * n, epochs=2,
                        shuffle=False, verbose=0)
    assert np.all(np.isfinite(history.history["loss"])), history.history
    assert not np.allclose(before, to_numpy(model.layers[0].kernel))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is type(loss)
    assert loaded.loss.get_config() == loss.get_config()
    np.testing.assert_allclose(
        loaded.evaluate(stacked, np.zeros(2 * n), batch_size=2 * n, verbose=0),
        model.evaluate(stacked, np.zeros(2 * n), batch_size=2 * n, verbose=0),
        rtol=1e-5,
    )
