"""Grader-private judge of the pretext_tasks assignment (never visible to students).

References: NumPy oracles written pixel by pixel from the definitions (Gidaris et al.,
2018; Noroozi and Favaro, 2016; Zhang et al., 2016); the tests check that they agree with
`ssl_keras.pretext`'s `rotation_dataset`, `jigsaw_shuffle` and `colorization_dataset`.
Variants are the typical mistakes the visible cases name.

The student's own pretext task (`my_pretext_task`) has no single right answer: its cases
measure validity (see `checks/pretext_tasks.py`), and every valid design gives the stored
values. The reference is one valid design (a left-right flip); the tests check that other
valid designs (a classification and regressions of other shapes) give the same values.
Its hidden cases run on the 8x8 handwritten digits of scikit-learn drawn as the
notebook's 16x16 digits are, other batch sizes and seeds.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..checks._core import Case
from ..checks.pretext_tasks import random_images, stroke_images

LUMA = (0.2989, 0.587, 0.114)


# ------------------------------------------------------------------ NumPy oracles


def oracle_rotate(image: np.ndarray, quarter_turns: int) -> np.ndarray:
    """Counter-clockwise rotation, pixel by pixel: out[r, c] = in[c, n - 1 - r]."""
    out = np.asarray(image)
    for _ in range(quarter_turns % 4):
        n = out.shape[0]
        rotated = np.empty_like(out)
        for r in range(n):
            for c in range(n):
                rotated[r, c] = out[c, n - 1 - r]
        out = rotated
    return out


def oracle_rotation_batch(images):
    rotated, labels = [], []
    for image in np.asarray(images):
        for turns in range(4):
            rotated.append(oracle_rotate(image, turns))
            labels.append(turns)
    return np.stack(rotated), np.array(labels)


def oracle_permutations() -> list[list[int]]:
    """The 24 permutations of (0, 1, 2, 3) in lexicographic order."""
    return [list(p) for p in itertools.permutations(range(4))]


def oracle_jigsaw_shuffle(images, permutation_indices):
    images = np.asarray(images)
    out = np.empty_like(images)
    h, w = images.shape[1] // 2, images.shape[2] // 2
    corners = [(0, 0), (0, w), (h, 0), (h, w)]  # tiles 0..3, row-major
    for i, index in enumerate(permutation_indices):
        permutation = oracle_permutations()[int(index)]
        for position, tile in enumerate(permutation):
            (top, left), (source_top, source_left) = corners[position], corners[tile]
            out[i, top:top + h, left:left + w] = images[
                i, source_top:source_top + h, source_left:source_left + w]
    return out


def oracle_colorization_pair(images):
    images = np.asarray(images, dtype="float64")
    gray = LUMA[0] * images[..., 0] + LUMA[1] * images[..., 1] + LUMA[2] * images[..., 2]
    return (np.stack([gray, gray, gray], axis=-1).astype("float32"),
            images.astype("float32"))


def reference_flip_batch(images, seed):
    """One valid pretext task: each image mirrored left-right with probability 1/2, the
    label says whether it was (2 classes)."""
    images = np.asarray(images)
    flipped = np.random.default_rng(seed).integers(0, 2, size=len(images))
    inputs = np.where(flipped[:, None, None, None] == 1, images[:, :, ::-1], images)
    return inputs, flipped.astype("int32")


class TaskSpec:
    """What a `ssl_keras.pretext.PretextTask` holds, without importing Keras here."""

    def __init__(self, name, batch_function, num_classes=None, target_shape=None):
        self.name, self.batch_function = name, batch_function
        self.num_classes, self.target_shape = num_classes, target_shape

    def __call__(self, images, seed=None):
        return self.batch_function(images, seed)


REFERENCES = {
    "rotation_batch": oracle_rotation_batch,
    "jigsaw_shuffle": oracle_jigsaw_shuffle,
    "colorization_pair": oracle_colorization_pair,
    "my_pretext_task": TaskSpec("flip", reference_flip_batch, num_classes=2),
}


# ------------------------------------------------------------------ typical mistakes


def _clockwise(images):
    images = np.asarray(images)
    rotated = np.stack([np.rot90(images, -k, axes=(1, 2)) for k in range(4)], axis=1)
    return rotated.reshape((-1,) + images.shape[1:]), np.tile(np.arange(4), len(images))


def _grouped_by_rotation(images):
    images = np.asarray(images)
    rotated = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    return rotated, np.repeat(np.arange(4), len(images))


def _tiles(images):
    h, w = images.shape[1] // 2, images.shape[2] // 2
    return [images[:, :h, :w], images[:, :h, w:], images[:, h:, :w], images[:, h:, w:]]


def _assemble(tiles, shape):
    out = np.empty(shape, tiles[0].dtype)
    h, w = tiles[0].shape[1:3]
    out[:, :h, :w], out[:, :h, w:], out[:, h:, :w], out[:, h:, w:] = tiles
    return out


def _inverse_permutation(images, permutation_indices):
    """Tile t goes TO position p[t]."""
    images = np.asarray(images)
    out = np.empty_like(images)
    for i, index in enumerate(permutation_indices):
        tiles = _tiles(images[i:i + 1])
        placed = [None] * 4
        for tile, position in enumerate(oracle_permutations()[int(index)]):
            placed[position] = tiles[tile]
        out[i:i + 1] = _assemble(placed, images[i:i + 1].shape)
    return out


def _column_major(images, permutation_indices):
    """Tiles numbered down the columns (0 top-left, 1 bottom-left, ...)."""
    images = np.asarray(images)
    out = np.empty_like(images)
    for i, index in enumerate(permutation_indices):
        tiles = _tiles(images[i:i + 1])
        tiles = [tiles[0], tiles[2], tiles[1], tiles[3]]
        shuffled = [tiles[p] for p in oracle_permutations()[int(index)]]
        shuffled = [shuffled[0], shuffled[2], shuffled[1], shuffled[3]]
        out[i:i + 1] = _assemble(shuffled, images[i:i + 1].shape)
    return out


def _luma(images):
    return np.asarray(images, "float32") @ np.array(LUMA, "float32")


def _one_channel(images):
    return _luma(images), np.asarray(images, "float32")


def _channel_mean(images):
    images = np.asarray(images, "float32")
    return np.repeat(images.mean(axis=-1, keepdims=True), 3, axis=-1), images


def _rounded(images):
    gray = np.round(_luma(images)).astype("uint8")
    return np.repeat(gray[..., None], 3, axis=-1), np.asarray(images, "float32")


def _targets_in_unit_range(images):
    gray, targets = oracle_colorization_pair(images)
    return gray, targets / np.float32(255.0)


def _float64(images):
    gray, targets = oracle_colorization_pair(images)
    return gray.astype("float64"), targets.astype("float64")


VARIANTS = {
    "rotation_batch": {
        "clockwise": _clockwise,
        "grouped_by_rotation": _grouped_by_rotation,
    },
    "jigsaw_shuffle": {
        "inverse_permutation": _inverse_permutation,
        "column_major": _column_major,
    },
    "colorization_pair": {
        "one_channel": _one_channel,
        "channel_mean": _channel_mean,
        "rounded": _rounded,
        "targets_in_unit_range": _targets_in_unit_range,
        "float64": _float64,
    },
}


# ------------------------------------------------------------------ hidden cases

_ROTATION_RGB = lambda: random_images(31, (3, 6, 6, 3))  # noqa: E731
_ROTATION_ODD = lambda: random_images(32, (2, 5, 5, 1), "float32")  # noqa: E731
_COLOUR = lambda: random_images(35, (2, 4, 4, 3))  # noqa: E731
_EXTREMES = lambda: [np.array(  # noqa: E731
    [[[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]]], dtype="uint8")]

HIDDEN: dict[str, Case] = {
    "rotation_rgb_images": Case(
        "rotation_batch", _ROTATION_RGB, measure="rotated_images",
        description="3 RGB images of 6x6: the rotated images"),
    "rotation_rgb_labels": Case(
        "rotation_batch", _ROTATION_RGB, measure="rotation_labels",
        description="3 RGB images of 6x6: the labels"),
    "rotation_gray_odd_images": Case(
        "rotation_batch", _ROTATION_ODD, measure="rotated_images",
        description="2 one-channel float images of odd size 5x5: the rotated images"),
    "rotation_gray_odd_labels": Case(
        "rotation_batch", _ROTATION_ODD, measure="rotation_labels",
        description="2 one-channel float images of odd size 5x5: the labels"),
    "jigsaw_all_permutations": Case(
        "jigsaw_shuffle", lambda: random_images(33, (24, 4, 4, 3)) + [np.arange(24)],
        description="one image per permutation, all 24 permutations"),
    "jigsaw_rectangular": Case(
        "jigsaw_shuffle", lambda: random_images(34, (3, 6, 8, 1)) + [np.array([23, 5, 17])],
        description="non-square 6x8 one-channel images"),
    "jigsaw_float_images": Case(
        "jigsaw_shuffle",
        lambda: random_images(36, (2, 8, 8, 3), "float32") + [np.array([19, 11])],
        description="float images of 8x8 (tiles of 4x4)"),
    "colorization_basic_grayscale": Case(
        "colorization_pair", _COLOUR, measure="grayscale_inputs", rtol=1e-5, atol=1e-3,
        description="2 RGB images of 4x4: the grayscale inputs"),
    "colorization_basic_targets": Case(
        "colorization_pair", _COLOUR, measure="colour_targets", rtol=1e-5, atol=1e-3,
        description="2 RGB images of 4x4: the targets"),
    "colorization_extremes_grayscale": Case(
        "colorization_pair", _EXTREMES, measure="grayscale_inputs", rtol=1e-5, atol=1e-3,
        description="pure red, green, blue and white pixels: the grayscale inputs"),
    "colorization_extremes_targets": Case(
        "colorization_pair", _EXTREMES, measure="colour_targets", rtol=1e-5, atol=1e-3,
        description="pure red, green, blue and white pixels: the targets"),
    "colorization_extremes_float32": Case(
        "colorization_pair", _EXTREMES, measure="colorization_dtypes",
        description="pure red, green, blue and white pixels: both outputs float32"),
}

def drawn_digits(seed: int, count: int) -> np.ndarray:
    """`count` of scikit-learn's 8x8 handwritten digits drawn as the notebook's: 16x16
    (each pixel doubled), a random stroke and background gray level, noise; uint8 RGB."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(seed)
    bitmaps = load_digits().images  # (1797, 8, 8), values 0..16
    chosen = bitmaps[rng.choice(len(bitmaps), size=count, replace=False)] / 16.0
    chosen = chosen.repeat(2, axis=1).repeat(2, axis=2)
    background = rng.uniform(0, 100, size=(count, 1, 1))
    stroke = rng.uniform(140, 255, size=(count, 1, 1))
    gray = background + chosen * (stroke - background) + rng.normal(0, 10, chosen.shape)
    return np.repeat(np.clip(gray, 0, 255).astype("uint8")[..., None], 3, axis=-1)


