"""Keras layers for self-supervised learning: SimCLR augmentations, the projection head,
and the encoders' batch normalization.

Every augmentation layer draws its randomness per image from its own seeded
`keras.random.SeedGenerator`, accepts integer or float images with values in
`value_range` (default `(0, 255)`), returns float images inside that range, round-trips
through `get_config()`, and jit-compiles on the jax, tensorflow and torch backends.
"""

from ssl_keras.layers.batch_normalization import BatchNormalization
from ssl_keras.layers.multi_crop import MultiCropAugmentation
from ssl_keras.layers.per_image_standardization import PerImageStandardization
from ssl_keras.layers.projection_head import ProjectionHead
from ssl_keras.layers.random_apply import RandomApply
from ssl_keras.layers.random_color_jitter import RandomColorJitter
from ssl_keras.layers.random_gaussian_blur import RandomGaussianBlur
from ssl_keras.layers.random_grayscale import RandomGrayscale
from ssl_keras.layers.random_horizontal_flip import RandomHorizontalFlip
from ssl_keras.layers.random_resized_crop import RandomResizedCrop
from ssl_keras.layers.simclr_augmentation import SimCLRAugmentation

__all__ = [
    "BatchNormalization",
    "MultiCropAugmentation",
    "PerImageStandardization",
    "ProjectionHead",
    "RandomApply",
    "RandomColorJitter",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "SimCLRAugmentation",
]
