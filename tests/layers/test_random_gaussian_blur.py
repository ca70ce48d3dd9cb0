import keras
import numpy as np
import pytest

from ssl_keras.layers import RandomGaussianBlur
from tests.layers.helpers import assert_in_range, jit_predict, random_images, to_numpy


def np_blur(image, sigma, radius):
    """Separable Gaussian blur with reflect padding (torchvision's GaussianBlur)."""
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    height, width = image.shape[:2]
    padded = np.pad(image.astype("float64"), ((radius, radius), (radius, radius), (0, 0)),
                    mode="reflect")
    rows = sum(k * padded[d:d + height] for d, k in enumerate(kernel))
    return sum(k * rows[:, d:d + width] for d, k in enumerate(kernel))


@pytest.mark.parametrize("sigma, kernel_size", [(0.7, 3), (1.5, 5), (2.0, 7)])
def test_blur_matches_numpy_reference(images, sigma, kernel_size):
    layer = RandomGaussianBlur(kernel_size=kernel_size, sigma=(sigma, sigma), probability=1.0)
    outputs = to_numpy(layer(images))
    for output, image in zip(outputs, images):
        np.testing.assert_allclose(output, np_blur(image, sigma, kernel_size // 2), atol=1e-3)


def test_kernel_size_is_ten_percent_of_the_side():
    layer = RandomGaussianBlur()
    assert [2 * layer.radius(size) + 1 for size in (224, 96, 32, 16)] == [23, 9, 3, 1]
    assert RandomGaussianBlur(kernel_size=31).radius(8) == 7  # capped at size - 1
    images = random_images(2, 16, 16)  # 10% of 16 pixels: a 1-tap kernel, no blur
    np.testing.assert_allclose(to_numpy(layer(images)), images, atol=1e-3)


def test_sigma_is_drawn_per_image_and_constant_images_stay_constant():
    same = np.repeat(random_images(1), 4, axis=0)
    layer = RandomGaussianBlur(kernel_size=5, probability=1.0, seed=0)
    outputs = to_numpy(layer(same))
    assert all(not np.allclose(outputs[0], outputs[i]) for i in range(1, 4))
    constant = to_numpy(layer(np.full((2, 8, 8, 3), 77.0)))
    np.testing.assert_allclose(constant, 77.0, atol=1e-3)


def test_probability_and_range():
    images = random_images(256, 4, 4)
    layer = RandomGaussianBlur(kernel_size=3, sigma=(1.0, 2.0), probability=0.5, seed=1)
    outputs = to_numpy(layer(images))
    assert keras.backend.standardize_dtype(layer(images).dtype) == "float32"
    assert_in_range(outputs)
    blurred = ~np.all(np.abs(outputs - images) < 1e-3, axis=(1, 2, 3))
    assert 0.4 < blurred.mean() < 0.6
    no_blur = to_numpy(RandomGaussianBlur(kernel_size=3, probability=0.0)(images))
    np.testing.assert_allclose(no_blur, images, atol=1e-3)


def test_seed_and_get_config_round_trip(images):
    layer = RandomGaussianBlur(kernel_size=3, sigma=(0.5, 1.5), probability=0.7, seed=2)
    config = layer.get_config()
    clone = RandomGaussianBlur.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert revived.get_config() == config
    np.testing.assert_array_equal(to_numpy(clone(images)), to_numpy(layer(images)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kernel_size": 4}, "kernel_size"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"sigma": (0.0, 1.0)}, "sigma"),
        ({"sigma": (2.0, 1.0)}, "sigma"),
        ({"probability": -1}, "probability"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomGaussianBlur(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\(8, 8\)"):
        RandomGaussianBlur()(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="value_range"):
        RandomGaussianBlur()(np.full((1, 8, 8, 3), np.nan))


def test_jit_compiled_predict(images):
    layer = RandomGaussianBlur(kernel_size=3, sigma=(1.0, 1.0), probability=1.0, seed=0)
    outputs = jit_predict(layer, images)
    np.testing.assert_allclose(outputs[0], np_blur(images[0], 1.0, 1), atol=1e-3)
