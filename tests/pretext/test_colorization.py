"""Colorization: grayscale inputs against a luma oracle, the loss, the decoder, the model."""

import keras
import numpy as np
import pytest

from ssl_keras.pretext import (
    Colorization,
    colorization_dataset,
    colorization_loss,
    rgb_to_grayscale,
)
from tests.conftest import to_numpy
from tests.pretext.helpers import IMAGE_SHAPE, tiny_images, toy_encoder


def test_inputs_are_the_luma_and_targets_the_original():
    images = tiny_images(3, shape=(4, 5, 3))
    gray, targets = colorization_dataset(images)
    assert gray.shape == (3, 4, 5, 3) and gray.dtype == np.float32
    expected = np.empty(images.shape[:3])
    for index in np.ndindex(images.shape[:3]):
        r, g, b = (float(v) for v in images[index])
        expected[index] = 0.2989 * r + 0.587 * g + 0.114 * b
    for channel in range(3):
        np.testing.assert_allclose(gray[..., channel], expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(targets, images.astype("float32"))
    one_channel, _ = colorization_dataset(images, channels=1)
    assert one_channel.shape == (3, 4, 5, 1)
    np.testing.assert_allclose(one_channel[..., 0], expected, rtol=1e-5, atol=1e-3)


def test_gray_images_stay_gray():
    # The luma weights sum to ~1: a gray image is (almost) its own grayscale version.
    values = tiny_images(2, shape=(4, 4, 1))
    images = np.repeat(values, 3, axis=-1)
    np.testing.assert_allclose(rgb_to_grayscale(images)[..., :1], values, atol=0.03)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="3 channels"):
        colorization_dataset(np.zeros((2, 8, 8, 1)))
    with pytest.raises(ValueError, match="rank-4"):
        colorization_dataset(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="channels"):
        rgb_to_grayscale(np.zeros((1, 8, 8, 3)), channels=2)
    with pytest.raises(ValueError, match="divisible by 8"):
        Colorization(toy_encoder((12, 12, 3)))
    with pytest.raises(ValueError, match="decoder_filters"):
        Colorization(toy_encoder(), decoder_filters=(4, 0))
    with pytest.raises(ValueError, match="decoder_filters"):
        Colorization(toy_encoder(), decoder_filters=())
    with pytest.raises(ValueError, match="static image size"):
        Colorization(toy_encoder((None, None, 3)))


def test_loss_is_the_mse_in_unit_range(rng):
    y_true = rng.uniform(0, 255, (3, 4, 4, 3)).astype("float32")
    y_pred = rng.uniform(0, 255, (3, 4, 4, 3)).astype("float32")
    expected = [np.mean(((t.astype("float64") - p) / 255.0) ** 2) for t, p in zip(y_true, y_pred)]
    np.testing.assert_allclose(to_numpy(colorization_loss(y_true, y_pred)), expected, rtol=1e-5)
    np.testing.assert_allclose(to_numpy(colorization_loss(y_true, y_true)), 0.0, atol=1e-7)


def test_model_paints_full_size_images_and_fits_one_step():
    encoder = toy_encoder()
    model = Colorization(encoder, decoder_filters=(4, 4, 4))
    gray, targets = colorization_dataset(tiny_images(8))
    outputs = to_numpy(model(gray))
    assert outputs.shape == (8,) + IMAGE_SHAPE
    assert outputs.min() >= 0.0 and outputs.max() <= 255.0
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(gray, targets, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.encoder is encoder
    # The decoder sees only the pooled representation: Dense -> 1x1 map -> 3 upsamplings.
    assert model.decoder.input_shape == (None, 8)
    assert model.decoder.get_layer("reshape").output.shape[1:] == (1, 1, 4)


def test_config_and_saving_round_trip(tmp_path):
    model = Colorization(toy_encoder(), decoder_filters=(4, 4, 4), name="colorization")
    gray, targets = colorization_dataset(tiny_images(8))
    expected = to_numpy(model(gray))
    config = model.get_config()
    assert config["decoder_filters"] == [4, 4, 4]
    clone = Colorization.from_config(config)
    clone(gray)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(to_numpy(clone(gray)), expected, rtol=1e-4, atol=1e-3)

    model.compile(optimizer="adam")
    model.optimizer.build(model.trainable_variables)
    path = tmp_path / "colorization.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, Colorization) and loaded.decoder_filters == (4, 4, 4)
    assert loaded.loss is colorization_loss or loaded.loss.__name__ == "colorization_loss"
    np.testing.assert_allclose(to_numpy(loaded(gray)), expected, rtol=1e-4, atol=1e-3)
