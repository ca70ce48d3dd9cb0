import keras
import numpy as np
import pytest

from ssl_keras.layers import RandomHorizontalFlip
from tests.layers.helpers import jit_predict, random_images, to_numpy


def flipped_mask(outputs, images):
    """Per image: True if the output is np.flip(image) (and not the image), else False."""
    flipped = np.all(outputs == np.flip(images, axis=2), axis=(1, 2, 3))
    kept = np.all(outputs == images, axis=(1, 2, 3))
    assert np.all(flipped ^ kept), "every image must be either flipped or kept"
    return flipped


def test_probability_one_and_zero(images):
    np.testing.assert_array_equal(
        to_numpy(RandomHorizontalFlip(probability=1.0)(images)), np.flip(images, axis=2)
    )
    outputs = RandomHorizontalFlip(probability=0.0)(images)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    np.testing.assert_array_equal(to_numpy(outputs), images)


def test_unbatched_image(images):
    outputs = to_numpy(RandomHorizontalFlip(probability=1.0)(images[0]))
    np.testing.assert_array_equal(outputs, images[0, :, ::-1])


def test_per_image_flips_at_half_rate():
    images = random_images(256, 2, 3)
    flipped = flipped_mask(to_numpy(RandomHorizontalFlip(seed=0)(images)), images)
    assert 0.4 < flipped.mean() < 0.6


def test_same_seed_same_flips_and_get_config_round_trip():
    images = random_images(32, 2, 3)
    layer = RandomHorizontalFlip(probability=0.3, seed=5, name="flip")
    config = layer.get_config()
    clone = RandomHorizontalFlip.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert revived.get_config() == config
    np.testing.assert_array_equal(to_numpy(clone(images)), to_numpy(layer(images)))
    other = to_numpy(RandomHorizontalFlip(probability=0.3, seed=1005)(images))
    assert not np.array_equal(other, to_numpy(layer(images)))


def test_training_false_is_identity(images):
    outputs = RandomHorizontalFlip(probability=1.0)(images, training=False)
    np.testing.assert_array_equal(to_numpy(outputs), images)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="probability"):
        RandomHorizontalFlip(probability=2)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        RandomHorizontalFlip()(np.zeros((3,), "float32"))
    with pytest.raises(ValueError, match="value_range"):
        RandomHorizontalFlip(value_range=(0, 1))(np.full((1, 2, 2, 3), 2.0))


def test_jit_compiled_predict(images):
    outputs = jit_predict(RandomHorizontalFlip(seed=1), images)
    flipped_mask(outputs, images)
