"""Checks of the simclr assignment: the two-view augmentation the student writes.

The student writes a Keras layer `TwoViewAugmentation(height, width, crop_scale,
flip_probability, color_jitter_strength, color_jitter_probability, grayscale_probability,
seed)` whose call returns two independently augmented views of a batch. Random views
cannot be compared value by value with a reference, so the checks use settings that make
the pipeline deterministic (probabilities 0 or 1, a crop of the whole image), whose views
NumPy oracles give exactly (the image itself, its mirror image, its luma grayscale), and
properties that every correct pipeline has (shapes, value range, independent views,
reproducible with a seed). The hidden cases' reference is ssl_keras's own
`SimCLRAugmentation` with the same settings.
"""

from __future__ import annotations

import numpy as np

from ._core import Case, record_cases, to_array

LUMA_WEIGHTS = np.array([0.2989, 0.587, 0.114])  # ITU-R 601-2, as torchvision

# Settings of a pipeline that changes nothing: crop the whole image, never flip, jitter or
# convert to grayscale.
IDENTITY = dict(crop_scale=(1.0, 1.0), flip_probability=0.0, color_jitter_probability=0.0,
                grayscale_probability=0.0)


# One image shape for every check: on the jax backend each new shape compiles every op of
# the pipeline again (the notebook shows views of 6 training images of this shape too).
SHAPE = (6, 16, 16, 3)


def _images(seed: int, shape=SHAPE) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype("uint8")


def _views(factory, images, **settings) -> np.ndarray:
    """Both views of `images` through `factory(**settings)`, stacked: (2, batch, h, w, c)."""
    height, width = settings.pop("height", None), settings.pop("width", None)
    if height is None:
        height, width = images.shape[1:3]
    layer = factory(height=height, width=width, **settings)
    views = layer(images)
    if not isinstance(views, (tuple, list)) or len(views) != 2:
        raise AssertionError(
            "TwoViewAugmentation should return a pair (view_a, view_b); got "
            f"{type(views).__name__}" + (f" of length {len(views)}"
                                          if isinstance(views, (tuple, list)) else "") + ".")
    return np.stack([to_array(views[0]), to_array(views[1])])


def _reference_factory(height, width, crop_scale=(0.08, 1.0), flip_probability=0.5,
                       color_jitter_strength=0.5, color_jitter_probability=0.8,
                       grayscale_probability=0.2, seed=None):
    from ssl_keras.layers import SimCLRAugmentation

    return SimCLRAugmentation(
        preset="cifar", height=height, width=width, crop_scale=crop_scale,
        horizontal_flip_probability=flip_probability,
        color_jitter_strength=color_jitter_strength,
        color_jitter_probability=color_jitter_probability,
        grayscale_probability=grayscale_probability, blur=False, seed=seed)


def properties(factory, images, **settings) -> np.ndarray:
    """What every correct two-view pipeline satisfies, as numbers (1.0 = yes).

    `[batch, height, width, channels of view_a, same for view_b, values inside [0, 255],
    at least 3/4 of the images have two different views, the same seed gives the same
    views, different seeds give different views]`.
    """
    first = _views(factory, images, **settings)
    again = _views(factory, images, **settings)
    other = _views(factory, images, **{**settings, "seed": settings["seed"] + 1})
    in_range = float(first.min() >= 0.0 and first.max() <= 255.0)
    different = np.abs(first[0] - first[1]).reshape(len(images), -1).max(axis=1) > 1e-3
    return np.array([*first.shape[1:], *first.shape[1:], in_range,
                     float(different.mean() >= 0.75),
                     float(np.allclose(first, again, atol=1e-4)),
                     float(not np.allclose(first, other, atol=1e-4))])