HIDDEN.update({
    "my_pretext_digits_format": Case(
        "my_pretext_task", lambda: [drawn_digits(41, 33), 11], measure="pretext_batch_shape",
        description="33 handwritten digits, seed 11: inputs (33, 16, 16, 3) in [0, 255] and "
                    "targets as your spec says"),
    "my_pretext_large_seed": Case(
        "my_pretext_task", lambda: [stroke_images(42, 5), 2**31 - 2],
        measure="pretext_batch_shape",
        description="5 images with the largest seed the comparison draws, 2**31 - 2"),
    "my_pretext_digits_deterministic": Case(
        "my_pretext_task", lambda: [drawn_digits(43, 17), 12], measure="pretext_deterministic",
        description="17 handwritten digits, seed 12, twice: the same inputs and targets"),
    "my_pretext_digits_vary": Case(
        "my_pretext_task", lambda: [drawn_digits(44, 64), 13], measure="pretext_targets_vary",
        description="64 handwritten digits, seed 13: the targets are not all the same"),
    "my_pretext_digits_from_inputs": Case(
        "my_pretext_task", lambda: [drawn_digits(45, 12), 14], {"copies": 3},
        measure="pretext_targets_from_inputs",
        description="12 handwritten digits, each 3 times, seed 14: identical inputs get "
                    "identical targets"),
})

