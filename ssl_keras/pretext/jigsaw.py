"""2x2 jigsaw puzzles: cut an image into 4 tiles, shuffle them, predict the permutation."""

import itertools

import numpy as np

from ssl_keras.models.jigsaw_prediction import JigsawPrediction
from ssl_keras.pretext._base import check_images, check_seed

GRID_SIZE = 2
NUM_TILES = GRID_SIZE * GRID_SIZE
NUM_PERMUTATIONS = 24  # 4!

__all__ = [
    "GRID_SIZE",
    "JigsawPrediction",  # the model, at home in ssl_keras.models
    "NUM_PERMUTATIONS",
    "NUM_TILES",
    "jigsaw_dataset",
    "jigsaw_permutations",
    "jigsaw_shuffle",
    "jigsaw_unshuffle",
]


def jigsaw_permutations() -> np.ndarray:
    """The 24 permutations of the 4 tiles of a 2x2 grid, in lexicographic order.

    Tiles are numbered row-major: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right.
    Row `j` is the permutation of class `j`; index 0 is the identity `(0, 1, 2, 3)`.

    Returns:
        int32 array of shape `(24, 4)`.

    Example:
    >>> jigsaw_permutations()[:2].tolist()
    [[0, 1, 2, 3], [0, 1, 3, 2]]
    """
    return np.array(list(itertools.permutations(range(NUM_TILES))), dtype="int32")


def jigsaw_shuffle(images, permutation_indices) -> np.ndarray:
    """Cuts each image into 2x2 tiles and reassembles them in a permuted order (NumPy).

    With `p = jigsaw_permutations()[permutation_indices[i]]`, grid position `t` of the
    output image `i` holds tile `p[t]` of the input image (tiles and positions numbered
    row-major: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right). The output has
    the shape of the input, so the encoder sees the whole reassembled image.

    Args:
        images: array of shape `(num_images, height, width, channels)`, with even
            `height` and `width`.
        permutation_indices: integers in `[0, 24)` of shape `(num_images,)`.

    Returns:
        NumPy array of the same shape and dtype as `images`.

    Raises:
        ValueError: if `images` is not rank 4, its height or width is odd, or
            `permutation_indices` is not one index in `[0, 24)` per image.
    """
    images, permutations = _check_arguments(images, permutation_indices)
    tiles = _to_tiles(images)  # (n, 4, h/2, w/2, c)
    shuffled = np.take_along_axis(tiles, permutations[:, :, None, None, None], axis=1)
    return _from_tiles(shuffled)


def jigsaw_unshuffle(images, permutation_indices) -> np.ndarray:
    """Inverse of `jigsaw_shuffle`: puts every tile back in its original position.

    `jigsaw_unshuffle(jigsaw_shuffle(x, j), j) == x` for every permutation index `j`.

    Args:
        images: shuffled images `(num_images, height, width, channels)`, even sides.
        permutation_indices: the indices given to `jigsaw_shuffle`, shape `(num_images,)`.

    Returns:
        NumPy array of the same shape and dtype as `images`.

    Raises:
        ValueError: as `jigsaw_shuffle`.
    """
    images, permutations = _check_arguments(images, permutation_indices)
    inverse = np.argsort(permutations, axis=1)
    tiles = _to_tiles(images)
    restored = np.take_along_axis(tiles, inverse[:, :, None, None, None], axis=1)
    return _from_tiles(restored)


def jigsaw_dataset(images, seed: int | None = None):
    """Builds the jigsaw dataset: images with shuffled 2x2 tiles and the permutation class.

    Each image gets one uniformly random permutation of its four tiles (out of the 24 of
    `jigsaw_permutations()`, the identity included); the label is the permutation's
    index. Call it again each epoch for fresh puzzles.

    Args:
        images: array of shape `(num_images, height, width, channels)` with even `height`
            and `width`, any dtype (values are not changed).
        seed: seed of the permutations.

    Returns:
        `(shuffled_images, labels)`: an array of the shape and dtype of `images`, and
        int32 labels in `[0, 24)` of shape `(num_images,)`.

    Raises:
        ValueError: if `images` is not rank 4 or its height or width is odd.

    Example:
    >>> import numpy as np
    >>> images = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    >>> shuffled, labels = jigsaw_dataset(images, seed=0)
    >>> bool(np.all(jigsaw_unshuffle(shuffled, labels) == images))
    True

    Reference:
        Noroozi, Favaro. Unsupervised Learning of Visual Representations by Solving
        Jigsaw Puzzles. ECCV 2016.
    """
    seed = check_seed(seed)
    images = _check_even(images)
    labels = np.random.default_rng(seed).integers(
        0, NUM_PERMUTATIONS, size=images.shape[0]
    ).astype("int32")
    return jigsaw_shuffle(images, labels), labels


def _check_even(images) -> np.ndarray:
    images = check_images(images)
    height, width = images.shape[1:3]
    if height % GRID_SIZE or width % GRID_SIZE:
        raise ValueError(
            "A 2x2 jigsaw needs images whose height and width are divisible by 2. "
            f"Received: images.shape={images.shape}"
        )
    return images


def _check_arguments(images, permutation_indices):
    images = _check_even(images)
    indices = np.asarray(permutation_indices)
    if (
        indices.shape != (images.shape[0],)
        or not np.issubdtype(indices.dtype, np.integer)
        or (indices.size and (indices.min() < 0 or indices.max() >= NUM_PERMUTATIONS))
    ):
        raise ValueError(
            f"`permutation_indices` should hold one integer in [0, {NUM_PERMUTATIONS}) per "
            f"image, shape ({images.shape[0]},). Received: shape={indices.shape}, "
            f"dtype={indices.dtype}"
        )
    return images, jigsaw_permutations()[indices]


def _to_tiles(images: np.ndarray) -> np.ndarray:
    """`(n, h, w, c)` -> `(n, 4, h/2, w/2, c)`, tiles in row-major order."""
    n, height, width, channels = images.shape
    tiles = images.reshape(n, GRID_SIZE, height // GRID_SIZE, GRID_SIZE, width // GRID_SIZE,
                           channels)
    tiles = tiles.transpose(0, 1, 3, 2, 4, 5)
    return tiles.reshape(n, NUM_TILES, height // GRID_SIZE, width // GRID_SIZE, channels)


def _from_tiles(tiles: np.ndarray) -> np.ndarray:
    """Inverse of `_to_tiles`."""
    n, _, tile_height, tile_width, channels = tiles.shape
    grid = tiles.reshape(n, GRID_SIZE, GRID_SIZE, tile_height, tile_width, channels)
    grid = grid.transpose(0, 1, 3, 2, 4, 5)
    return grid.reshape(n, GRID_SIZE * tile_height, GRID_SIZE * tile_width, channels)
