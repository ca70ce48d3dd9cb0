"""Random left-right flip, per image."""

import keras
from keras import ops

from ssl_keras.layers._augmentation_base import (
    AugmentationLayer,
    per_image_mask,
)
from ssl_keras.validation import (
    check_probability,
)


@keras.saving.register_keras_serializable(package="ssl_keras")
class RandomHorizontalFlip(AugmentationLayer):
    """Flips each image left-right with probability `probability`.

    The decision is drawn per image and applied with a `(batch, 1, 1, 1)` mask and
    `ops.where`, so it compiles under jit on every backend.

    On reusing Keras: `keras.layers.RandomFlip(mode="horizontal")` has the same
    semantics at `probability=0.5` (a per-image, jit-safe decision), but its probability
    is fixed at 0.5 and it takes no `value_range`. This layer keeps the conventions
    shared by the ssl_keras augmentation layers (a configurable `probability`, the NumPy
    input checks, float output) at the cost of five lines.

    Args:
        probability: probability of flipping an image. Defaults to 0.5 (SimCLR,
            torchvision's `RandomHorizontalFlip`).
        value_range: `(low, high)` range of the input values. Defaults to `(0, 255)`.
        seed: integer seed for the layer's `keras.random.SeedGenerator`, or `None`.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`, any numeric
        dtype, values in `value_range`.

    Output shape:
        Same as the input, in the layer's compute dtype (float32 by default).

    Raises:
        ValueError: at construction if `probability` is outside [0, 1]; when called, if
            the images are not of rank 3 or 4, or (NumPy inputs only) hold a value
            outside `value_range`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, size=(4, 32, 32, 3)).astype("uint8")
    >>> RandomHorizontalFlip(probability=1.0)(images)  # == images[:, :, ::-1]

    Reference:
        Chen et al., 2020, SimCLR, appendix A: "crop, resize (and flip)": random crop
        and resize "with random flip".
    """

    def __init__(
        self,
        probability: float = 0.5,
        value_range: tuple = (0, 255),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.probability = check_probability(probability, "probability")

    def _augment_batch(self, images):
        mask = per_image_mask(self.seed_generator, ops.shape(images)[0], self.probability)
        return ops.where(mask, ops.flip(images, axis=2), images)

    def get_config(self):
        config = super().get_config()
        config.update({"probability": self.probability})
        return config
