"""The masked autoencoder's former home: it is a trainable model and lives in
`ssl_keras.models.masked_autoencoder`; its names, and the patch functions it used to
import, stay importable from here."""

from ssl_keras.foundation.patches import patchify, random_masking
from ssl_keras.models.masked_autoencoder import (
    NORM_PIX_EPSILON,
    MaskedAutoencoder,
    masked_patch_loss,
    patch_targets,
)

__all__ = [
    "NORM_PIX_EPSILON",
    "MaskedAutoencoder",
    "masked_patch_loss",
    "patch_targets",
    "patchify",
    "random_masking",
]
