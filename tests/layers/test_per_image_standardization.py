import keras
import numpy as np
import pytest

from ssl_keras.layers import PerImageStandardization
from tests.layers.helpers import to_numpy


def np_standardize(images):
    """A transcription of `tf.image.per_image_standardization`'s documented rule."""
    flat = images.reshape(len(images), -1).astype("float64")
    mean = flat.mean(axis=1, keepdims=True)
    std = np.maximum(flat.std(axis=1, keepdims=True), 1.0 / np.sqrt(flat.shape[1]))
    return ((flat - mean) / std).reshape(images.shape)


def test_matches_the_numpy_rule_on_uint8_images():
    images = np.random.default_rng(0).integers(0, 256, (4, 6, 5, 3)).astype("uint8")
    np.testing.assert_allclose(
        to_numpy(PerImageStandardization()(images)), np_standardize(images), atol=1e-4)


def test_matches_tensorflow_per_image_standardization():
    tf = pytest.importorskip("tensorflow")
    images = np.random.default_rng(1).uniform(0, 1, (3, 4, 4, 3)).astype("float32")
    expected = tf.image.per_image_standardization(images).numpy()
    np.testing.assert_allclose(to_numpy(PerImageStandardization()(images)), expected,
                               atol=1e-5)


def test_brightness_and_contrast_do_not_change_the_output():
    images = np.random.default_rng(2).uniform(0.0, 1.0, (2, 8, 8, 3)).astype("float32")
    layer = PerImageStandardization()
    np.testing.assert_allclose(to_numpy(layer(2.5 * images + 0.3)), to_numpy(layer(images)),
                               atol=1e-4)


def test_uniform_image_gives_zeros_not_nan():
    out = to_numpy(PerImageStandardization()(np.full((1, 3, 3, 3), 7.0, "float32")))
    np.testing.assert_array_equal(out, np.zeros((1, 3, 3, 3)))


def test_each_image_alone():
    images = np.random.default_rng(3).uniform(0, 255, (3, 4, 4, 3)).astype("float32")
    together = to_numpy(PerImageStandardization()(images))
    alone = to_numpy(PerImageStandardization()(images[1:2]))
    np.testing.assert_allclose(together[1:2], alone, atol=1e-5)


def test_rank_one_input_is_refused():
    with pytest.raises(ValueError, match="rank >= 2"):
        PerImageStandardization()(np.zeros((4,), "float32"))


def test_float16_policy_keeps_255_scale_finite():
    images = np.random.default_rng(4).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    out = PerImageStandardization(dtype="float16")(images)
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    np.testing.assert_allclose(to_numpy(out).astype("float32"), np_standardize(images),
                               atol=2e-2)
