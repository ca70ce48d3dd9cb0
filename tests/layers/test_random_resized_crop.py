import keras
import numpy as np
import pytest
from PIL import Image

from ssl_keras.layers import RandomResizedCrop
from tests.layers.helpers import assert_in_range, jit_predict, random_images, to_numpy


def torchvision_box(rng, height, width, scale, ratio, num_attempts=10):
    """torchvision's `RandomResizedCrop.get_params`, transcribed with NumPy."""
    area = height * width
    log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
    for _ in range(num_attempts):
        target_area = area * rng.uniform(scale[0], scale[1])
        aspect_ratio = np.exp(rng.uniform(log_ratio[0], log_ratio[1]))
        w = int(round(np.sqrt(target_area * aspect_ratio)))
        h = int(round(np.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            return rng.integers(0, height - h + 1), rng.integers(0, width - w + 1), h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def sampled_boxes(layer, n, height, width):
    return np.stack([to_numpy(v) for v in layer.sample_boxes(n, height, width)], axis=1)


def test_full_box_without_resize_is_identity(images):
    layer = RandomResizedCrop(8, 8, scale=(1.0, 1.0), ratio=(1.0, 1.0), seed=0)
    outputs = to_numpy(layer(images))
    assert outputs.dtype == np.float32
    np.testing.assert_allclose(outputs, images.astype("float32"), atol=1e-3)


def test_shape_dtype_and_range(images):
    layer = RandomResizedCrop(6, 5, seed=1)
    outputs = layer(images)
    assert tuple(outputs.shape) == (4, 6, 5, 3)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float32"
    assert_in_range(outputs)
    assert layer.compute_output_shape((None, 8, 8, 3)) == (None, 6, 5, 3)
    symbolic = layer(keras.Input((8, 8, 3)))
    assert tuple(symbolic.shape) == (None, 6, 5, 3)


def test_none_size_keeps_input_size(images):
    assert tuple(RandomResizedCrop(None, None, seed=0)(images).shape) == images.shape


@pytest.mark.parametrize(
    "box, out_size",
    # Upscaling, downscaling (antialiased), and both (rows 7 -> 3, columns 3 -> 5).
    [((3, 1, 5, 7), (8, 8)), ((0, 0, 8, 8), (3, 5)), ((1, 4, 7, 3), (3, 5))],
)
def test_resampling_matches_pil_crop_then_resize(box, out_size):
    # PIL's BILINEAR resize of the cropped box (what torchvision does to PIL images),
    # including its antialiasing when the box is larger than the output.
    image = np.random.default_rng(1).uniform(0, 255, (8, 8)).astype("float32")
    top, left, h, w = box
    expected = np.asarray(
        Image.fromarray(image, mode="F")
        .crop((left, top, left + w, top + h))
        .resize(out_size[::-1], Image.BILINEAR)
    )
    layer = RandomResizedCrop(*out_size)

    def column(v):
        return keras.ops.convert_to_tensor(np.array([v], "float32"))

    outputs = layer.crop_and_resize(
        keras.ops.convert_to_tensor(image[None, :, :, None]),
        column(top), column(left), column(h), column(w),
    )
    np.testing.assert_allclose(to_numpy(outputs)[0, :, :, 0], expected, atol=1e-3)


def test_boxes_are_valid_integers_inside_the_image():
    boxes = sampled_boxes(RandomResizedCrop(8, 8, seed=2), 4000, 8, 12)
    top, left, h, w = boxes.T
    np.testing.assert_array_equal(boxes, np.round(boxes))
    assert np.all(h >= 1) and np.all(w >= 1)
    assert np.all(top >= 0) and np.all(top + h <= 8)
    assert np.all(left >= 0) and np.all(left + w <= 12)
    assert len(np.unique(boxes, axis=0)) > 100  # per-image boxes


@pytest.mark.parametrize(
    "size, scale, ratio, num_attempts",
    [((8, 8), (0.08, 1.0), (3 / 4, 4 / 3), 10), ((8, 8), (0.3, 1.0), (1.0, 2.5), 1)],
)
def test_box_distribution_matches_torchvision(size, scale, ratio, num_attempts):
    n = 4000
    layer = RandomResizedCrop(8, 8, scale=scale, ratio=ratio, num_attempts=num_attempts, seed=3)
    ours = sampled_boxes(layer, n, *size)
    rng = np.random.default_rng(0)
    reference = np.array(
        [torchvision_box(rng, *size, scale, ratio, num_attempts) for _ in range(n)]
    )
    for column in range(4):  # top, left, height, width
        values = np.arange(max(size) + 1)
        p = np.array([(ours[:, column] == v).mean() for v in values])
        q = np.array([(reference[:, column] == v).mean() for v in values])
        assert 0.5 * np.abs(p - q).sum() < 0.06, (column, p, q)


def test_fallback_is_torchvision_central_crop():
    # No box of aspect ratio >= 2.5 and area >= half of an 8x8 image fits: always fall
    # back to the full width with height round(8 / 2.5) = 3, centred.
    layer = RandomResizedCrop(8, 8, scale=(0.5, 1.0), ratio=(2.5, 3.0), seed=0)
    boxes = sampled_boxes(layer, 4000, 8, 8)
    np.testing.assert_array_equal(boxes, np.tile([[2, 0, 3, 8]], (4000, 1)))


def test_crops_differ_per_image_and_same_seed_reproduces():
    images = np.repeat(random_images(1), 4, axis=0)
    first = to_numpy(RandomResizedCrop(8, 8, seed=7)(images))
    again = to_numpy(RandomResizedCrop(8, 8, seed=7)(images))
    other = to_numpy(RandomResizedCrop(8, 8, seed=1007)(images))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert all(not np.allclose(first[0], first[i]) for i in range(1, 4))


def test_inference_is_identity_or_central_resize(images):
    layer = RandomResizedCrop(8, 8, seed=0)
    np.testing.assert_array_equal(to_numpy(layer(images, training=False)), images)
    constant = np.full((2, 8, 12, 3), 100, "uint8")
    resized = to_numpy(RandomResizedCrop(4, 4)(constant, training=False))
    assert resized.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(resized, 100.0, atol=1e-3)


def test_get_config_round_trip(images):
    layer = RandomResizedCrop(6, 5, scale=(0.2, 0.9), ratio=(0.5, 2.0), seed=4, name="crop")
    config = layer.get_config()
    clone = RandomResizedCrop.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(revived, RandomResizedCrop) and revived.get_config() == config
    np.testing.assert_array_equal(to_numpy(clone(images)), to_numpy(layer(images)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scale": (0.9, 0.1)}, "scale"),
        ({"scale": (0.0, 1.0)}, "scale"),
        ({"scale": (0.5, 1.5)}, "scale"),
        ({"ratio": (-1.0, 2.0)}, "ratio"),
        ({"height": 0}, "height"),
        ({"num_attempts": 0}, "num_attempts"),
        ({"value_range": (255, 0)}, "value_range"),
    ],
)
def test_bad_arguments(kwargs, message):
    arguments = {"height": 8, "width": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        RandomResizedCrop(**arguments)


def test_wrong_rank_and_value_range():
    layer = RandomResizedCrop(4, 4)
    with pytest.raises(ValueError, match=r"\(8, 8\)"):
        layer(np.zeros((8, 8), "float32"))
    with pytest.raises(ValueError, match=r"\(1, 2, 8, 8, 3\)"):
        layer(keras.ops.zeros((1, 2, 8, 8, 3)))
    with pytest.raises(ValueError, match="value_range"):
        layer(np.full((4, 8, 8, 3), 300.0))
    unit = np.random.default_rng(0).uniform(0, 1, (4, 8, 8, 3))
    with pytest.raises(ValueError, match=r"value_range=\(0\.0, 1\.0\)"):
        RandomResizedCrop(4, 4, value_range=(0, 1))(unit * 2)
    assert_in_range(RandomResizedCrop(6, 5, value_range=(0, 1))(unit), 0.0, 1.0)


def test_jit_compiled_predict(images):
    outputs = jit_predict(RandomResizedCrop(6, 6, seed=0), images)
    assert outputs.shape == (4, 6, 6, 3)
    assert_in_range(outputs)
