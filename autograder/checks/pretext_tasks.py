"""Visible checks of the pretext_tasks assignment: the three pretext-task transforms.

- `rotation_batch(images) -> (rotated, labels)`: every image in its 4 rotations, `(4N, ...)`.
- `jigsaw_shuffle(images, permutation_indices)`: the 2x2 tiles reordered.
- `colorization_pair(images) -> (grayscale, targets)`: grayscale inputs and colour targets.

Each case compares ONE array with its stored expected value (`checks/expected/
pretext_tasks.json`): the functions that return a pair are measured one part at a time by
the harnesses below (`rotated_images`, `rotation_labels`, `grayscale_inputs`,
`colour_targets`), so that integer labels stay integers and a failing case names the part.
The grader's reference implementations and hidden cases are not in this module.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case

NAME = "pretext_tasks"

TASKS = {
    "rotation_tests": "rotation_batch",
    "jigsaw_tests": "jigsaw_shuffle",
    "colorization_tests": "colorization_pair",
}


def random_images(seed: int, shape: tuple[int, ...], dtype: str = "uint8") -> list[np.ndarray]:
    """Random images with values in [0, 255] from a seeded generator, as an input list."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=shape).astype(dtype)]


# ------------------------------------------------------------------ measure harnesses


def _pair(result, task: str, names: str):
    if not isinstance(result, tuple | list) or len(result) != 2:
        length = f" of length {len(result)}" if isinstance(result, tuple | list) else ""
        raise TypeError(f"{task} should return a pair {names}; it returned "
                        f"{type(result).__name__}{length}")
    return result


def rotated_images(rotation_batch, images, rows=None):
    """The rotated images of `rotation_batch(images)` (only `rows`, if given)."""
    rotated = _core.to_array(
        _pair(rotation_batch(images), "rotation_batch", "(rotated, labels)")[0])
    return rotated if rows is None else rotated[rows]


def rotation_labels(rotation_batch, images):
    """The labels of `rotation_batch(images)`."""
    return _pair(rotation_batch(images), "rotation_batch", "(rotated, labels)")[1]


def grayscale_inputs(colorization_pair, images):
    """The grayscale inputs of `colorization_pair(images)`."""
    return _pair(colorization_pair(images), "colorization_pair", "(grayscale, targets)")[0]


def colour_targets(colorization_pair, images):
    """The colour targets of `colorization_pair(images)`."""
    return _pair(colorization_pair(images), "colorization_pair", "(grayscale, targets)")[1]


def colorization_dtypes(colorization_pair, images):
    """`[grayscale is float32, targets is float32]` (1 = yes, 0 = another dtype)."""
    pair = _pair(colorization_pair(images), "colorization_pair", "(grayscale, targets)")
    return np.array([int(_core.to_array(part).dtype == np.float32) for part in pair])


# ------------------------------------------------------------------ visible cases

_SMALL = lambda: [np.arange(2 * 3 * 3 * 1).reshape(2, 3, 3, 1)]  # noqa: E731
_COLOUR = lambda: random_images(3, (2, 3, 3, 3))  # noqa: E731
_TILES = np.array([[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]])[..., None]

CLOCKWISE = ("clockwise", "you rotated clockwise: k quarter turns COUNTER-clockwise, as "
             "np.rot90(image, k) on the height and width axes")
GROUPED = ("grouped_by_rotation", "the copies are grouped by rotation (all images at 0 "
           "degrees, then all at 90, ...); rows 4i + k hold image i rotated k times")
COLUMN_MAJOR = ("column_major", "the tiles are numbered down the columns; they are numbered "
                "row-major: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right")
INVERSE = ("inverse_permutation", "tile t was moved TO position p[t] (the inverse "
           "permutation); position t must receive tile p[t]")

