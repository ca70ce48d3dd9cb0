"""Visible checks of the simclr assignment: the two-view augmentation the student writes.

The student writes a Keras layer `TwoViewAugmentation(height, width, crop_scale,
flip_probability, color_jitter_strength, color_jitter_probability, grayscale_probability,
seed)` whose call returns two independently augmented views of a batch. Random views
cannot be compared value by value, so the cases use the harnesses below:

- `_measure` (views `profiles`) with settings that make the pipeline deterministic
  (probabilities 0 or 1, a crop of the whole image): the views are then known exactly
  (the image itself, its mirror image, its luma grayscale);
- `properties`, numbers that every correct pipeline gives (shapes, value range, two
  different views, reproducible with a seed), one property per visible case.

Each case's expected value is the harness applied to the grader's reference pipeline,
stored in `checks/expected/simclr.json`; the reference itself is not in this module.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case

NAME = "simclr"

TASKS = {"augmentation_tests": "TwoViewAugmentation"}

TASK = "TwoViewAugmentation"

# Settings of a pipeline that changes nothing: crop the whole image, never flip, jitter or
# convert to grayscale.
IDENTITY = dict(crop_scale=(1.0, 1.0), flip_probability=0.0, color_jitter_probability=0.0,
                grayscale_probability=0.0)

# One image shape for every case: on the jax backend each new shape compiles every op of
# the pipeline again (the notebook shows views of 6 training images of this shape too).
SHAPE = (6, 16, 16, 3)


def random_images(seed: int, shape=SHAPE) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype("uint8")


# ------------------------------------------------------------------ measure harnesses


def _views(factory, images, **settings) -> np.ndarray:
    """Both views of `images` through `factory(**settings)`, stacked: (2, batch, h, w, c).

    `height` and `width` default to the images' own.
    """
    height, width = settings.pop("height", None), settings.pop("width", None)
    if height is None:
        height, width = images.shape[1:3]
    try:
        layer = factory(height=height, width=width, **settings)
    except TypeError as error:
        raise TypeError(
            f"calling TwoViewAugmentation(height, width, crop_scale=..., flip_probability=..., "
            "color_jitter_strength=..., color_jitter_probability=..., "
            f"grayscale_probability=..., seed=...) failed ({error}); keep the constructor's "
            "arguments as given") from None
    views = layer(images)
    if not isinstance(views, (tuple, list)) or len(views) != 2:
        length = f" of length {len(views)}" if isinstance(views, (tuple, list)) else ""
        raise TypeError("TwoViewAugmentation should return a pair (view_a, view_b); it "
                        f"returned {type(views).__name__}{length}")
    first, second = _core.to_array(views[0]), _core.to_array(views[1])
    if first.shape != second.shape:
        raise ValueError(f"view_a and view_b have different shapes {first.shape} and "
                         f"{second.shape}")
    return np.stack([first, second]).astype("float64")


def _different(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per image: do two batches of views differ anywhere (by more than 1e-3)?"""
    if first.shape != second.shape:
        return np.ones(len(first), bool)
    return np.abs(first - second).reshape(len(first), -1).max(axis=1) > 1e-3


# The properties `properties` can measure, in the order of its default vector.
PROPERTIES = ("shapes", "value_range", "different_views", "same_seed", "other_seed")


def properties(factory, images, only=None, **settings) -> np.ndarray:
    """What every correct two-view pipeline satisfies, as numbers (1.0 = yes).

    `only` selects properties by name (default: the first five, in this order):

    - `"shapes"`: `[batch, height, width, channels]` of view_a, then of view_b;
    - `"value_range"`: every value inside [0, 255];
    - `"different_views"`: at least 3/4 of the images have two different views;
    - `"same_seed"`: two layers built with the same seed give the same views;
    - `"other_seed"`: seeds `seed` and `seed + 1` give different views;
    - `"changed"`: view_a differs from the image for at least 3/4 of the images.
    """
    first = _views(factory, images, **settings)
    values = []
    for name in only or PROPERTIES:
        if name == "shapes":
            values += [*first.shape[1:], *first.shape[1:]]
        elif name == "value_range":
            values.append(float(first.min() >= 0.0 and first.max() <= 255.0))
        elif name == "different_views":
            values.append(float(_different(first[0], first[1]).mean() >= 0.75))
        elif name == "same_seed":
            again = _views(factory, images, **settings)
            values.append(float(first.shape == again.shape
                                and np.allclose(first, again, atol=1e-4)))
        elif name == "other_seed":
            other = _views(factory, images, **{**settings, "seed": settings["seed"] + 1})
            values.append(float(first.shape != other.shape
                                or not np.allclose(first, other, atol=1e-4)))
        elif name == "changed":
            values.append(float(_different(first[0], np.asarray(images, "float64")).mean()
                                >= 0.75))
        else:
            raise ValueError(f"unknown property {name!r}")
    return np.array(values)


def profiles(views: np.ndarray) -> np.ndarray:
    """Column and row profiles of stacked views `(2, batch, h, w, c)`, flattened.

    The means over the rows `(2, batch, w, c)` and over the columns `(2, batch, h, c)`
    change under a left-right or an upside-down flip, under grayscale conversion and under
    reordering of the images or views, but keep the compared value ~50x smaller than the
    views themselves.
    """
    return np.concatenate([views.mean(axis=2).ravel(), views.mean(axis=3).ravel()])


