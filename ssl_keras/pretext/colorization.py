"""Colorization: predict an image's colours from its grayscale version."""

import numpy as np

from ssl_keras.models.colorization import Colorization, colorization_loss
from ssl_keras.pretext._base import check_images

# ITU-R BT.601 luma, the weights of ssl_keras.layers.RandomGrayscale and torchvision.
LUMA_WEIGHTS = (0.2989, 0.587, 0.114)

__all__ = [
    "Colorization",  # the model and its loss, at home in ssl_keras.models
    "LUMA_WEIGHTS",
    "colorization_dataset",
    "colorization_loss",
    "rgb_to_grayscale",
]


def rgb_to_grayscale(images, channels: int = 3) -> np.ndarray:
    """Luma of RGB images, `0.2989 R + 0.587 G + 0.114 B`, as float32 (NumPy).

    Args:
        images: array of shape `(num_images, height, width, 3)`, values in `[0, 255]`.
        channels: 3 (default) to copy the luma into three identical channels, so that
            RGB encoders take it unchanged, or 1.

    Returns:
        float32 array of shape `(num_images, height, width, channels)`, values in
        `[0, 255]` (not rounded).

    Raises:
        ValueError: if `images` is not rank 4 with 3 channels, or `channels` is not 1 or 3.
    """
    images = check_images(images)
    if images.shape[-1] != 3:
        raise ValueError(
            "Colorization needs RGB images with 3 channels. "
            f"Received: images.shape={images.shape}"
        )
    if channels not in (1, 3):
        raise ValueError(f"`channels` should be 1 or 3. Received: channels={channels!r}")
    luma = images.astype("float32") @ np.asarray(LUMA_WEIGHTS, dtype="float32")
    return np.repeat(luma[..., None], channels, axis=-1)


def colorization_dataset(images, channels: int = 3):
    """Builds the colorization dataset: grayscale inputs and the original colour targets.

    Args:
        images: RGB array of shape `(num_images, height, width, 3)`, values in `[0, 255]`.
        channels: channels of the grayscale inputs: 3 identical channels (default; the
            ssl_keras encoders take RGB) or 1.

    Returns:
        `(grayscale_images, targets)`: float32 arrays of shapes
        `(num_images, height, width, channels)` and `(num_images, height, width, 3)`, both
        with values in `[0, 255]`; the targets are the input images, unchanged.

    Raises:
        ValueError: as `rgb_to_grayscale`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, (2, 8, 8, 3)).astype("uint8")
    >>> gray, targets = colorization_dataset(images)
    >>> gray.shape, bool(np.all(gray[..., 0] == gray[..., 2]))
    ((2, 8, 8, 3), True)
    """
    gray = rgb_to_grayscale(images, channels=channels)
    return gray, check_images(images).astype("float32")