def profiles(views: np.ndarray) -> np.ndarray:
    """Column and row profiles of stacked views `(2, batch, h, w, c)`, flattened.

    The means over the rows `(2, batch, w, c)` and over the columns `(2, batch, h, c)`
    change under a left-right or an upside-down flip, under grayscale conversion and under
    reordering of the images or views, but keep the recorded value ~50x smaller than the
    views themselves.
    """
    return np.concatenate([views.mean(axis=2).ravel(), views.mean(axis=3).ravel()])


def _measure(factory, images, measure="views", **settings):
    """The recorded value of a case: the views' `profiles`, or their `properties`."""
    if measure == "properties":
        return properties(factory, images, **settings)
    return profiles(_views(factory, images, **settings))


def _reference(images, **settings):
    return _measure(_reference_factory, images, **settings)


TASK = "two_view_augmentation"
CELL = "augmentation_tests"

CASES: dict[str, Case] = {
    "identity": Case(CELL, TASK, lambda: [_images(301)], _reference,
                     kwargs={**IDENTITY, "seed": 1},
                     description="whole-image crop, all probabilities 0: both views are the "
                                 "images themselves, in order and in [0, 255]"),
    "flip_always": Case(CELL, TASK, lambda: [_images(302)], _reference,
                        kwargs={**IDENTITY, "flip_probability": 1.0, "seed": 2},
                        description="flip probability 1: both views are mirrored left-right"),
    "grayscale_always": Case(CELL, TASK, lambda: [_images(303)], _reference,
                             kwargs={**IDENTITY, "grayscale_probability": 1.0, "seed": 3},
                             description="grayscale probability 1: both views are gray"),
    "flip_and_grayscale": Case(
        CELL, TASK, lambda: [_images(304)], _reference,
        kwargs={**IDENTITY, "flip_probability": 1.0, "grayscale_probability": 1.0, "seed": 4},
        description="flip and grayscale always"),
    "resize": Case(CELL, TASK, lambda: [_images(305)], _reference,
                   kwargs={**IDENTITY, "height": 12, "width": 12, "seed": 5},
                   description="whole-image crop resized from 16x16 to 12x12 "
                               "(RandomResizedCrop's bilinear resize)"),
    "random_pipeline": Case(
        CELL, TASK, lambda: [_images(306)], _reference,
        kwargs=dict(measure="properties", crop_scale=(0.3, 1.0), flip_probability=0.5,
                    color_jitter_strength=0.5, color_jitter_probability=0.8,
                    grayscale_probability=0.2, seed=6),
        description="the full random pipeline: shapes, value range, two different views, "
                    "reproducible with a seed"),
}

FORBIDDEN: dict[str, list[str]] = {
    CELL: ["ssl_keras.layers.SimCLRAugmentation", "ssl_keras.SimCLRAugmentation",
           "ssl_keras.layers.simclr_augmentation", "ssl_keras.pretrain"],
}


# ---------------------------------------------------------------------------------------
# NumPy oracles of the deterministic settings.


def oracle_grayscale(images) -> np.ndarray:
    images = np.asarray(images, "float64")
    gray = images @ LUMA_WEIGHTS
    return np.repeat(gray[..., None], 3, axis=-1)


def _compare(actual, expected, what, hint):
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: expected views of shape {expected.shape[1:]}, got "
                             f"{actual.shape[1:]}.")
    if not np.allclose(actual, expected, atol=0.5):
        raise AssertionError(f"{what}: {hint} (largest difference "
                             f"{np.max(np.abs(actual - expected)):.3g}).")


def _build(factory, images, what, **settings):
    try:
        return _views(factory, images, **settings)
    except NotImplementedError:
        raise AssertionError("TwoViewAugmentation: not implemented yet (remove the "
                             "`raise NotImplementedError()` lines and write your code).") from None
    except TypeError as error:
        raise AssertionError(
            f"{what}: calling TwoViewAugmentation(height, width, crop_scale=..., "
            "flip_probability=..., color_jitter_strength=..., color_jitter_probability=..., "
            f"grayscale_probability=..., seed=...) failed: {error}. Keep the constructor's "
            "arguments as given.") from None


