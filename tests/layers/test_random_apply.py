import keras
import numpy as np
import pytest

from ssl_keras.layers import RandomApply, RandomColorJitter
from tests.layers.helpers import jit_predict, random_images, to_numpy


def halve():
    return keras.layers.Rescaling(scale=0.5)


def test_probability_one_always_applies_and_zero_never(images):
    always = RandomApply(halve(), probability=1.0)(images)
    assert keras.backend.standardize_dtype(always.dtype) == "float32"
    np.testing.assert_allclose(to_numpy(always), images * 0.5)
    np.testing.assert_allclose(to_numpy(RandomApply(halve(), probability=0.0)(images)), images)


def test_applies_per_image_with_the_requested_frequency():
    images = np.ones((1000, 1, 1, 1), "float32")
    outputs = to_numpy(RandomApply(halve(), probability=0.8, seed=0)(images)).ravel()
    assert set(np.unique(outputs)) == {0.5, 1.0}
    assert 0.76 < (outputs == 0.5).mean() < 0.84


def test_training_false_skips_the_layer(images):
    outputs = RandomApply(halve(), probability=1.0)(images, training=False)
    np.testing.assert_allclose(to_numpy(outputs), images)


def test_get_config_round_trip_with_a_serialized_inner_layer(images):
    layer = RandomApply(RandomColorJitter(strength=0.5, seed=1), probability=0.6, seed=2)
    config = layer.get_config()
    assert config["layer"]["registered_name"] == "ssl_keras>RandomColorJitter"
    clone = RandomApply.from_config(config)
    assert isinstance(clone.layer, RandomColorJitter)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(revived, RandomApply) and revived.get_config() == config
    np.testing.assert_array_equal(to_numpy(clone(images)), to_numpy(layer(images)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="probability"):
        RandomApply(halve(), probability=1.2)
    with pytest.raises(ValueError, match="layer"):
        RandomApply(lambda x: x)


def test_jit_compiled_predict():
    images = random_images(16, 2, 2).astype("float32")
    outputs = jit_predict(RandomApply(halve(), probability=0.5, seed=3), images)
    halved = np.all(np.isclose(outputs, images * 0.5), axis=(1, 2, 3))
    kept = np.all(np.isclose(outputs, images), axis=(1, 2, 3))
    assert np.all(halved ^ kept) and 0 < halved.sum() < 16
