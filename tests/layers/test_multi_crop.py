"""MultiCropAugmentation: shapes, per-image draws, crop areas in the requested ranges."""

import keras
import numpy as np
import pytest

from ssl_keras.layers import MultiCropAugmentation
from tests.layers.helpers import assert_in_range, jit_predict, random_images, to_numpy


def small_multi_crop(**kwargs):
    # One configuration (and input shape) in most tests: on jax, eager ops are compiled
    # once per shape, so shared shapes keep the file fast.
    settings = dict(global_size=8, local_size=4, num_local_crops=2, preset="cifar", seed=0)
    settings.update(kwargs)
    return MultiCropAugmentation(**settings)


def test_shapes_range_and_independent_draws_per_image_and_view(images):
    same = np.repeat(images[:1], 4, axis=0)
    views = small_multi_crop(seed=5)(same)
    assert [tuple(v.shape) for v in views] == [(4, 8, 8, 3)] * 2 + [(4, 4, 4, 3)] * 2
    for view in views:
        assert keras.backend.standardize_dtype(view.dtype) == "float32"
        assert_in_range(view)
    views = [to_numpy(v) for v in views]
    for view in views:  # every image draws its own crop and colours
        assert not any(np.allclose(view[0], view[i]) for i in range(1, 4))
    for first, second in ((0, 1), (2, 3)):  # and every view
        assert not np.allclose(views[first], views[second])


def test_symbolic_and_unbatched_shapes(images):
    layer = small_multi_crop(local_size=(4, 3), num_local_crops=3)
    assert layer.compute_output_shape((None, 8, 8, 3)) == (
        ((None, 8, 8, 3),) * 2 + ((None, 4, 3, 3),) * 3
    )
    symbolic = layer(keras.Input((8, 8, 3)))
    assert [tuple(v.shape) for v in symbolic] == [(None, 8, 8, 3)] * 2 + [(None, 4, 3, 3)] * 3
    only_global = small_multi_crop(num_global_crops=1, num_local_crops=0)
    assert only_global.compute_output_shape((None, 8, 8, 3)) == ((None, 8, 8, 3),)
    unbatched = small_multi_crop()(images[0], training=False)
    assert [tuple(v.shape) for v in unbatched] == [(8, 8, 3)] * 2 + [(4, 4, 3)] * 2


def test_training_false_gives_central_crops(images):
    views = [to_numpy(v) for v in small_multi_crop()(images, training=False)]
    np.testing.assert_allclose(views[0], images, atol=1e-4)
    np.testing.assert_array_equal(views[0], views[1])
    np.testing.assert_array_equal(views[2], views[3])


def box_area_fractions(crop, size, count=512):
    top, left, box_height, box_width = (to_numpy(t) for t in crop.sample_boxes(count, size, size))
    assert np.all(top >= 0) and np.all(top + box_height <= size)
    assert np.all(left >= 0) and np.all(left + box_width <= size)
    return box_height * box_width / size**2


def torchvision_mean_area(scale, size, count=5000, attempts=10, seed=0):
    """Mean area fraction of `RandomResizedCrop.get_params` (ratio 3/4 to 4/3)."""
    rng = np.random.default_rng(seed)
    areas = np.ones(count)  # the fallback for a square image: the whole image
    for i in range(count):
        for _ in range(attempts):
            area = rng.uniform(*scale) * size**2
            ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
            width, height = round(np.sqrt(area * ratio)), round(np.sqrt(area / ratio))
            if 0 < width <= size and 0 < height <= size:
                areas[i] = width * height / size**2
                break
    return areas.mean()


def test_crop_boxes_fall_in_the_requested_scales():
    # The crops of the views are drawn by `sample_boxes` of each pipeline's crop layer.
    size = 96
    layer = MultiCropAugmentation(global_scale=(0.5, 1.0), local_scale=(0.05, 0.2), seed=1)
    global_areas = box_area_fractions(layer.global_augmentation.crop, size)
    local_areas = box_area_fractions(layer.local_augmentation.crop, size)
    # Box sides are rounded to whole pixels: with w h = a A, |dw|, |dh| <= 0.5 and
    # w + h <= 2.03 sqrt(a A) for ratios in [3/4, 4/3], the area fraction moves by at most
    # (1.015 sqrt(a A) + 0.25) / A.
    def slack(area):
        return (1.015 * np.sqrt(area) * size + 0.25) / size**2

    assert global_areas.min() >= 0.5 - slack(0.5) and global_areas.max() <= 1.0
    assert local_areas.min() >= 0.05 - slack(0.05)
    assert local_areas.max() <= 0.2 + slack(0.2)
    # Means against torchvision's rejection sampling (boxes that do not fit are drawn
    # again, which favours smaller global areas), simulated in NumPy.
    assert abs(global_areas.mean() - torchvision_mean_area((0.5, 1.0), size)) < 0.03
    assert abs(local_areas.mean() - torchvision_mean_area((0.05, 0.2), size)) < 0.01
    assert layer.global_augmentation.crop.height == 224
    assert layer.local_augmentation.crop.width == 96