def check_two_view_augmentation(factory) -> None:
    """Visible checks of the student's `TwoViewAugmentation` class."""
    images = _images(0)
    batch = images.astype("float64")

    what = "With crop_scale=(1, 1) and all probabilities 0"
    views = _build(factory, images, what, **IDENTITY, seed=0)
    if views.shape[1:] != images.shape:
        raise AssertionError(f"{what}: each view should have the shape of the input batch "
                             f"{images.shape}; got {views.shape[1:]}.")
    if np.allclose(views, batch / 255.0, atol=1e-3):
        raise AssertionError(f"{what}: the views are in [0, 1]. Keep the value range [0, 255] "
                             "of the input (the encoder rescales by itself).")
    _compare(views[0], batch, what + ", view_a",
             "nothing should change: view_a[i] should be image i itself")
    _compare(views[1], batch, what + ", view_b",
             "nothing should change: view_b[i] should be image i itself")

    what = "With flip_probability=1 (and nothing else)"
    views = _build(factory, images, what, **{**IDENTITY, "flip_probability": 1.0}, seed=0)
    if np.allclose(views[0], batch[:, ::-1], atol=0.5):
        raise AssertionError(f"{what}: the views are flipped upside down; SimCLR flips "
                             "left-right (a horizontal flip mirrors the width axis).")
    for index in (0, 1):
        _compare(views[index], batch[:, :, ::-1], what,
                 "every view should be the mirror image (left-right) of its image")

    what = "With grayscale_probability=1 (and nothing else)"
    views = _build(factory, images, what, **{**IDENTITY, "grayscale_probability": 1.0}, seed=0)
    for index in (0, 1):
        _compare(views[index], oracle_grayscale(batch), what,
                 "every view should be gray (0.2989 R + 0.587 G + 0.114 B in all channels)")

    what = "With color_jitter_probability=1 (and nothing else)"
    views = _build(factory, images, what, **{**IDENTITY, "color_jitter_probability": 1.0},
                   seed=0)
    if np.allclose(views[0], batch, atol=0.5):
        raise AssertionError(f"{what}: view_a is unchanged; the colour jitter should be "
                             "applied (RandomApply(RandomColorJitter(strength), probability)).")

    what = "The full pipeline (crop_scale=(0.3, 1), default probabilities, 12x12 output)"
    settings = dict(crop_scale=(0.3, 1.0), seed=0, height=12, width=12)
    views = _build(factory, images, what, **settings)
    if views.shape[1:] != (6, 12, 12, 3):
        raise AssertionError(f"{what}: the views should be resized to (height, width) = "
                             "(12, 12) "
                             f"by the random resized crop; got shape {views.shape[1:]}.")
    if views.min() < 0 or views.max() > 255:
        raise AssertionError(f"{what}: values leave [0, 255] ({views.min():.3g} to "
                             f"{views.max():.3g}).")
    different = np.abs(views[0] - views[1]).reshape(len(images), -1).max(axis=1) > 1e-3
    if different.mean() < 0.75:
        raise AssertionError(f"{what}: view_a and view_b are identical for "
                             f"{int((~different).sum())} of {len(images)} images. The two "
                             "views must be "
                             "drawn independently (apply the random pipeline twice).")
    again = _build(factory, images, what, **settings)
    if not np.allclose(views, again, atol=1e-4):
        raise AssertionError(f"{what}: two layers built with the same seed give different "
                             "views. Pass seeds derived from `seed` to every random layer.")
    other = _build(factory, images, what, **{**settings, "seed": 1})
    if np.allclose(views, other, atol=1e-4):
        raise AssertionError(f"{what}: seeds 0 and 1 give the same views; the random layers "
                             "should be seeded from `seed`.")
    print("TwoViewAugmentation: all visible checks passed.")


def record_two_view_augmentation(factory) -> None:
    record_cases(CASES, TASK, lambda images, **kw: _measure(factory, images, **kw))
