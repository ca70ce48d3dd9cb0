"""Small Vision Transformer layers for the masked autoencoder: patch embedding with fixed
2D sin-cos positions, class token, pre-norm Transformer block, token pooling."""

import keras
from keras import ops

from ssl_keras.foundation.patches import patchify, sincos_position_embedding_2d

POOLING_MODES = ("cls", "mean")


@keras.saving.register_keras_serializable(package="ssl_keras")
class PatchEmbedding(keras.layers.Layer):
    """Linear embedding of non-overlapping patches plus fixed 2D sin-cos positions.

    Equivalent to ViT's strided convolution: each patch (flattened by `patchify`) goes
    through one `Dense(hidden_dim)`, then the (non-trainable) sin-cos position embedding
    of its grid position is added, as in MAE.

    Args:
        patch_size: side of the square patches, in pixels.
        hidden_dim: embedding size, a multiple of 4 (for the 2D sin-cos embedding).
        **kwargs: base layer keyword arguments (`name`, `dtype`).

    Input shape:
        4D tensor `(batch, height, width, channels)`, height and width multiples of
        `patch_size`.

    Output shape:
        3D tensor `(batch, num_patches, hidden_dim)`.
    """

    def __init__(self, patch_size: int, hidden_dim: int, **kwargs):
        super().__init__(**kwargs)
        if int(hidden_dim) % 4 or int(hidden_dim) < 4:
            raise ValueError(
                "`hidden_dim` should be a positive multiple of 4. "
                f"Received: hidden_dim={hidden_dim}"
            )
        self.patch_size = int(patch_size)
        self.hidden_dim = int(hidden_dim)
        self.projection = keras.layers.Dense(self.hidden_dim, name="projection")

    def build(self, input_shape):
        height, width, channels = input_shape[1], input_shape[2], input_shape[3]
        if height is None or width is None or height % self.patch_size or (width % self.patch_size):
            raise ValueError(
                "`PatchEmbedding` needs a static height and width that are multiples of "
                f"`patch_size`. Received: input_shape={tuple(input_shape)}, "
                f"patch_size={self.patch_size}"
            )
        self.grid_size = (height // self.patch_size, width // self.patch_size)
        self.projection.build((None, None, self.patch_size * self.patch_size * channels))
        embedding = sincos_position_embedding_2d(self.hidden_dim, self.grid_size)
        self.position_embedding = self.add_weight(
            shape=(1,) + embedding.shape,
            initializer=keras.initializers.Constant(embedding[None]),
            trainable=False,
            name="position_embedding",
        )

    def call(self, images):
        patches = patchify(images, self.patch_size)
        tokens = self.projection(patches)
        return tokens + ops.cast(self.position_embedding, tokens.dtype)

    def compute_output_shape(self, input_shape):
        num_patches = (input_shape[1] // self.patch_size) * (input_shape[2] // self.patch_size)
        return (input_shape[0], num_patches, self.hidden_dim)

    def get_config(self):
        config = super().get_config()
        config.update({"patch_size": self.patch_size, "hidden_dim": self.hidden_dim})
        return config


@keras.saving.register_keras_serializable(package="ssl_keras")
class ClassToken(keras.layers.Layer):
    """Prepends a learned class token (`[CLS]`) to a sequence of tokens.

    The token is initialised from N(0, 0.02^2), as in MAE, and carries no position
    embedding (MAE's class-token position embedding is all zeros).

    Input shape:
        3D tensor `(batch, num_tokens, dim)`.

    Output shape:
        3D tensor `(batch, num_tokens + 1, dim)`; the class token is at index 0.
    """

    def build(self, input_shape):
        self.token = self.add_weight(
            shape=(1, 1, input_shape[-1]),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="token",
        )

    def call(self, tokens):
        # zeros_like(...) + token broadcasts the token over a (possibly dynamic) batch.
        class_tokens = ops.zeros_like(tokens[:, :1, :]) + ops.cast(self.token, tokens.dtype)
        return ops.concatenate([class_tokens, tokens], axis=1)

    def compute_output_shape(self, input_shape):
        num_tokens = None if input_shape[1] is None else input_shape[1] + 1
        return (input_shape[0], num_tokens, input_shape[2])


@keras.saving.register_keras_serializable(package="ssl_keras")
class TransformerBlock(keras.layers.Layer):
    """Pre-norm Transformer encoder block (ViT): `x + MHA(LN(x))`, then `x + MLP(LN(x))`.

    Uses `keras.layers.MultiHeadAttention` and `keras.layers.LayerNormalization`
    (epsilon 1e-6, as ViT/MAE); the MLP is `Dense(intermediate_dim, gelu) ->
    Dense(hidden_dim)`. No dropout or drop-path (MAE pre-trains without them).

    Args:
        hidden_dim: token size; a multiple of `num_heads`.
        num_heads: number of attention heads.
        intermediate_dim: hidden size of the MLP (ViT uses `4 * hidden_dim`).
        **kwargs: base layer keyword arguments (`name`, `dtype`).

    Input shape:
        3D tensor `(batch, num_tokens, hidden_dim)`.

    Output shape:
        Same as the input.
    """

    def __init__(self, hidden_dim: int, num_heads: int, intermediate_dim: int, **kwargs):
        super().__init__(**kwargs)
        if int(hidden_dim) % int(num_heads):
            raise ValueError(
                "`hidden_dim` should be a multiple of `num_heads`. "
                f"Received: hidden_dim={hidden_dim}, num_heads={num_heads}"
            )
        self.hidden_dim = int(hidden_dim)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim)
        self.attention_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="norm1")
        self.attention = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads, key_dim=self.hidden_dim // self.num_heads, name="attention"
        )
        self.mlp_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="norm2")
        self.mlp_dense1 = keras.layers.Dense(
            self.intermediate_dim, activation="gelu", name="mlp_dense1"
        )
        self.mlp_dense2 = keras.layers.Dense(self.hidden_dim, name="mlp_dense2")

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self.attention_norm.build(input_shape)
        self.attention.build(input_shape, input_shape)
        self.mlp_norm.build(input_shape)
        self.mlp_dense1.build(input_shape)
        self.mlp_dense2.build(input_shape[:-1] + (self.intermediate_dim,))

    def call(self, tokens, training=None):
        x = self.attention_norm(tokens)
        tokens = tokens + self.attention(x, x, training=training)
        x = self.mlp_norm(tokens)
        return tokens + self.mlp_dense2(self.mlp_dense1(x))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "num_heads": self.num_heads,
                "intermediate_dim": self.intermediate_dim,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="ssl_keras")
class TokenPooling(keras.layers.Layer):
    """Turns ViT tokens into one feature vector: the class token or the patch mean.

    Args:
        pooling: `"cls"` (token 0) or `"mean"` (average of tokens 1..T-1, the patch
            tokens; MAE's `global_pool`).
        **kwargs: base layer keyword arguments.

    Input shape:
        3D tensor `(batch, 1 + num_patches, dim)`, class token first.

    Output shape:
        2D tensor `(batch, dim)`.
    """

    def __init__(self, pooling: str = "cls", **kwargs):
        super().__init__(**kwargs)
        if pooling not in POOLING_MODES:
            raise ValueError(
                f"`pooling` should be one of {POOLING_MODES}. Received: pooling={pooling!r}"
            )
        self.pooling = pooling

    def call(self, tokens):
        if self.pooling == "cls":
            return tokens[:, 0, :]
        return ops.mean(tokens[:, 1:, :], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        config = super().get_config()
        config.update({"pooling": self.pooling})
        return config
