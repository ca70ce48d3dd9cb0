"""Random colour dropping (grayscale), per image."""

import keras
from keras import ops

from ssl_keras.layers._augmentation_base import (
    AugmentationLayer,
    check_color_channels,
    grayscale,
    per_image_mask,
)
from ssl_keras.validation import (
    check_probability,
)


@keras.saving.register_keras_serializable(package="ssl_keras")
class RandomGrayscale(AugmentationLayer):
    """Converts each image to grayscale with probability `probability`.

    The grayscale value `0.2989 R + 0.587 G + 0.114 B` (torchvision's and Keras's luma
    weights) is copied to the three channels, so the output shape equals the input
    shape (torchvision's `RandomGrayscale` with `num_output_channels=3`). One-channel
    images are returned unchanged. The decision is drawn per image and applied with a
    `(batch, 1, 1, 1)` mask.

    Why not `keras.layers.RandomGrayscale`: it has the same per-image semantics and
    weights, but it keeps the input dtype (a uint8 batch gets truncated integer luma
    instead of float output), its `get_config()` does not return its `seed` (Keras 3.15),
    and it does not take `value_range`. The logic is three lines, so this layer keeps
    the conventions of the other ssl_keras augmentation layers instead.

    Args:
        probability: probability of converting an image. Defaults to 0.2 (SimCLR).
        value_range: `(low, high)` range of the input values. Defaults to `(0, 255)`.
        seed: integer seed for the layer's `keras.random.SeedGenerator`, or `None`.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, 3)` or `(batch, height, width, 1)` (or unbatched), any
        numeric dtype, values in `value_range`.

    Output shape:
        Same as the input, in the layer's compute dtype (float32 by default).

    Raises:
        ValueError: at construction if `probability` is outside [0, 1]; when called, if
            the images are not of rank 3 or 4, do not have 1 or 3 channels, or (NumPy
            inputs only) hold a value outside `value_range`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, size=(4, 32, 32, 3)).astype("uint8")
    >>> RandomGrayscale(probability=1.0)(images)[..., 0]  # == the luma of each image

    Reference:
        Chen et al., 2020, SimCLR, appendix A: "rnd_gray = transforms.RandomGrayscale(p=0.2)"
        (colour dropping).
    """

    def __init__(
        self,
        probability: float = 0.2,
        value_range: tuple = (0, 255),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.probability = check_probability(probability, "probability")

    def _augment_batch(self, images):
        check_color_channels(images, self.__class__.__name__)
        mask = per_image_mask(self.seed_generator, ops.shape(images)[0], self.probability)
        gray = ops.broadcast_to(grayscale(images), ops.shape(images))
        return self.clip(ops.where(mask, gray, images))

    def get_config(self):
        config = super().get_config()
        config.update({"probability": self.probability})
        return config
