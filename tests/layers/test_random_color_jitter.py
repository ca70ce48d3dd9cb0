import colorsys
import itertools

import keras
import numpy as np
import pytest

from ssl_keras.layers import RandomColorJitter
from tests.layers.helpers import assert_in_range, jit_predict, random_images, to_numpy

# Reference implementations of torchvision's `functional_tensor.adjust_*` on one float
# image (H, W, 3) in [0, 1], written from the torchvision definitions.


def np_gray(image):
    return (0.2989 * image[..., 0] + 0.587 * image[..., 1] + 0.114 * image[..., 2])[..., None]


def np_brightness(image, factor):
    return np.clip(factor * image, 0, 1)


def np_contrast(image, factor):
    return np.clip(factor * image + (1 - factor) * np_gray(image).mean(), 0, 1)


def np_saturation(image, factor):
    return np.clip(factor * image + (1 - factor) * np_gray(image), 0, 1)


def np_hue(image, shift):
    out = np.empty_like(image)
    for index in np.ndindex(image.shape[:2]):
        h, s, v = colorsys.rgb_to_hsv(*image[index])
        out[index] = colorsys.hsv_to_rgb((h + shift) % 1.0, s, v)
    return out


NP_OPERATIONS = [np_brightness, np_contrast, np_saturation, np_hue]


def unit_images(batch=4, seed=0):
    return random_images(batch, seed=seed).astype("float32") / 255.0


