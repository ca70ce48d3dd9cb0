"""Rotation prediction (RotNet): classify by how many quarter turns an image was rotated."""

import numpy as np

from ssl_keras.models.rotation_prediction import RotationPrediction
from ssl_keras.pretext._base import check_images, check_seed

NUM_ROTATIONS = 4
ROTATION_ANGLES = (0, 90, 180, 270)
ROTATION_MODES = ("all", "random")

__all__ = [
    "NUM_ROTATIONS",
    "ROTATION_ANGLES",
    "ROTATION_MODES",
    "RotationPrediction",  # the model, at home in ssl_keras.models
    "rotate_images",
    "rotation_dataset",
]


def rotate_images(images, quarter_turns) -> np.ndarray:
    """Rotates each image counter-clockwise by its own number of quarter turns (NumPy).

    Image `i` is rotated by `90 * quarter_turns[i]` degrees counter-clockwise, exactly as
    `np.rot90(images[i], quarter_turns[i])` does on the `(height, width)` axes.

    Args:
        images: array of shape `(num_images, size, size, channels)` (square images, so
            that every rotation keeps the shape).
        quarter_turns: integers of shape `(num_images,)`, taken modulo 4.

    Returns:
        NumPy array of the same shape and dtype as `images`.

    Raises:
        ValueError: if `images` is not rank 4 or not square, or `quarter_turns` does not
            have one integer per image.
    """
    images = _check_square(images)
    quarter_turns = np.asarray(quarter_turns)
    if quarter_turns.shape != (images.shape[0],) or not np.issubdtype(
        quarter_turns.dtype, np.integer
    ):
        raise ValueError(
            "`quarter_turns` should hold one integer per image, shape "
            f"({images.shape[0]},). Received: quarter_turns.shape={quarter_turns.shape}, "
            f"dtype={quarter_turns.dtype}"
        )
    quarter_turns = np.mod(quarter_turns, NUM_ROTATIONS)
    rotated = np.empty_like(images)
    for turns in range(NUM_ROTATIONS):
        selected = quarter_turns == turns
        rotated[selected] = np.rot90(images[selected], turns, axes=(1, 2))
    return rotated


def rotation_dataset(images, mode: str = "all", seed: int | None = None):
    """Builds the rotation-prediction dataset: rotated images and their rotation class.

    The label `k` in {0, 1, 2, 3} means a counter-clockwise rotation by `90 * k` degrees
    (0, 90, 180, 270), computed with `np.rot90` on the `(height, width)` axes.

    - `mode="all"` (RotNet's choice): every image appears 4 times, once per rotation,
      grouped by image: rows `4 * i + k` hold image `i` rotated by `k` quarter turns.
      "we found that it is beneficial to feed the ConvNet model with all four rotated
      copies of an image simultaneously" (Gidaris et al., 2018). `fit(..., shuffle=False)`
      with a batch size divisible by 4 keeps the copies together, as RotNet does;
      `fit`'s default `shuffle=True` spreads them over batches.
    - `mode="random"`: one uniformly random rotation per image (`num_images` rows), as a
      PyTorch `Dataset` that rotates in `__getitem__` would draw; call again each epoch
      for fresh rotations.

    Args:
        images: array of shape `(num_images, size, size, channels)`, square images (a
            quarter turn swaps height and width), any dtype (values are not changed).
        mode: `"all"` or `"random"`.
        seed: seed of the random rotations of `mode="random"`.

    Returns:
        `(rotated_images, labels)`: an array of the dtype of `images` and shape
        `(4 * num_images, size, size, channels)` (`"all"`) or `(num_images, ...)`
        (`"random"`), and int32 labels of shape `(len(rotated_images),)`.

    Raises:
        ValueError: if `images` is not rank 4 or not square, or `mode` is unknown.

    Example:
    >>> import numpy as np
    >>> images = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    >>> rotated, labels = rotation_dataset(images)
    >>> rotated.shape, labels.tolist()
    ((8, 4, 4, 1), [0, 1, 2, 3, 0, 1, 2, 3])
    >>> bool(np.all(rotated[1] == np.rot90(images[0])))
    True

    Reference:
        Gidaris, Singh, Komodakis. Unsupervised Representation Learning by Predicting
        Image Rotations. ICLR 2018.
    """
    if mode not in ROTATION_MODES:
        raise ValueError(f"`mode` should be one of {ROTATION_MODES}. Received: mode={mode!r}")
    seed = check_seed(seed)
    images = _check_square(images)
    num_images = images.shape[0]
    if mode == "all":
        labels = np.tile(np.arange(NUM_ROTATIONS, dtype="int32"), num_images)
        repeated = np.repeat(images, NUM_ROTATIONS, axis=0)
    else:
        labels = np.random.default_rng(seed).integers(
            0, NUM_ROTATIONS, size=num_images
        ).astype("int32")
        repeated = images
    return rotate_images(repeated, labels), labels


def _check_square(images) -> np.ndarray:
    images = check_images(images)
    if images.shape[1] != images.shape[2]:
        raise ValueError(
            "Rotation prediction needs square images (a quarter turn swaps height and "
            f"width). Received: images.shape={images.shape}"
        )
    return images
