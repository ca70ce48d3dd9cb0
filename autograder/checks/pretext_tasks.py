"""Checks of the pretext_tasks assignment: the three pretext-task transforms.

- `rotation_batch(images)`: every image in its 4 rotations, `(4N, ...)`, with labels.
- `jigsaw_shuffle(images, permutation_indices)`: the 2x2 tiles reordered.
- `colorization_pair(images)`: grayscale inputs and colour targets.

The visible checks compare with NumPy oracles written here pixel by pixel from the
definitions (Gidaris et al., 2018; Noroozi and Favaro, 2016; Zhang et al., 2016); the
hidden cases' references are `ssl_keras.pretext`'s `rotation_dataset`, `jigsaw_shuffle`
and `colorization_dataset`. Functions that return a pair are recorded as one vector,
both parts flattened and concatenated.
"""

from __future__ import annotations

import itertools

import numpy as np

from ._core import Case, expect_close, record_cases, to_array

LUMA = (0.2989, 0.587, 0.114)


# ------------------------------------------------------------------ NumPy oracles


def _oracle_rotate(image: np.ndarray, quarter_turns: int) -> np.ndarray:
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


def _oracle_rotation_batch(images):
    rotated, labels = [], []
    for image in images:
        for turns in range(4):
            rotated.append(_oracle_rotate(image, turns))
            labels.append(turns)
    return np.stack(rotated), np.array(labels)


def _permutations():
    return [list(p) for p in itertools.permutations(range(4))]


def _oracle_jigsaw(images, permutation_indices):
    images = np.asarray(images)
    out = np.empty_like(images)
    h, w = images.shape[1] // 2, images.shape[2] // 2
    corners = [(0, 0), (0, w), (h, 0), (h, w)]  # tiles 0..3, row-major
    for i, index in enumerate(permutation_indices):
        permutation = _permutations()[int(index)]
        for position, tile in enumerate(permutation):
            (top, left), (source_top, source_left) = corners[position], corners[tile]
            out[i, top:top + h, left:left + w] = images[
                i, source_top:source_top + h, source_left:source_left + w]
    return out


def _oracle_colorization(images):
    images = np.asarray(images, dtype="float64")
    gray = LUMA[0] * images[..., 0] + LUMA[1] * images[..., 1] + LUMA[2] * images[..., 2]
    return np.stack([gray, gray, gray], axis=-1), images


def _flat_pair(pair):
    first, second = pair
    return np.concatenate([to_array(first).ravel(), to_array(second).ravel()])


# ------------------------------------------------------------------ package references


def reference_rotation_batch(images):
    from ssl_keras.pretext import rotation_dataset

    return _flat_pair(rotation_dataset(images, mode="all"))


def reference_jigsaw_shuffle(images, permutation_indices):
    from ssl_keras.pretext import jigsaw_shuffle

    return jigsaw_shuffle(images, permutation_indices)


def reference_colorization_pair(images):
    from ssl_keras.pretext import colorization_dataset

    return _flat_pair(colorization_dataset(images))


def _images(seed, shape, dtype="uint8"):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=shape).astype(dtype)]


CASES: dict[str, Case] = {
    "rotation_rgb": Case(
        cell="rotation_tests", task="rotation_batch",
        inputs=lambda: _images(31, (3, 6, 6, 3)), reference=reference_rotation_batch,
        description="3 RGB images of 6x6",
    ),
    "rotation_gray_odd": Case(
        cell="rotation_tests", task="rotation_batch",
        inputs=lambda: _images(32, (2, 5, 5, 1), "float32"), reference=reference_rotation_batch,
        description="2 one-channel float images of odd size 5x5",
    ),
    "jigsaw_all_permutations": Case(
        cell="jigsaw_tests", task="jigsaw_shuffle",
        inputs=lambda: _images(33, (24, 4, 4, 3)) + [np.arange(24)],
        reference=reference_jigsaw_shuffle,
        description="one image per permutation, all 24 permutations",
    ),
    "jigsaw_rectangular": Case(
        cell="jigsaw_tests", task="jigsaw_shuffle",
        inputs=lambda: _images(34, (3, 6, 8, 1)) + [np.array([23, 5, 17])],
        reference=reference_jigsaw_shuffle,
        description="non-square 6x8 images",
    ),
    "colorization_basic": Case(
        cell="colorization_tests", task="colorization_pair",
        inputs=lambda: _images(35, (2, 4, 4, 3)), reference=reference_colorization_pair,
        rtol=1e-5, atol=1e-3, description="2 RGB images of 4x4",
    ),
    "colorization_extremes": Case(
        cell="colorization_tests", task="colorization_pair",
        inputs=lambda: [np.array([[[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]]],
                                 dtype="uint8")],
        reference=reference_colorization_pair, rtol=1e-5, atol=1e-3,
        description="pure red, green, blue and white pixels",
    ),
}