def coordinate_images(batch, size):
    """Channel 0 holds the row index, channel 1 the column index (values in [0, 255])."""
    rows, columns = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    image = np.stack([rows, columns, np.zeros_like(rows)], axis=-1).astype("float32")
    return np.repeat(image[None], batch, axis=0)


def estimated_area_fractions(views, size):
    """Crop box area / image area, recovered from the coordinates each view sampled.

    Output pixel centres sample the box at `start + (i + 0.5) * h / n - 0.5`, so the
    spread of the sampled rows is `h (n - 1) / n`, up to the edge weights of the filter.
    """
    out = views.shape[1]
    row_spread = views[..., 0].max(axis=(1, 2)) - views[..., 0].min(axis=(1, 2))
    column_spread = views[..., 1].max(axis=(1, 2)) - views[..., 1].min(axis=(1, 2))
    factor = out / (out - 1)
    return (row_spread * factor) * (column_spread * factor) / size**2


@pytest.mark.slow
def test_view_areas_fall_in_the_requested_scales():
    # End to end: the areas recovered from the pixels each view sampled.
    size, batch = 48, 64
    layer = MultiCropAugmentation(
        global_size=16, local_size=8, num_local_crops=2, global_scale=(0.5, 1.0),
        local_scale=(0.05, 0.2), horizontal_flip_probability=0.0,
        color_jitter_probability=0.0, grayscale_probability=0.0, blur=False, seed=1,
    )
    views = [to_numpy(v) for v in layer(coordinate_images(batch, size))]
    global_areas = np.concatenate([estimated_area_fractions(v, size) for v in views[:2]])
    local_areas = np.concatenate([estimated_area_fractions(v, size) for v in views[2:]])
    # Box sides are rounded to whole pixels and the filter's edge weights blur the
    # sampled extent: allow a few pixels' slack around the requested fractions.
    assert global_areas.min() > 0.5 - 0.1 and global_areas.max() < 1.0 + 0.1
    assert local_areas.min() > 0.05 - 0.03 and local_areas.max() < 0.2 + 0.06
    # Spread over the range, not stuck at one value (means of U-distributed areas).
    assert 0.6 < global_areas.mean() < 0.9 and 0.08 < local_areas.mean() < 0.17


def test_get_config_round_trip_and_seeds(images):
    layer = small_multi_crop(global_scale=(0.3, 0.9), local_scale=(0.1, 0.3), seed=3,
                             preset="cifar", name="multi_crop")
    config = layer.get_config()
    assert config["global_size"] == (8, 8) and config["local_size"] == (4, 4)
    clone = MultiCropAugmentation.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert revived.get_config() == config
    for ours, theirs in zip(layer(images), clone(images)):
        np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
    other = small_multi_crop(global_scale=(0.3, 0.9), local_scale=(0.1, 0.3), seed=1003,
                             preset="cifar")(images)
    assert not np.allclose(to_numpy(other[0]), to_numpy(layer(images)[0]))


def test_jit_compiled_predict(images):
    views = jit_predict(small_multi_crop(preset="imagenet"), images)  # with the blur
    assert [v.shape for v in views] == [(4, 8, 8, 3)] * 2 + [(4, 4, 4, 3)] * 2
    for view in views:
        assert_in_range(view)
    assert not np.allclose(views[0], views[1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"global_size": 0}, "global_size"),
        ({"local_size": (4, 2.5)}, "local_size"),
        ({"num_global_crops": 0}, "num_global_crops"),
        ({"num_local_crops": -1}, "num_local_crops"),
        ({"global_scale": (0.9, 0.4)}, "global_scale"),
        ({"local_scale": (0.05, 1.5)}, "local_scale"),
        ({"preset": "stl10"}, "preset"),
        ({"grayscale_probability": 2.0}, "grayscale_probability"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiCropAugmentation(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\(8, 8\)"):
        small_multi_crop()(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="value_range"):
        small_multi_crop()(random_images() * 0.0 + 300.0)
