"""Argument checks shared by the pretext-task transforms (private)."""

import numbers

import keras
import numpy as np


def check_images(images, name: str = "images") -> np.ndarray:
    """Returns `images` as a NumPy array, or raises `ValueError` if it is not rank 4."""
    if not isinstance(images, np.ndarray):
        images = np.asarray(keras.ops.convert_to_numpy(images))
    if images.ndim != 4:
        raise ValueError(
            f"`{name}` should be a rank-4 array of shape (num_images, height, width, "
            f"channels). Received: {name}.shape={images.shape}"
        )
    return images


def check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"`seed` should be an integer or None. Received: seed={seed!r}")
    return seed
