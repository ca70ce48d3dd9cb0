"""Batched feature extraction."""

import keras
import numpy as np
import pytest

from ssl_keras.evaluation import extract_features
from tests.conftest import to_numpy


def _small_encoder(dropout=0.0):
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Rescaling(1.0 / 255),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(dropout),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(5),
        ]
    )


@pytest.mark.parametrize("batch_size", [1, 3, 10, 256])
def test_model_features_equal_a_direct_call(rng, batch_size):
    encoder = _small_encoder()
    images = rng.uniform(0, 255, (10, 8, 8, 3)).astype("float32")
    features = extract_features(encoder, images, batch_size=batch_size, verbose=0)
    assert features.shape == (10, 5) and features.dtype == np.float32
    np.testing.assert_allclose(features, to_numpy(encoder(images, training=False)), atol=1e-5)


def test_runs_in_inference_mode(rng):
    # With dropout 0.9 a training-mode call would be random; inference mode is the
    # deterministic call with training=False.
    encoder = _small_encoder(dropout=0.9)
    images = rng.uniform(0, 255, (6, 8, 8, 3)).astype("float32")
    expected = to_numpy(encoder(images, training=False))
    np.testing.assert_allclose(extract_features(encoder, images, 4, verbose=0), expected, atol=1e-5)


def test_uint8_images(rng):
    encoder = _small_encoder()
    images = rng.integers(0, 256, (5, 8, 8, 3)).astype("uint8")
    np.testing.assert_allclose(
        extract_features(encoder, images, verbose=0),
        extract_features(encoder, images.astype("float32"), verbose=0),
        atol=1e-5,
    )


def test_layer_encoder_against_numpy_mean(rng):
    images = rng.uniform(0, 255, (7, 4, 5, 2)).astype("float32")
    features = extract_features(keras.layers.GlobalAveragePooling2D(), images, 3, verbose=0)
    np.testing.assert_allclose(features, images.mean(axis=(1, 2)), rtol=1e-5)


def test_plain_callable_against_numpy(rng, capsys):
    images = rng.uniform(0, 255, (9, 4, 4, 1)).astype("float32")

    def encoder(batch):
        return keras.ops.reshape(batch, (keras.ops.shape(batch)[0], -1)) * 2.0

    features = extract_features(encoder, images, batch_size=4, verbose=1)
    np.testing.assert_allclose(features, images.reshape(9, -1) * 2.0, rtol=1e-6)
    assert "9/9" in capsys.readouterr().out  # the Progbar reached the end


def test_backend_tensor_images(rng):
    encoder = _small_encoder()
    images = rng.uniform(0, 255, (4, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(
        extract_features(encoder, keras.ops.convert_to_tensor(images), verbose=0),
        extract_features(encoder, images, verbose=0),
        atol=1e-5,
    )


@pytest.mark.parametrize("shape", [(8, 8, 3), (2, 8, 8), (1, 2, 8, 8, 3)])
def test_wrong_image_rank_raises_value_error(shape):
    with pytest.raises(ValueError, match=r"rank-4 .* Received: images.shape="):
        extract_features(_small_encoder(), np.zeros(shape), verbose=0)


def test_bad_arguments_raise_value_error():
    images = np.zeros((2, 8, 8, 3))
    with pytest.raises(ValueError, match="`batch_size` should be a positive integer"):
        extract_features(_small_encoder(), images, batch_size=0)
    with pytest.raises(ValueError, match="`verbose`"):
        extract_features(_small_encoder(), images, verbose=3)
    with pytest.raises(ValueError, match="at least one image"):
        extract_features(_small_encoder(), np.zeros((0, 8, 8, 3)))
    with pytest.raises(ValueError, match="callable"):
        extract_features("encoder", images)


def test_feature_maps_raise_value_error():
    feature_map_encoder = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="GlobalAveragePooling2D"):
        extract_features(feature_map_encoder, np.zeros((2, 8, 8, 3)), verbose=0)
    with pytest.raises(ValueError, match="one tensor"):
        extract_features(lambda x: (x, x), np.zeros((2, 8, 8, 3)), verbose=0)