def _measure(factory, images, measure="views", **settings):
    """The compared value of a case: the views' `profiles`, or their `properties`."""
    if measure == "properties":
        return properties(factory, images, **settings)
    return profiles(_views(factory, images, **settings))


# ------------------------------------------------------------------ visible cases

_IMAGES = lambda: [random_images(0)]  # noqa: E731
# The full random pipeline of the old checks: default probabilities, 12x12 views.
FULL = dict(crop_scale=(0.3, 1.0), height=12, width=12, seed=0)

UNIT_RANGE = ("unit_range", "the views are in [0, 1]. Keep the value range [0, 255] of "
                            "the input (the encoder rescales by itself)")
SAME_VIEW_TWICE = ("same_view_twice", "view_a and view_b are identical. The two views "
                                      "must be drawn independently (apply the random "
                                      "pipeline twice)")


def _property(name: str, settings: dict, description: str, mistakes=()) -> Case:
    return Case(TASK, _IMAGES, {"only": (name,), **settings}, measure="properties",
                description=description, mistakes=mistakes)


VISIBLE: dict[str, Case] = {
    "identity_shapes": _property(
        "shapes", {**IDENTITY, "seed": 0},
        "With crop_scale=(1, 1) and all probabilities 0, each view has the shape of the "
        "input batch (6, 16, 16, 3) (the value compared is the shapes of view_a and view_b)"),
    "identity_views": Case(
        TASK, _IMAGES, {**IDENTITY, "seed": 0}, measure="_measure",
        mistakes=(UNIT_RANGE,
                  ("shuffled_pairs", "view_b is not in the order of the images: view_b[i] "
                                     "must be a view of image i")),
        description="With crop_scale=(1, 1) and all probabilities 0 nothing should change: "
                    "view_a[i] and view_b[i] should be image i itself (the value compared "
                    "is the row and column means of the views)"),
    "flip_views": Case(
        TASK, _IMAGES, {**IDENTITY, "flip_probability": 1.0, "seed": 0}, measure="_measure",
        mistakes=(("vertical_flip", "the views are flipped upside down; SimCLR flips "
                                    "left-right (a horizontal flip mirrors the width axis)"),
                  ("no_flip", "the views are not flipped: apply RandomHorizontalFlip("
                              "flip_probability)"),
                  UNIT_RANGE),
        description="With flip_probability=1 (and nothing else) every view should be the "
                    "mirror image (left-right) of its image"),
    "grayscale_views": Case(
        TASK, _IMAGES, {**IDENTITY, "grayscale_probability": 1.0, "seed": 0},
        measure="_measure",
        mistakes=(("no_grayscale", "no view is gray: apply RandomGrayscale("
                                   "grayscale_probability)"),
                  UNIT_RANGE),
        description="With grayscale_probability=1 (and nothing else) every view should be "
                    "gray (0.2989 R + 0.587 G + 0.114 B in all channels)"),
    "color_jitter_changes_views": _property(
        "changed", {**IDENTITY, "color_jitter_probability": 1.0, "seed": 0},
        "With color_jitter_probability=1 (and nothing else) the colour jitter changes the "
        "images (the value compared is 1 if view_a differs from the image for most images)",
        mistakes=(("no_color_jitter", "view_a is unchanged; the colour jitter should be "
                                      "applied (RandomApply(RandomColorJitter(strength), "
                                      "probability))"),)),
    "full_shapes": _property(
        "shapes", FULL,
        "The full pipeline (crop_scale=(0.3, 1), default probabilities, 12x12 output): the "
        "views have shape (6, 12, 12, 3) (the value compared is the shapes of view_a and "
        "view_b)",
        mistakes=(("no_resize", "the views are not resized to (height, width) = (12, 12) by "
                                "the random resized crop"),)),
    "full_value_range": _property(
        "value_range", FULL,
        "The full pipeline: every value of the views lies in [0, 255] (the value compared "
        "is 1 if so)"),
    "full_different_views": _property(
        "different_views", FULL,
        "The full pipeline: view_a and view_b differ for most images (the value compared "
        "is 1 if so)",
        mistakes=(SAME_VIEW_TWICE,)),
    "full_same_seed": _property(
        "same_seed", FULL,
        "The full pipeline: two layers built with the same seed give the same views (the "
        "value compared is 1 if so)",
        mistakes=(("unseeded", "two layers built with the same seed give different views. "
                               "Pass seeds derived from `seed` to every random layer"),)),
    "full_other_seed": _property(
        "other_seed", FULL,
        "The full pipeline: seeds 0 and 1 give different views (the value compared is 1 if "
        "so)",
        mistakes=(("fixed_seed", "seeds 0 and 1 give the same views; the random layers "
                                 "should be seeded from `seed`"),)),
}


def check_TwoViewAugmentation(factory) -> None:  # noqa: N802 (the task is the class's name)
    """Visible checks of the student's `TwoViewAugmentation` class."""
    _core.check(sys.modules[__name__], TASK, factory)


check_two_view_augmentation = check_TwoViewAugmentation  # the name of earlier releases