# The cells where calling the package's own transform would score 0 (the permutation
# table `jigsaw_permutations` and the weights `LUMA_WEIGHTS` remain allowed).
FORBIDDEN: dict[str, list[str]] = {
    "rotation_tests": [
        "ssl_keras.pretext.rotation_dataset",
        "ssl_keras.pretext.rotate_images",
        "ssl_keras.pretext.rotation.rotation_dataset",
        "ssl_keras.pretext.rotation.rotate_images",
    ],
    "jigsaw_tests": [
        "ssl_keras.pretext.jigsaw_shuffle",
        "ssl_keras.pretext.jigsaw_unshuffle",
        "ssl_keras.pretext.jigsaw_dataset",
        "ssl_keras.pretext.jigsaw.jigsaw_shuffle",
        "ssl_keras.pretext.jigsaw.jigsaw_unshuffle",
        "ssl_keras.pretext.jigsaw.jigsaw_dataset",
    ],
    "colorization_tests": [
        "ssl_keras.pretext.colorization_dataset",
        "ssl_keras.pretext.rgb_to_grayscale",
        "ssl_keras.pretext.colorization.colorization_dataset",
        "ssl_keras.pretext.colorization.rgb_to_grayscale",
    ],
}


# ------------------------------------------------------------------ visible checks


def _pair(result, what):
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise AssertionError(f"{what} should return a pair (inputs, targets); got "
                             f"{type(result).__name__}.")
    return result


def check_rotation_batch(rotation_batch) -> None:
    """Visible checks of `rotation_batch(images) -> (rotated_images, labels)`."""
    images = np.arange(2 * 3 * 3 * 1).reshape(2, 3, 3, 1)
    rotated, labels = _pair(rotation_batch(images), "rotation_batch")
    expected_images, expected_labels = _oracle_rotation_batch(images)
    expect_close(labels, expected_labels,
                 "Labels of 2 images (each image 4 times, rotated by 0, 1, 2, 3 quarter turns)")
    expect_close(rotated[0], images[0], "Rotation by 0 quarter turns (the image unchanged)")
    expect_close(rotated[1], expected_images[1],
                 "Rotation by 1 quarter turn (90 degrees COUNTER-clockwise, as np.rot90)")
    expect_close(rotated, expected_images, "All 8 rotated images")
    (colour,) = _images(1, (1, 4, 4, 3))
    rotated, _ = _pair(rotation_batch(colour), "rotation_batch")
    expect_close(rotated, _oracle_rotation_batch(colour)[0],
                 "Rotations of an RGB image (rotate height and width, keep the channels)")
    print("rotation_batch: all visible checks passed.")


def record_rotation_batch(rotation_batch) -> None:
    record_cases(CASES, "rotation_batch", lambda *a: _flat_pair(rotation_batch(*a)))


def check_jigsaw_shuffle(jigsaw_shuffle) -> None:
    """Visible checks of `jigsaw_shuffle(images, permutation_indices)`."""
    tiles = np.array([[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]])[..., None]
    expect_close(jigsaw_shuffle(tiles, np.array([0])), tiles,
                 "Permutation 0 is the identity (0, 1, 2, 3)")
    swapped = np.array([[[2, 2, 1, 1], [2, 2, 1, 1], [3, 3, 4, 4], [3, 3, 4, 4]]])[..., None]
    expect_close(jigsaw_shuffle(tiles, np.array([6])), swapped,
                 "Permutation 6 = (1, 0, 2, 3): position 0 (top-left) gets tile 1 (top-right)")
    (images,) = _images(2, (5, 4, 6, 3))
    indices = np.array([0, 3, 10, 17, 23])
    expect_close(jigsaw_shuffle(images, indices), _oracle_jigsaw(images, indices),
                 "jigsaw_shuffle on 5 RGB images of 4x6 with different permutations")
    print("jigsaw_shuffle: all visible checks passed.")


def record_jigsaw_shuffle(jigsaw_shuffle) -> None:
    record_cases(CASES, "jigsaw_shuffle", jigsaw_shuffle)


def check_colorization_pair(colorization_pair) -> None:
    """Visible checks of `colorization_pair(images) -> (grayscale_inputs, targets)`."""
    (images,) = _images(3, (2, 3, 3, 3))
    gray, targets = _pair(colorization_pair(images), "colorization_pair")
    expected_gray, expected_targets = _oracle_colorization(images)
    if to_array(gray).shape != expected_gray.shape:
        raise AssertionError(
            f"The grayscale inputs should keep 3 (identical) channels, shape "
            f"{expected_gray.shape}; got shape {to_array(gray).shape}."
        )
    expect_close(gray, expected_gray,
                 "Grayscale inputs (luma 0.2989 R + 0.587 G + 0.114 B, in [0, 255])", atol=1e-3)
    expect_close(targets, expected_targets, "Targets (the colour images, unchanged, as floats)")
    if np.asarray(gray).dtype != np.float32 and "float32" not in str(getattr(gray, "dtype", "")):
        raise AssertionError(f"The grayscale inputs should be float32; got {gray.dtype}.")
    print("colorization_pair: all visible checks passed.")


def record_colorization_pair(colorization_pair) -> None:
    record_cases(CASES, "colorization_pair", lambda *a: _flat_pair(colorization_pair(*a)))
