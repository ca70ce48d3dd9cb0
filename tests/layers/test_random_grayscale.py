import keras
import numpy as np
import pytest

from ssl_keras.layers import RandomGrayscale
from tests.layers.helpers import assert_in_range, jit_predict, random_images, to_numpy


def np_luma(images):
    """ITU-R 601-2 luma, the weights of torchvision's `rgb_to_grayscale`."""
    return images.astype("float64") @ np.array([0.2989, 0.587, 0.114])


def is_gray(images):
    return np.all(np.abs(images - images[..., :1]) < 1e-6, axis=(1, 2, 3))


def test_probability_one_gives_luma_in_every_channel(images):
    outputs = RandomGrayscale(probability=1.0)(images)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    outputs = to_numpy(outputs)
    assert outputs.shape == images.shape
    for channel in range(3):
        np.testing.assert_allclose(outputs[..., channel], np_luma(images), atol=1e-3)


def test_probability_zero_is_identity(images):
    np.testing.assert_array_equal(to_numpy(RandomGrayscale(probability=0.0)(images)), images)


def test_per_image_decision_with_the_requested_frequency():
    images = random_images(512, 2, 2)
    outputs = to_numpy(RandomGrayscale(probability=0.2, seed=0)(images))
    gray = is_gray(outputs)
    assert 0.14 < gray.mean() < 0.26
    np.testing.assert_allclose(outputs[~gray], images[~gray])  # the others are untouched
    np.testing.assert_allclose(outputs[gray][..., 0], np_luma(images[gray]), atol=1e-3)


def test_one_channel_images_are_unchanged_and_range_kept():
    gray = random_images(4, channels=1)
    np.testing.assert_array_equal(to_numpy(RandomGrayscale(probability=1.0)(gray)), gray)
    assert_in_range(RandomGrayscale(1.0, value_range=(0, 1))(gray / 255.0), 0.0, 1.0)


def test_seed_and_get_config_round_trip():
    images = random_images(64, 2, 2)
    layer = RandomGrayscale(probability=0.5, seed=3, name="gray")
    config = layer.get_config()
    clone = RandomGrayscale.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert revived.get_config() == config
    np.testing.assert_array_equal(to_numpy(clone(images)), to_numpy(layer(images)))


@pytest.mark.parametrize("probability", [-0.1, 1.5, "often"])
def test_bad_probability(probability):
    with pytest.raises(ValueError, match="probability"):
        RandomGrayscale(probability=probability)


def test_bad_inputs():
    with pytest.raises(ValueError, match="channels"):
        RandomGrayscale()(np.zeros((1, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match=r"\(2, 4, 4, 3, 1\)"):
        RandomGrayscale()(np.zeros((2, 4, 4, 3, 1), "float32"))
    with pytest.raises(ValueError, match="value_range"):
        RandomGrayscale()(np.full((1, 4, 4, 3), 256))


def test_jit_compiled_predict(images):
    outputs = jit_predict(RandomGrayscale(probability=1.0, seed=0), images)
    np.testing.assert_allclose(outputs[..., 1], np_luma(images), atol=1e-3)
