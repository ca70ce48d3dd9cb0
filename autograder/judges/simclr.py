"""Grader-private judge of the simclr assignment (never visible to students).

The reference of `TwoViewAugmentation` is ssl_keras's own `SimCLRAugmentation` (CIFAR
preset, no blur) with the same settings; the visible module's harnesses (`_measure`,
`properties`) turn it into the compared numbers. The variants are broken pipelines built
from the same ssl_keras layers the students compose, each with one typical mistake.
"""

from __future__ import annotations

import keras

from ..checks._core import Case
from ..checks.simclr import IDENTITY, TASK, random_images


def reference_factory(height, width, crop_scale=(0.08, 1.0), flip_probability=0.5,
                      color_jitter_strength=0.5, color_jitter_probability=0.8,
                      grayscale_probability=0.2, seed=None):
    """`SimCLRAugmentation` with the student's constructor arguments."""
    from ssl_keras.layers import SimCLRAugmentation

    return SimCLRAugmentation(
        preset="cifar", height=height, width=width, crop_scale=crop_scale,
        horizontal_flip_probability=flip_probability,
        color_jitter_strength=color_jitter_strength,
        color_jitter_probability=color_jitter_probability,
        grayscale_probability=grayscale_probability, blur=False, seed=seed)


REFERENCES = {TASK: reference_factory}


# ------------------------------------------------------------------ typical mistakes


class _Pipeline(keras.layers.Layer):
    """A correct TwoViewAugmentation (as the notebook's solution), to break below."""

    def __init__(self, height, width, crop_scale=(0.08, 1.0), flip_probability=0.5,
                 color_jitter_strength=0.5, color_jitter_probability=0.8,
                 grayscale_probability=0.2, seed=None, **kwargs):
        super().__init__(**kwargs)
        from ssl_keras import layers

        seed = self._seed(seed)

        def layer_seed(index):
            return None if seed is None else seed + 1_000_003 * index

        self.crop = layers.RandomResizedCrop(*self._size(height, width), scale=crop_scale,
                                             seed=layer_seed(1))
        self.flip = layers.RandomHorizontalFlip(flip_probability, seed=layer_seed(2))
        self.color_jitter = layers.RandomApply(
            layers.RandomColorJitter(color_jitter_strength, seed=layer_seed(3)),
            probability=color_jitter_probability, seed=layer_seed(4))
        self.grayscale = layers.RandomGrayscale(grayscale_probability, seed=layer_seed(5))

    def build(self, input_shape=None):  # sub-layers build on first call (some unused)
        pass

    def _seed(self, seed):
        return seed

    def _size(self, height, width):
        return height, width

    def augment(self, images):
        x = self.crop(images, training=True)
        x = self.flip(x, training=True)
        x = self.color_jitter(x, training=True)
        return self.grayscale(x, training=True)

    def call(self, images, training=True):
        return self.augment(images), self.augment(images)


class UnitRange(_Pipeline):
    def call(self, images, training=True):
        view_a, view_b = super().call(images)
        return view_a / 255.0, view_b / 255.0


class ShuffledPairs(_Pipeline):
    def call(self, images, training=True):
        view_a, view_b = super().call(images)
        return view_a, keras.ops.flip(view_b, axis=0)


class VerticalFlip(_Pipeline):
    """Flips the height axis (the horizontal flip applied to the transposed images)."""

    def augment(self, images):
        x = self.crop(images, training=True)
        x = keras.ops.transpose(x, (0, 2, 1, 3))
        x = keras.ops.transpose(self.flip(x, training=True), (0, 2, 1, 3))
        x = self.color_jitter(x, training=True)
        return self.grayscale(x, training=True)


class NoFlip(_Pipeline):
    def augment(self, images):
        x = self.crop(images, training=True)
        return self.grayscale(self.color_jitter(x, training=True), training=True)


class NoGrayscale(_Pipeline):
    def augment(self, images):
        x = self.flip(self.crop(images, training=True), training=True)
        return self.color_jitter(x, training=True)


