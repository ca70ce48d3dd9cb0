"""Batched feature extraction with a frozen encoder."""

import keras
import numpy as np

from ssl_keras.evaluation._arrays import to_numpy
from ssl_keras.validation import check_positive_int


def extract_features(encoder, images, batch_size: int = 256, verbose="auto") -> np.ndarray:
    """Runs a frozen encoder over images in batches and returns the features.

    The encoder runs in inference mode (`training=False`: batch-norm uses its moving
    statistics, dropout is off). A `keras.Model` runs through `encoder.predict`, with
    its progress bar and compiled predict step (and no gradient tape); any other
    callable (a `keras.layers.Layer`, called with `training=False`, or a plain
    function) is called batch by batch under a `keras.utils.Progbar`.

    Args:
        encoder: a `keras.Model`, a `keras.layers.Layer` or a callable mapping a batch
            of images `(batch, height, width, channels)` to features `(batch, dim)`,
            e.g. `simclr.encoder` or a model from `ssl_keras.models`.
        images: NumPy array (or backend tensor) of shape
            `(num_images, height, width, channels)`, raw values as the encoder expects
            them (ssl_keras encoders take `[0, 255]` images).
        batch_size: number of images per forward pass.
        verbose: `"auto"`, 0 (silent), 1 (progress bar) or 2 (one line), as in
            `keras.Model.predict`; `"auto"` means 1.

    Input shape:
        4D tensor with shape `(num_images, height, width, channels)`.

    Output shape:
        2D array with shape `(num_images, dim)`.

    Returns:
        NumPy float32 array of shape `(num_images, dim)`, rows in the order of
        `images`.

    Raises:
        ValueError: if `images` is not rank 4 or empty, `batch_size` is not a positive
            integer, `verbose` is not one of the values above, or the encoder does not
            return one rank-2 tensor (a feature map needs pooling first, e.g.
            `keras.layers.GlobalAveragePooling2D`).

    Example:
    >>> import keras, numpy as np
    >>> encoder = keras.Sequential(
    ...     [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(4)]
    ... )
    >>> extract_features(encoder, np.zeros((10, 8, 8, 1)), batch_size=4, verbose=0).shape
    (10, 4)
    """
    if not hasattr(images, "shape"):
        images = np.asarray(images)
    images_shape = tuple(images.shape)
    if len(images_shape) != 4:
        raise ValueError(
            "`images` should be a rank-4 tensor of shape (num_images, height, width, "
            f"channels). Received: images.shape={images_shape}"
        )
    if images_shape[0] == 0:
        raise ValueError(
            f"`images` should hold at least one image. Received: images.shape={images_shape}"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    if verbose not in ("auto", 0, 1, 2):
        raise ValueError(
            f'`verbose` should be "auto", 0, 1 or 2. Received: verbose={verbose!r}'
        )
    if not callable(encoder):
        raise ValueError(f"`encoder` should be callable. Received: encoder={encoder!r}")

    if isinstance(encoder, keras.Model):
        features = encoder.predict(images, batch_size=batch_size, verbose=verbose)
        features = _check_output(features)
    else:
        features = _predict_in_batches(encoder, images, batch_size, verbose)
    return features.astype("float32", copy=False)


def _predict_in_batches(encoder, images, batch_size: int, verbose) -> np.ndarray:
    """Calls a non-Model encoder batch by batch under a `keras.utils.Progbar`."""
    num_images = int(images.shape[0])
    progbar = keras.utils.Progbar(
        num_images, verbose=1 if verbose == "auto" else verbose, unit_name="image"
    )
    outputs = []
    for start in range(0, num_images, batch_size):
        batch = images[start : start + batch_size]
        if isinstance(encoder, keras.layers.Layer):
            batch_features = encoder(batch, training=False)
        else:
            batch_features = encoder(batch)
        outputs.append(_check_output(batch_features))
        progbar.update(min(start + batch_size, num_images))
    return np.concatenate(outputs, axis=0)


def _check_output(features) -> np.ndarray:
    if isinstance(features, (dict, list, tuple)):
        raise ValueError(
            "`encoder` should return one tensor of shape (batch, dim). "
            f"Received an output of type {type(features).__name__}."
        )
    features = to_numpy(features)
    if features.ndim != 2:
        raise ValueError(
            "`encoder` should return features of shape (batch, dim); pool feature maps "
            "first (e.g. keras.layers.GlobalAveragePooling2D). "
            f"Received: features.shape={features.shape}"
        )
    return features
