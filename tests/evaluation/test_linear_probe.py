"""Linear probe on frozen features."""

import keras
import numpy as np
import pytest

from ssl_keras.evaluation import (
    LinearProbeResult,
    extract_features,
    linear_probe,
    linear_probe_from_encoder,
)


def _blobs(rng, num_samples, num_classes=3, dim=8, separation=6.0):
    labels = rng.integers(0, num_classes, num_samples)
    features = separation * np.eye(num_classes, dim)[labels] + rng.normal(size=(num_samples, dim))
    return features.astype("float32"), labels


def test_linearly_separable_data_is_learned(rng):
    # Offset and scale far from standardised: the probe's standardisation handles it.
    features, labels = _blobs(rng, 300)
    features = 1000.0 * features + 5000.0
    result = linear_probe(
        features[:150], labels[:150], features[150:], labels[150:],
        epochs=8, batch_size=8, learning_rate=0.05, seed=0, verbose=0,
    )
    assert isinstance(result, LinearProbeResult)
    assert result.accuracy == 1.0 and result.train_accuracy == 1.0
    assert set(result.history) == {"loss", "accuracy"}
    assert len(result.history["loss"]) == 8
    assert result.history["loss"][-1] < result.history["loss"][0]
    # The model takes raw features: its predictions reproduce the reported accuracy.
    logits = result.model.predict(features[150:], verbose=0)
    assert logits.shape == (150, 3)
    assert np.mean(np.argmax(logits, axis=-1) == labels[150:]) == result.accuracy


def test_random_labels_give_chance_accuracy(rng):
    features = rng.normal(size=(600, 16)).astype("float32")
    labels = rng.integers(0, 4, 600)
    result = linear_probe(
        features[:200], labels[:200], features[200:], labels[200:],
        epochs=3, batch_size=64, seed=0, verbose=0,
    )
    # Chance is 0.25; the standard deviation over 400 test points is ~0.022.
    assert 0.15 < result.accuracy < 0.35


def test_standardisation_layer_holds_train_statistics(rng):
    features, labels = _blobs(rng, 60)
    features[:, 5] = 3.0  # constant on the training set: centred, not divided
    result = linear_probe(features, labels, features, labels, epochs=1, verbose=0)
    layer = result.model.get_layer("standardize")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.mean)[0], features.mean(0),
                               rtol=1e-5, atol=1e-5)
    expected_std = features.std(0)
    expected_std[5] = 1.0
    np.testing.assert_allclose(np.sqrt(keras.ops.convert_to_numpy(layer.variance)[0]),
                               expected_std, rtol=1e-5)
    test = features.copy()
    test[:, 5] = 1e6  # would explode if divided by a zero standard deviation
    assert np.all(np.isfinite(result.model.predict(test, verbose=0)))


def test_without_standardisation_the_model_is_one_dense_layer(rng):
    features, labels = _blobs(rng, 40)
    result = linear_probe(features, labels, features, labels, epochs=1, standardize=False,
                          verbose=0)
    layers = [layer for layer in result.model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(layers) == 1
    assert not any(isinstance(layer, keras.layers.Normalization) for layer in result.model.layers)


def test_weight_decay_shrinks_the_kernel(rng):
    features, labels = _blobs(rng, 100)
    kernels = [
        linear_probe(features, labels, features, labels, epochs=5, batch_size=20, seed=0,
                     weight_decay=decay, verbose=0).model.get_layer("classifier").get_weights()[0]
        for decay in (0.0, 5.0)
    ]
    assert np.linalg.norm(kernels[1]) < 0.9 * np.linalg.norm(kernels[0])


def test_seed_makes_the_run_reproducible(rng):
    features, labels = _blobs(rng, 100, separation=1.0)
    runs = [
        linear_probe(features[:60], labels[:60], features[60:], labels[60:], epochs=3,
                     batch_size=16, seed=5, verbose=0)
        for _ in range(2)
    ]
    np.testing.assert_allclose(runs[0].history["loss"], runs[1].history["loss"], rtol=1e-6)
    np.testing.assert_allclose(runs[0].model.get_layer("classifier").get_weights()[0],
                               runs[1].model.get_layer("classifier").get_weights()[0], rtol=1e-6)


def test_from_encoder_equals_probe_on_extracted_features(rng):
    encoder = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(6)]
    )
    images = rng.uniform(0, 255, (80, 4, 4, 1)).astype("float32")
    labels = rng.integers(0, 2, 80)
    kwargs = {"epochs": 2, "batch_size": 16, "seed": 1}
    result = linear_probe_from_encoder(
        encoder, images[:50], labels[:50], images[50:], labels[50:], verbose=0, **kwargs
    )
    direct = linear_probe(
        extract_features(encoder, images[:50], verbose=0), labels[:50],
        extract_features(encoder, images[50:], verbose=0), labels[50:], verbose=0, **kwargs,
    )
    assert result.accuracy == direct.accuracy
    np.testing.assert_allclose(result.history["loss"], direct.history["loss"], rtol=1e-5)


def test_num_classes_sets_the_output_width(rng):
    features, labels = _blobs(rng, 30)
    result = linear_probe(features, labels[:, None], features, labels, num_classes=10,
                          epochs=1, verbose=0)
    assert result.model.output_shape == (None, 10)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"epochs": 0}, "`epochs` should be a positive integer"),
        ({"batch_size": -1}, "`batch_size` should be a positive integer"),
        ({"learning_rate": 0}, "`learning_rate` should be > 0"),
        ({"weight_decay": -0.1}, "`weight_decay` should be >= 0"),
        ({"num_classes": 2}, "class ids < num_classes=2"),
    ],
)
def test_bad_arguments_raise_value_error(rng, kwargs, message):
    features, labels = _blobs(rng, 20)
    with pytest.raises(ValueError, match=message):
        linear_probe(features, labels, features, labels, verbose=0, **kwargs)


def test_bad_shapes_raise_value_error(rng):
    features, labels = _blobs(rng, 20)
    with pytest.raises(ValueError, match="same feature size"):
        linear_probe(features, labels, features[:, :3], labels, verbose=0)
    with pytest.raises(ValueError, match="one label per sample"):
        linear_probe(features, labels[:4], features, labels, verbose=0)
    with pytest.raises(ValueError, match="rank-2"):
        linear_probe(features[None], labels, features, labels, verbose=0)