class NoColorJitter(_Pipeline):
    def augment(self, images):
        x = self.flip(self.crop(images, training=True), training=True)
        return self.grayscale(x, training=True)


class NoResize(_Pipeline):
    def _size(self, height, width):
        return None, None


class SameViewTwice(_Pipeline):
    def call(self, images, training=True):
        view = self.augment(images)
        return view, view


class Unseeded(_Pipeline):
    def _seed(self, seed):
        return None


class FixedSeed(_Pipeline):
    def _seed(self, seed):
        return 1234


VARIANTS = {
    TASK: {
        "unit_range": UnitRange,
        "shuffled_pairs": ShuffledPairs,
        "vertical_flip": VerticalFlip,
        "no_flip": NoFlip,
        "no_grayscale": NoGrayscale,
        "no_color_jitter": NoColorJitter,
        "no_resize": NoResize,
        "same_view_twice": SameViewTwice,
        "unseeded": Unseeded,
        "fixed_seed": FixedSeed,
    },
}


# ------------------------------------------------------------------ hidden cases
# The old cases (their images and seeds), plus the properties that were checked only
# visibly: the colour jitter applied, and the full pipeline with a resize to 12x12.


def _images(seed):
    return lambda: [random_images(seed)]


def _views(seed, description, **settings):
    return Case(TASK, _images(300 + seed), {**settings, "seed": seed}, measure="_measure",
                description=description)


HIDDEN: dict[str, Case] = {
    "identity": _views(1, "whole-image crop, all probabilities 0: both views are the "
                          "images themselves, in order and in [0, 255]", **IDENTITY),
    "flip_always": _views(2, "flip probability 1: both views are mirrored left-right",
                          **{**IDENTITY, "flip_probability": 1.0}),
    "grayscale_always": _views(3, "grayscale probability 1: both views are gray",
                               **{**IDENTITY, "grayscale_probability": 1.0}),
    "flip_and_grayscale": _views(4, "flip and grayscale always",
                                 **{**IDENTITY, "flip_probability": 1.0,
                                    "grayscale_probability": 1.0}),
    "resize": _views(5, "whole-image crop resized from 16x16 to 12x12 (RandomResizedCrop's "
                        "bilinear resize)", **{**IDENTITY, "height": 12, "width": 12}),
    "random_pipeline": _views(6, "the full random pipeline: shapes, value range, two "
                                 "different views, reproducible with a seed",
                              measure="properties", crop_scale=(0.3, 1.0),
                              flip_probability=0.5, color_jitter_strength=0.5,
                              color_jitter_probability=0.8, grayscale_probability=0.2),
    "color_jitter_applied": _views(7, "colour jitter probability 1 changes the images",
                                   measure="properties", only=("changed",),
                                   **{**IDENTITY, "color_jitter_probability": 1.0}),
    "random_pipeline_resized": _views(8, "the full random pipeline with 12x12 views and a "
                                         "strong jitter: shapes, value range, two different "
                                         "views, reproducible with a seed",
                                      measure="properties", crop_scale=(0.2, 1.0),
                                      color_jitter_strength=1.0, height=12, width=12),
}

# SimCLRAugmentation is the answer, wherever it is imported from (the SimCLR and MoCo
# models build one by default, and `train_simclr` builds one when given no augmentation).
# The individual layers (RandomResizedCrop, RandomColorJitter, ...) stay allowed: the
# students compose them.
FORBIDDEN: dict[str, list[str]] = {
    TASK: [
        "ssl_keras.SimCLRAugmentation",
        "ssl_keras.layers.SimCLRAugmentation",
        "ssl_keras.layers.simclr_augmentation.SimCLRAugmentation",
        "ssl_keras.models.simclr.SimCLRAugmentation",
        "ssl_keras.models.moco.SimCLRAugmentation",
        "ssl_keras.pretrain.train_simclr",
        "ssl_keras.experiments.train_simclr",
        "ssl_keras.experiments.pretrain.train_simclr",
    ],
}

# One task, called by no later task: no stand-ins.
STAND_INS: dict = {}

SETUP = ("setup",)
