"""A small Vision Transformer encoder, the same as the masked autoencoder's, to train with
any objective (supervised, SimCLR, BYOL...) and compare."""

import keras

from ssl_keras.foundation.vit_layers import (
    POOLING_MODES,
    ClassToken,
    PatchEmbedding,
    TokenPooling,
    TransformerBlock,
)
from ssl_keras.validation import check_positive_int


def vit_encoder(
    image_shape: tuple[int, int, int] = (16, 16, 3),
    patch_size: int = 4,
    hidden_dim: int = 64,
    num_layers: int = 4,
    num_heads: int = 4,
    intermediate_dim: int | None = None,
    pooling: str | None = "cls",
    name: str = "vit_encoder",
) -> keras.Model:
    """A small ViT mapping raw images to features (or tokens), ready for any objective.

    The architecture of `MaskedAutoencoder`'s encoder, without masking: `Rescaling(1/255)`,
    `PatchEmbedding` (a `Dense` on each flattened patch plus fixed 2D sin-cos positions),
    a learned class token prepended (`ClassToken`), `num_layers` pre-norm
    `TransformerBlock`s (`keras.layers.MultiHeadAttention`), a final `LayerNormalization`
    (epsilon 1e-6) and, unless `pooling=None`, `TokenPooling`. Two encoders built with the
    same arguments and the same `keras.utils.set_random_seed` start from the same weights,
    so that a comparison of objectives (a self-supervised and a supervised ViT) differs
    only in what they were trained on. `ssl_keras.foundation.last_block_attention` and
    `dinov2_attention` read its attention; `ssl_keras.models` (SimCLR, BYOL, ...) train it
    as they train any encoder.

    Departures from ViT (Dosovitskiy et al., 2021): fixed sin-cos position embeddings (as
    MAE) instead of learned ones; no dropout; inputs are rescaled to `[0, 1]`, not
    normalised.

    Args:
        image_shape: `(height, width, channels)`; height and width multiples of
            `patch_size`.
        patch_size: side of the square patches, in pixels.
        hidden_dim: token size, a multiple of 4 and of `num_heads`.
        num_layers: number of Transformer blocks.
        num_heads: attention heads per block.
        intermediate_dim: MLP size; `None` means `4 * hidden_dim`.
        pooling: `"cls"` (the class token; DINO's and ViT's feature), `"mean"` (mean of
            the patch tokens) or `None` (all tokens, class token first).
        name: the model's name.

    Returns:
        A functional `keras.Model` from `(batch, height, width, channels)` images in
        `[0, 255]` to `(batch, hidden_dim)` features, or to tokens
        `(batch, 1 + num_patches, hidden_dim)` with `pooling=None`.

    Raises:
        ValueError: for sizes that do not fit (see `PatchEmbedding`, `TransformerBlock`)
            or an unknown `pooling`.

    Example:
    >>> import numpy as np
    >>> encoder = vit_encoder((16, 16, 3), patch_size=4, hidden_dim=16, num_layers=1,
    ...                       num_heads=2)
    >>> tuple(encoder(np.zeros((2, 16, 16, 3))).shape)
    (2, 16)

    Reference:
        Dosovitskiy et al., An Image is Worth 16x16 Words: Transformers for Image
        Recognition at Scale, ICLR 2021; He et al., Masked Autoencoders Are Scalable
        Vision Learners, CVPR 2022 (the sin-cos positions).
    """
    if pooling is not None and pooling not in POOLING_MODES:
        raise ValueError(
            f"`pooling` should be one of {POOLING_MODES} or None. Received: pooling={pooling!r}"
        )
    num_layers = check_positive_int(num_layers, "num_layers")
    hidden_dim = int(hidden_dim)
    intermediate_dim = 4 * hidden_dim if intermediate_dim is None else int(intermediate_dim)
    inputs = keras.Input(tuple(int(size) for size in image_shape), name="images")
    x = keras.layers.Rescaling(1.0 / 255, name="rescaling")(inputs)
    x = PatchEmbedding(int(patch_size), hidden_dim, name="patch_embedding")(x)
    x = ClassToken(name="class_token")(x)
    for index in range(num_layers):
        x = TransformerBlock(hidden_dim, int(num_heads), intermediate_dim,
                             name=f"block_{index}")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="norm")(x)
    if pooling is not None:
        x = TokenPooling(pooling, name="token_pooling")(x)
    return keras.Model(inputs, x, name=name)