VISIBLE: dict[str, Case] = {
    "rotation_labels": Case(
        "rotation_batch", _SMALL, measure="rotation_labels", mistakes=(GROUPED,),
        description="Labels of 2 images (each image 4 times, rotated by 0, 1, 2, 3 quarter "
                    "turns: labels 0, 1, 2, 3, 0, 1, 2, 3)"),
    "rotation_unchanged": Case(
        "rotation_batch", _SMALL, {"rows": 0}, measure="rotated_images",
        description="Row 0: image 0 rotated by 0 quarter turns (the image unchanged)"),
    "rotation_quarter_turn": Case(
        "rotation_batch", _SMALL, {"rows": 1}, measure="rotated_images",
        mistakes=(CLOCKWISE, GROUPED),
        description="Row 1: image 0 rotated by 1 quarter turn (90 degrees COUNTER-clockwise, "
                    "as np.rot90)"),
    "rotation_all": Case(
        "rotation_batch", _SMALL, measure="rotated_images", mistakes=(CLOCKWISE, GROUPED),
        description="All 8 rotated images of 2 one-channel 3x3 images"),
    "rotation_rgb": Case(
        "rotation_batch", lambda: random_images(1, (1, 4, 4, 3)), measure="rotated_images",
        mistakes=(CLOCKWISE,),
        description="Rotations of an RGB image (rotate height and width, keep the channels)"),
    "jigsaw_identity": Case(
        "jigsaw_shuffle", lambda: [_TILES, np.array([0])],
        description="Permutation 0 is the identity (0, 1, 2, 3)"),
    "jigsaw_swap": Case(
        "jigsaw_shuffle", lambda: [_TILES, np.array([6])], mistakes=(COLUMN_MAJOR,),
        description="Permutation 6 = (1, 0, 2, 3): position 0 (top-left) gets tile 1 "
                    "(top-right)"),
    "jigsaw_mixed": Case(
        "jigsaw_shuffle",
        lambda: random_images(2, (5, 4, 6, 3)) + [np.array([0, 3, 10, 17, 23])],
        mistakes=(INVERSE, COLUMN_MAJOR),
        description="5 RGB images of 4x6 with different permutations"),
    "colorization_grayscale": Case(
        "colorization_pair", _COLOUR, measure="grayscale_inputs",
        rtol=1e-5, atol=1e-3,
        mistakes=(
            ("one_channel", "the grayscale inputs have one channel; copy the luma into 3 "
                            "identical channels, shape (N, H, W, 3)"),
            ("channel_mean", "you averaged R, G and B; the luma is 0.2989 R + 0.587 G + "
                             "0.114 B (LUMA_WEIGHTS)"),
            ("rounded", "you rounded the luma; keep its exact (float) values"),
        ),
        description="Grayscale inputs of 2 RGB images (luma 0.2989 R + 0.587 G + 0.114 B "
                    "in [0, 255], in 3 identical channels)"),
    "colorization_targets": Case(
        "colorization_pair", _COLOUR, measure="colour_targets",
        mistakes=(("targets_in_unit_range", "you divided the targets by 255; they are the "
                                            "colour images unchanged, in [0, 255]"),),
        description="Targets (the colour images, unchanged, as floats)"),
    "colorization_float32": Case(
        "colorization_pair", _COLOUR, measure="colorization_dtypes",
        mistakes=(("float64", "you returned float64 arrays; return float32 (e.g. "
                              "np.asarray(images, dtype='float32'))"),
                  ("rounded", "the grayscale inputs are integers; return float32")),
        description="Both outputs are float32 (the value compared is [grayscale is float32, "
                    "targets is float32], 1 = yes)"),
}


def check_rotation_batch(rotation_batch) -> None:
    """Visible checks of `rotation_batch(images) -> (rotated_images, labels)`."""
    _core.check(sys.modules[__name__], "rotation_batch", rotation_batch)


def check_jigsaw_shuffle(jigsaw_shuffle) -> None:
    """Visible checks of `jigsaw_shuffle(images, permutation_indices)`."""
    _core.check(sys.modules[__name__], "jigsaw_shuffle", jigsaw_shuffle)


def check_colorization_pair(colorization_pair) -> None:
    """Visible checks of `colorization_pair(images) -> (grayscale_inputs, targets)`."""
    _core.check(sys.modules[__name__], "colorization_pair", colorization_pair)