def test_strength_sets_simclr_factors():
    layer = RandomColorJitter(strength=0.5)
    assert (layer.brightness, layer.contrast, layer.saturation, layer.hue) == (0.4, 0.4, 0.4, 0.1)
    layer = RandomColorJitter(strength=1.0, hue=0.0, contrast=0.3)
    assert (layer.brightness, layer.contrast, layer.saturation, layer.hue) == (0.8, 0.3, 0.8, 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_jitter_matches_torchvision_composition(seed):
    rng = np.random.default_rng(seed)
    images = unit_images(seed=seed)
    # Edge cases of the HSV hue: gray pixels, black, white and ties for the maximum.
    images[:, 0, :5] = [[0.5, 0.5, 0.5], [0, 0, 0], [1, 1, 1], [0.7, 0.7, 0.2], [0.1, 0.6, 0.6]]
    factors = np.stack(
        [rng.uniform(0.2, 1.8, 4), rng.uniform(0.2, 1.8, 4), rng.uniform(0.0, 2.0, 4),
         rng.uniform(-0.5, 0.5, 4)],
        axis=1,
    ).astype("float32")
    order = np.stack([rng.permutation(4) for _ in range(4)]).astype("int32")
    _assert_jitter_matches_numpy(images, factors, order)


def test_jitter_matches_torchvision_composition_for_every_order():
    # The 24 orders, one per image: the hue rotation at each of the four positions, with
    # blends on either side of it (the layer runs the blends before and after it in
    # separate rounds). Large factors, so the clipping after each operation matters.
    rng = np.random.default_rng(7)
    order = np.array(list(itertools.permutations(range(4))), dtype="int32")
    images = random_images(len(order), seed=7).astype("float32") / 255.0
    factors = np.stack(
        [rng.uniform(0.0, 2.0, len(order)) for _ in range(3)]
        + [rng.uniform(-0.5, 0.5, len(order))],
        axis=1,
    ).astype("float32")
    _assert_jitter_matches_numpy(images, factors, order)


def per_image_factor(outputs, images, reference):
    """Least-squares `f` with `outputs ~ f * images + (1 - f) * reference` per image,
    fitted on the pixels that were not clipped."""
    reference = np.broadcast_to(reference, images.shape)
    factors = []
    for output, image, ref in zip(outputs, images, reference):
        keep = (output > 1e-4) & (output < 1 - 1e-4)
        direction, target = image[keep] - ref[keep], output[keep] - ref[keep]
        factors.append((direction * target).sum() / (direction * direction).sum())
    return np.array(factors)


def test_brightness_only_layer_is_a_per_image_multiplication():
    images = random_images(16).astype("float32")
    layer = RandomColorJitter(brightness=0.8, contrast=0, saturation=0, hue=0, seed=1)
    outputs = to_numpy(layer(images))
    # Fit the factor on unclipped pixels, then check the whole image against the oracle.
    factors = []
    for output, image in zip(outputs, images):
        keep = output < 254.0
        factor = (output[keep] * image[keep]).sum() / (image[keep] ** 2).sum()
        np.testing.assert_allclose(output, 255 * np_brightness(image / 255, factor), atol=1e-2)
        factors.append(factor)
    assert 0.2 - 1e-4 <= min(factors) and max(factors) <= 1.8 + 1e-4
    assert np.std(factors) > 0.1  # one factor per image


def test_saturation_only_layer_blends_with_the_luma():
    images = random_images(16).astype("float32") / 255.0
    layer = RandomColorJitter(brightness=0, contrast=0, saturation=0.8, hue=0,
                              value_range=(0, 1), seed=2)
    outputs = to_numpy(layer(images))
    factors = per_image_factor(outputs, images, np_gray(images))
    for output, image, factor in zip(outputs, images, factors):
        np.testing.assert_allclose(output, np_saturation(image, factor), atol=1e-2)
    assert 0.2 - 1e-2 <= factors.min() and factors.max() <= 1.8 + 1e-2
    assert np.std(factors) > 0.1


def test_sampled_factors_and_orders():
    layer = RandomColorJitter(strength=0.5, seed=3)
    factors, order = (to_numpy(v) for v in layer.sample_parameters(2000))
    lower, upper = np.array([0.6, 0.6, 0.6, -0.1]), np.array([1.4, 1.4, 1.4, 0.1])
    assert np.all(factors >= lower - 1e-6) and np.all(factors <= upper + 1e-6)
    np.testing.assert_allclose(factors.mean(0), (lower + upper) / 2, atol=0.02)
    np.testing.assert_array_equal(np.sort(order, axis=1), np.tile(np.arange(4), (2000, 1)))
    counts = [np.all(order == p, axis=1).sum() for p in itertools.permutations(range(4))]
    assert min(counts) > 2000 / 24 * 0.6  # all 24 orders occur, roughly uniformly


def test_shape_dtype_range_and_per_image(images):
    same = np.repeat(images[:1], 4, axis=0)
    outputs = RandomColorJitter(seed=4)(same)
    assert tuple(outputs.shape) == (4, 8, 8, 3)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    assert_in_range(outputs)
    outputs = to_numpy(outputs)
    assert all(not np.allclose(outputs[0], outputs[i]) for i in range(1, 4))


def test_value_range_is_respected(images):
    # Same seed, same draws: jittering x / 255 in (0, 1) gives the jitter of x, / 255.
    on_255 = to_numpy(RandomColorJitter(seed=5)(images))
    on_unit = to_numpy(RandomColorJitter(value_range=(0, 1), seed=5)(images / 255.0))
    np.testing.assert_allclose(on_unit * 255.0, on_255, atol=1e-2)
    assert_in_range(on_unit, 0.0, 1.0)


def test_zero_strength_is_identity(images):
    outputs = RandomColorJitter(strength=0.0, seed=0)(images)
    np.testing.assert_allclose(to_numpy(outputs), images, atol=1e-3)


def test_one_channel_images_only_get_brightness_and_contrast():
    gray = random_images(4, channels=1)
    outputs = to_numpy(RandomColorJitter(brightness=0, contrast=0, seed=0)(gray))
    np.testing.assert_allclose(outputs, gray, atol=1e-3)  # saturation and hue: no-ops
    assert RandomColorJitter(seed=0)(gray).shape == gray.shape


def test_same_seed_same_output_and_get_config_round_trip(images):
    layer = RandomColorJitter(strength=0.7, hue=0.05, seed=9, name="jitter")
    config = layer.get_config()
    clone = RandomColorJitter.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert revived.get_config() == config
    np.testing.assert_array_equal(to_numpy(clone(images)), to_numpy(layer(images)))
    assert not np.allclose(to_numpy(layer(images)), to_numpy(RandomColorJitter(seed=1009)(images)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"strength": -0.1}, "strength"),
        ({"strength": 3.0}, "strength"),
        ({"brightness": -0.5}, "brightness"),
        ({"hue": 0.6}, "hue"),
        ({"saturation": "a lot"}, "saturation"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomColorJitter(**kwargs)


def test_bad_inputs():
    layer = RandomColorJitter()
    with pytest.raises(ValueError, match="channels"):
        layer(np.zeros((1, 4, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        layer(np.zeros((4, 4), "float32"))
    with pytest.raises(ValueError, match="value_range"):
        layer(np.full((1, 4, 4, 3), -1.0))


def test_jit_compiled_predict(images):
    outputs = jit_predict(RandomColorJitter(seed=0), images)
    assert outputs.shape == images.shape
    assert_in_range(outputs)
    assert not np.allclose(outputs, images)


def _assert_jitter_matches_numpy(images, factors, order):
    """The layer's jitter against the NumPy operations applied image by image in `order`."""
    expected = []
    for image, factor, permutation in zip(images, factors, order):
        for operation in permutation:
            image = NP_OPERATIONS[operation](image, factor[operation])
        expected.append(image)
    layer = RandomColorJitter()
    outputs = layer.jitter(*(keras.ops.convert_to_tensor(a) for a in (images, factors, order)))
    np.testing.assert_allclose(to_numpy(outputs), np.stack(expected), atol=2e-5)
