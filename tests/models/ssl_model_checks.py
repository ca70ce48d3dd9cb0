"""Checks shared by the tests of the `SelfSupervisedModel` subclasses: tiny networks,
fixed view pairs, a short fit from images, the config and `.keras` round trip."""

import keras
import numpy as np

from ssl_keras.layers import ProjectionHead
from tests.models.helpers import IMAGE_SHAPE, tiny_images, to_numpy

PAIR_SHAPE = ((None,) + IMAGE_SHAPE, (None,) + IMAGE_SHAPE)


def dense_encoder():
    """No BatchNorm: a forward pass in training mode changes no state (oracle-friendly)."""
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            keras.layers.Rescaling(1.0 / 255.0),
            keras.layers.Flatten(),
            keras.layers.Dense(12, activation="relu"),
        ],
        name="dense_encoder",
    )


def head(output_dim=6, hidden=10, use_batch_norm=False, name=None):
    return ProjectionHead(
        hidden_dims=(hidden,), output_dim=output_dim, use_batch_norm=use_batch_norm, name=name
    )


def view_pair(num_images, seed):
    """Two fixed float32 views of `num_images` random images."""
    images, _ = tiny_images(num_images, seed=seed)
    rng = np.random.default_rng(seed + 100)
    view_b = np.clip(images + rng.normal(0, 30, images.shape), 0, 255).astype("float32")
    return images.astype("float32"), view_b


def numpy_weights(variables):
    return [to_numpy(v).copy() for v in variables]


def check_target_is_a_frozen_copy(model, online_layers, target_layers):
    """A momentum (target / teacher / key) network right after `build`: every weight equal
    to its online twin's, none trainable, and the momentum step counter at 0. The tests
    name the layers themselves rather than reading the model's `momentum_pairs`."""
    online = [w for layer in online_layers for w in layer.weights]
    target = [w for layer in target_layers for w in layer.weights]
    assert online and len(online) == len(target)
    for o, t in zip(online, target):
        assert o.shape == t.shape
        np.testing.assert_array_equal(to_numpy(o), to_numpy(t))
    trainable = {id(v) for v in model.trainable_weights}
    assert not any(id(v) in trainable for v in target)
    assert all(not v.trainable for v in target)
    if hasattr(model, "momentum_step"):
        assert int(to_numpy(model.momentum_step)) == 0


def check_short_fit(model, expected_metrics, steps=3, batch=8):
    """A few `fit` steps on augmented images with labels (online probe, BatchNorm): finite
    losses, the expected metrics, the encoder trained and the probe trained. (Fitting
    without labels is what the loss tests do.)"""
    images, labels = tiny_images(steps * batch, seed=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    model.build((None,) + IMAGE_SHAPE)
    encoder_before = numpy_weights(model.encoder.trainable_weights)
    probe_before = numpy_weights(model.linear_probe.trainable_weights)
    history = model.fit(images, labels, batch_size=batch, epochs=1, verbose=0).history
    expected = {"loss", "ssl_loss", "embedding_std", "probe_loss", "probe_accuracy"}
    assert set(history) == expected | set(expected_metrics), set(history)
    for values in history.values():
        assert np.all(np.isfinite(values)), history
    np.testing.assert_allclose(
        history["loss"], np.add(history["ssl_loss"], history["probe_loss"]), rtol=1e-4
    )
    for before, after in (
        (encoder_before, model.encoder.trainable_weights),
        (probe_before, model.linear_probe.trainable_weights),
    ):
        assert any(not np.allclose(b, to_numpy(a)) for b, a in zip(before, after))
    return history


def check_save_round_trip(model, tmp_path, scalar_keys):
    """`get_config` keeps the arguments; `.keras` save/load restores class, config, weights
    and outputs (on a fixed pair of views, inference mode)."""
    images, labels = tiny_images(8, seed=1)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    labels = None if model.linear_probe is None else labels
    model.fit(images, labels, batch_size=4, epochs=1, verbose=0)
    config = model.get_config()
    rebuilt = type(model).from_config(config)
    assert type(rebuilt) is type(model)
    for key in scalar_keys:
        assert rebuilt.get_config()[key] == config[key]
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    loaded_config = loaded.get_config()
    for key in scalar_keys:
        assert loaded_config[key] == config[key]
    for key in ("encoder", "augmentation") + type(model).serialized_layers:
        assert loaded_config[key]["class_name"] == config[key]["class_name"]
    assert len(loaded.weights) == len(model.weights)
    for original, restored in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(to_numpy(original), to_numpy(restored))
    pair = view_pair(4, seed=2)
    expected, restored = model(pair, training=False), loaded(pair, training=False)
    assert set(expected) == set(restored)
    for key in expected:
        np.testing.assert_allclose(
            to_numpy(restored[key]), to_numpy(expected[key]), rtol=1e-5, atol=1e-6
        )