# The package's own transform of each task (every import path); the permutation table
# `jigsaw_permutations` and the weights `LUMA_WEIGHTS` stay allowed (the notebook gives them).
# Your own pretext task is written, not taken: the built-in tasks' transforms are refused
# there (calling `rotation_dataset` and naming it your own is not inventing a task), and so
# are the dataset loaders (a pretext task sees its images and seed, never a dataset's
# labels). NumPy, keras.ops and your own functions of Tasks 1-3 stay allowed.
_TRANSFORMS = {
    "rotation": ("rotation_dataset", "rotate_images"),
    "jigsaw": ("jigsaw_dataset", "jigsaw_shuffle", "jigsaw_unshuffle"),
    "colorization": ("colorization_dataset", "rgb_to_grayscale"),
}
BUILT_IN_TRANSFORMS = [f"ssl_keras.pretext{where}.{name}"
                       for module, names in _TRANSFORMS.items()
                       for where in ("", f".{module}") for name in names]
DATASET_LOADERS = [
    "ssl_keras.data.load_digits", "ssl_keras.data.digits.load_digits",
    "ssl_keras.data.load_cifar10", "ssl_keras.data.cifar10.load_cifar10",
    "ssl_keras.data.load_dataset", "ssl_keras.data.load_image_folder",
    "ssl_keras.data.image_folder.load_image_folder",
    "sklearn.datasets.load_digits", "keras.datasets.cifar10.load_data",
    "keras.datasets.mnist.load_data",
]
FORBIDDEN: dict[str, list[str]] = {
    "rotation_batch": [
        "ssl_keras.pretext.rotation_dataset",
        "ssl_keras.pretext.rotate_images",
        "ssl_keras.pretext.rotation.rotation_dataset",
        "ssl_keras.pretext.rotation.rotate_images",
    ],
    "jigsaw_shuffle": [
        "ssl_keras.pretext.jigsaw_shuffle",
        "ssl_keras.pretext.jigsaw_unshuffle",
        "ssl_keras.pretext.jigsaw_dataset",
        "ssl_keras.pretext.jigsaw.jigsaw_shuffle",
        "ssl_keras.pretext.jigsaw.jigsaw_unshuffle",
        "ssl_keras.pretext.jigsaw.jigsaw_dataset",
    ],
    "colorization_pair": [
        "ssl_keras.pretext.colorization_dataset",
        "ssl_keras.pretext.rgb_to_grayscale",
        "ssl_keras.pretext.colorization.colorization_dataset",
        "ssl_keras.pretext.colorization.rgb_to_grayscale",
    ],
    "my_pretext_task": BUILT_IN_TRANSFORMS + DATASET_LOADERS,
}

# No later task calls an earlier one: no stand-ins.
STAND_INS: dict = {}

SETUP = ("setup",)
