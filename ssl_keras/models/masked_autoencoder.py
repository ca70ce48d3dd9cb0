"""A small masked autoencoder (MAE), trainable with `model.fit(images)` on every backend."""

import keras
import numpy as np
from keras import ops

from ssl_keras.foundation.patches import (
    num_masked_patches,
    patchify,
    random_masking,
    sincos_position_embedding_2d,
    unpatchify,
)
from ssl_keras.foundation.vit_layers import (
    ClassToken,
    PatchEmbedding,
    TokenPooling,
    TransformerBlock,
)
from ssl_keras.models.pretraining_model import PretrainingModel
from ssl_keras.validation import check_positive_int

# Added to the per-patch variance before dividing, as in MAE's norm_pix_loss.
NORM_PIX_EPSILON = 1e-6


def masked_patch_loss(images, predictions, mask, patch_size: int, norm_pix_loss: bool = False):
    """MAE's reconstruction loss: mean squared error on the masked patches only.

    The target is `patchify(images / 255)` (pixels in `[0, 1]`). With
    `norm_pix_loss=True` each target patch is normalised by its own mean and
    (unbiased, as `torch.var`) variance, `(t - mean) / sqrt(var + 1e-6)`, the paper's
    "normalized pixels" variant. The squared error is averaged over the pixels of each
    patch, then over the masked patches of the batch:
    `sum(mse_per_patch * mask) / sum(mask)`. Visible patches do not contribute.

    Args:
        images: `(batch, height, width, channels)` images in `[0, 255]`.
        predictions: `(batch, num_patches, patch_size * patch_size * channels)` predicted
            pixels (in target units).
        mask: `(batch, num_patches)`, 1 for masked patches, 0 for visible ones.
        patch_size: side of the square patches.
        norm_pix_loss: whether targets are normalised per patch.

    Returns:
        float32 scalar tensor.

    Reference:
        He et al., Masked Autoencoders Are Scalable Vision Learners, CVPR 2022:
        "Our loss function computes the mean squared error (MSE) between the
        reconstructed and original images in the pixel space. We compute the loss only
        on masked patches, similar to BERT."
    """
    target = patch_targets(images, patch_size, norm_pix_loss)
    predictions = ops.cast(predictions, "float32")
    mask = ops.cast(mask, "float32")
    per_patch = ops.mean(ops.square(predictions - target), axis=-1)
    return ops.sum(per_patch * mask) / ops.maximum(ops.sum(mask), 1.0)


def patch_targets(images, patch_size: int, norm_pix_loss: bool = False):
    """The MAE regression targets: patches of `images / 255`, optionally normalised."""
    target = patchify(ops.cast(images, "float32") / 255.0, patch_size)
    if not norm_pix_loss:
        return target
    mean, variance = _patch_statistics(target)
    return (target - mean) / ops.sqrt(variance + NORM_PIX_EPSILON)


def _patch_statistics(patches):
    size = patches.shape[-1]
    mean = ops.mean(patches, axis=-1, keepdims=True)
    variance = ops.sum(ops.square(patches - mean), axis=-1, keepdims=True) / max(size - 1, 1)
    return mean, variance


@keras.saving.register_keras_serializable(package="ssl_keras")
class MaskedAutoencoder(PretrainingModel):
    """Masked autoencoder with a small ViT encoder and a lightweight decoder (MAE).

    "We mask random patches of the input image and reconstruct the missing pixels. [...]
    an asymmetric encoder-decoder architecture, with an encoder that operates only on
    the visible subset of patches (without mask tokens), along with a lightweight
    decoder that reconstructs the original image from the latent representation and
    mask tokens." (He et al., 2022.)

    Forward pass, as in the reference implementation:
    1. raw images `[0, 255]` -> `Rescaling(1/255)` -> patches -> `Dense(hidden_dim)` +
       fixed 2D sin-cos position embeddings;
    2. per image, a random subset of exactly `round(mask_ratio * num_patches)` patches
       is dropped (`random_masking`: argsort of uniform noise);
    3. a class token is prepended; `num_layers` Transformer blocks and a LayerNorm run
       on the visible tokens only;
    4. the decoder embeds them to `decoder_hidden_dim`, appends a shared learned mask
       token for every masked patch, restores the patch order, adds its own fixed
       sin-cos positions, runs `decoder_num_layers` blocks, and predicts the
       `patch_size * patch_size * channels` pixels of every patch;
    5. the loss (`masked_patch_loss`) is the MSE on the masked patches only.

    Training is `compute_loss`-based (`PretrainingModel`: the loss, the regularisation
    losses and the `ssl_loss` metric), so `model.fit(images)` works on jax, tensorflow
    and torch; labels, if given, are ignored. `model.encoder` maps raw images to
    `(batch, hidden_dim)` features (class token or mean of patch tokens, no masking):
    use it for linear probing (`ssl_keras.evaluation.linear_probe_from_encoder`).
    `model.token_encoder` returns all tokens `(batch, 1 + num_patches, hidden_dim)`,
    for attention maps and PCA (`ssl_keras.foundation`).

    Departures from the paper: much smaller sizes (the paper's smallest encoder is
    ViT-B/16 with a 512-d, 8-block decoder); no data augmentation inside the model;
    `round` instead of truncation for the number of masked patches
    (`num_masked_patches`); targets are pixels in `[0, 1]` (the paper uses
    ImageNet-normalised pixels).

    Args:
        image_shape: `(height, width, channels)` of the input images.
        patch_size: side of the square patches; must divide height and width.
        hidden_dim: encoder token size (multiple of 4 and of `num_heads`).
        num_layers: number of encoder Transformer blocks.
        num_heads: encoder attention heads.
        intermediate_dim: encoder MLP size; `None` means `4 * hidden_dim`.
        decoder_hidden_dim: decoder token size (multiple of 4 and of
            `decoder_num_heads`).
        decoder_num_layers: number of decoder blocks.
        decoder_num_heads: decoder attention heads.
        decoder_intermediate_dim: decoder MLP size; `None` means
            `4 * decoder_hidden_dim`.
        mask_ratio: fraction of patches masked during training, in `[0, 1)`; the
            paper's default is 0.75. `call` and `reconstruct` accept another ratio.
        norm_pix_loss: predict per-patch normalised pixels (the paper's better
            variant for representations; see `masked_patch_loss`).
        pooling: `"cls"` or `"mean"`, how `encoder` turns tokens into features.
        seed: seed of the masking (`None`, or an integer).
        **kwargs: `keras.Model` keyword arguments (`name`).

    Input shape:
        4D tensor `(batch, height, width, channels)` with values in `[0, 255]`.

    Output shape:
        `call` returns a dict: `"predictions"` `(batch, num_patches, patch_dim)`
        (pixels of every patch, in target units) and `"mask"` `(batch, num_patches)`
        (1 = masked).

    Raises:
        ValueError: for inconsistent sizes or an out-of-range `mask_ratio`.

    Example:
    >>> import numpy as np
    >>> mae = MaskedAutoencoder((16, 16, 3), patch_size=4, hidden_dim=16, num_layers=1,
    ...                         num_heads=2, decoder_hidden_dim=16, decoder_num_layers=1,
    ...                         decoder_num_heads=2, seed=0)
    >>> mae.compile(optimizer="adam")
    >>> history = mae.fit(np.zeros((8, 16, 16, 3)), batch_size=4, epochs=1, verbose=0)
    >>> reconstruction, mask = mae.reconstruct(np.zeros((2, 16, 16, 3)), mask_ratio=0.5)
    >>> reconstruction.shape, mask.shape
    ((2, 16, 16, 3), (2, 16, 16, 1))

    Reference:
        He, Chen, Xie, Li, Dollar, Girshick. Masked Autoencoders Are Scalable Vision
        Learners. CVPR 2022. https://arxiv.org/abs/2111.06377
    """

    config_arguments = (
        "image_shape",
        "patch_size",
        "hidden_dim",
        "num_layers",
        "num_heads",
        "intermediate_dim",
        "decoder_hidden_dim",
        "decoder_num_layers",
        "decoder_num_heads",
        "decoder_intermediate_dim",
        "mask_ratio",
        "norm_pix_loss",
        "pooling",
        "seed",
    )

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (16, 16, 3),
        patch_size: int = 4,
        hidden_dim: int = 64,
        num_layers: int = 4,
        num_heads: int = 4,
        intermediate_dim: int | None = None,
        decoder_hidden_dim: int = 32,
        decoder_num_layers: int = 2,
        decoder_num_heads: int = 4,
        decoder_intermediate_dim: int | None = None,
        mask_ratio: float = 0.75,
        norm_pix_loss: bool = False,
        pooling: str = "cls",
        seed: int | None = None,
        **kwargs,
    ):
        image_shape = tuple(int(size) for size in image_shape)
        if len(image_shape) != 3:
            raise ValueError(
                "`image_shape` should be (height, width, channels). "
                f"Received: image_shape={image_shape}"
            )
        patch_size = int(patch_size)
        if patch_size < 1 or image_shape[0] % patch_size or image_shape[1] % patch_size:
            raise ValueError(
                "`patch_size` should be positive and divide the image height and width. "
                f"Received: patch_size={patch_size}, image_shape={image_shape}"
            )
        for name, value in (("num_layers", num_layers), ("decoder_num_layers", decoder_num_layers)):
            check_positive_int(value, name)
        grid_size = (image_shape[0] // patch_size, image_shape[1] // patch_size)
        num_patches = grid_size[0] * grid_size[1]
        num_masked_patches(num_patches, mask_ratio)  # validates mask_ratio
        super().__init__(**kwargs)

        self.image_shape = image_shape
        self.patch_size = patch_size
        self.hidden_dim = int(hidden_dim)
        self.num_layers = int(num_layers)
        self.num_heads = int(num_heads)
        self.intermediate_dim = (
            4 * self.hidden_dim if intermediate_dim is None else int(intermediate_dim)
        )
        self.decoder_hidden_dim = int(decoder_hidden_dim)
        self.decoder_num_layers = int(decoder_num_layers)
        self.decoder_num_heads = int(decoder_num_heads)
        self.decoder_intermediate_dim = (
            4 * self.decoder_hidden_dim
            if decoder_intermediate_dim is None
            else int(decoder_intermediate_dim)
        )
        self.mask_ratio = float(mask_ratio)
        self.norm_pix_loss = bool(norm_pix_loss)
        self.pooling = pooling
        self.seed = seed
        self.grid_size = grid_size
        self.num_patches = num_patches
        self.seed_generator = keras.random.SeedGenerator(seed)

        # Encoder.
        self.rescaling = keras.layers.Rescaling(1.0 / 255, name="rescaling")
        self.patch_embedding = PatchEmbedding(patch_size, self.hidden_dim, name="patch_embedding")
        self.class_token = ClassToken(name="class_token")
        self.encoder_blocks = [
            TransformerBlock(
                self.hidden_dim, self.num_heads, self.intermediate_dim, name=f"encoder_block_{i}"
            )
            for i in range(self.num_layers)
        ]
        self.encoder_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="encoder_norm")
        self.token_pooling = TokenPooling(pooling, name="token_pooling")

        # Decoder.
        self.decoder_embedding = keras.layers.Dense(
            self.decoder_hidden_dim, name="decoder_embedding"
        )
        self.decoder_blocks = [
            TransformerBlock(
                self.decoder_hidden_dim,
                self.decoder_num_heads,
                self.decoder_intermediate_dim,
                name=f"decoder_block_{i}",
            )
            for i in range(self.decoder_num_layers)
        ]
        self.decoder_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="decoder_norm")
        self.decoder_prediction = keras.layers.Dense(
            patch_size * patch_size * image_shape[2], name="decoder_prediction"
        )
        self.mask_token = self.add_weight(
            shape=(1, 1, self.decoder_hidden_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="mask_token",
        )
        decoder_positions = sincos_position_embedding_2d(self.decoder_hidden_dim, grid_size)
        # The class token's decoder position embedding is zero, as in MAE.
        decoder_positions = np.concatenate(
            [np.zeros((1, self.decoder_hidden_dim), "float32"), decoder_positions]
        )[None]
        self.decoder_position_embedding = self.add_weight(
            shape=decoder_positions.shape,
            initializer=keras.initializers.Constant(decoder_positions),
            trainable=False,
            name="decoder_position_embedding",
        )

        # Unmasked feature extractors sharing the encoder's layers (built here).
        inputs = keras.Input(image_shape, name="images")
        tokens = self._encode(self.patch_embedding(self.rescaling(inputs)))
        self.token_encoder = keras.Model(inputs, tokens, name="mae_token_encoder")
        self.encoder = keras.Model(inputs, self.token_pooling(tokens), name="mae_encoder")

    @classmethod
    def layer_arguments(cls) -> tuple[str, ...]:
        # The encoder is made of the model's own layers: its sizes are the config.
        return ()

    def image_input_shape(self, input_shape) -> tuple:
        return (None, *self.image_shape) if input_shape is None else tuple(input_shape)

    def build_heads(self, image_shape, feature_shape):
        """Builds the decoder (the encoder is built in `__init__`)."""
        del image_shape, feature_shape
        tokens_shape = (None, self.num_patches + 1, self.hidden_dim)
        self.decoder_embedding.build(tokens_shape)
        decoder_shape = (None, self.num_patches + 1, self.decoder_hidden_dim)
        for block in self.decoder_blocks:
            block.build(decoder_shape)
        self.decoder_norm.build(decoder_shape)
        self.decoder_prediction.build(decoder_shape)

    def _encode(self, tokens, training=None):
        tokens = self.class_token(tokens)
        for block in self.encoder_blocks:
            tokens = block(tokens, training=training)
        return self.encoder_norm(tokens)

    def call(self, images, training=None, mask_ratio: float | None = None):
        if len(images.shape) != 4:
            raise ValueError(
                "`MaskedAutoencoder` expects images of shape (batch, height, width, "
                f"channels). Received: images.shape={tuple(images.shape)}"
            )
        mask_ratio = self.mask_ratio if mask_ratio is None else mask_ratio
        num_masked = num_masked_patches(self.num_patches, mask_ratio)
        tokens = self.patch_embedding(self.rescaling(images))
        visible, mask, restore_ids = random_masking(tokens, mask_ratio, seed=self.seed_generator)
        encoded = self._encode(visible, training=training)

        x = self.decoder_embedding(encoded)
        class_token, visible = x[:, :1, :], x[:, 1:, :]
        # One mask token per masked patch, broadcast over the (possibly dynamic) batch.
        mask_tokens = ops.zeros_like(visible[:, :1, :]) + ops.cast(self.mask_token, x.dtype)
        mask_tokens = ops.repeat(mask_tokens, num_masked, axis=1)
        x = ops.concatenate([visible, mask_tokens], axis=1)
        x = ops.take_along_axis(x, ops.expand_dims(restore_ids, -1), axis=1)
        x = ops.concatenate([class_token, x], axis=1)
        x = x + ops.cast(self.decoder_position_embedding, x.dtype)
        for block in self.decoder_blocks:
            x = block(x, training=training)
        predictions = self.decoder_prediction(self.decoder_norm(x))[:, 1:, :]
        return {"predictions": predictions, "mask": mask}

    def compute_objective(self, x, y, y_pred, sample_weight=None, training=True):
        """Masked-patch MSE (`masked_patch_loss`); labels `y` and `sample_weight` are ignored."""
        del y, sample_weight, training
        images = x[0] if isinstance(x, (list, tuple)) else x
        return masked_patch_loss(
            images,
            y_pred["predictions"],
            y_pred["mask"],
            self.patch_size,
            self.norm_pix_loss,
        )

    def reconstruct(self, images, mask_ratio: float | None = None, paste_visible: bool = False):
        """Masks images at `mask_ratio` and reconstructs them (inference mode).

        With `norm_pix_loss=True` the model predicts normalised patches; they are mapped
        back to pixels with the mean and variance of the *original* patches, as in the
        MAE visualisation demo (this uses information from the masked patches, for
        display only).

        Args:
            images: `(batch, height, width, channels)` images in `[0, 255]`.
            mask_ratio: fraction of patches to mask; `None` means `self.mask_ratio`.
            paste_visible: if True, visible patches show the original pixels and only
                masked patches the prediction. The paper's figures show the raw output
                (False): "no loss is computed on visible patches".

        Returns:
            A tuple of NumPy arrays `(reconstruction, mask)`: `reconstruction`
            float32 `(batch, height, width, channels)` clipped to `[0, 255]`, and
            `mask` float32 `(batch, height, width, 1)`, 1 where the pixel was masked.
        """
        images = ops.convert_to_tensor(np.asarray(images, dtype="float32"))
        outputs = self(images, training=False, mask_ratio=mask_ratio)
        predictions = ops.cast(outputs["predictions"], "float32")
        if self.norm_pix_loss:
            mean, variance = _patch_statistics(patchify(images / 255.0, self.patch_size))
            predictions = predictions * ops.sqrt(variance + NORM_PIX_EPSILON) + mean
        patch_dim = self.patch_size * self.patch_size * self.image_shape[2]
        reconstruction = unpatchify(predictions * 255.0, self.patch_size, self.image_shape)
        pixel_mask = ops.repeat(ops.expand_dims(outputs["mask"], -1), patch_dim, axis=-1)
        pixel_mask = unpatchify(pixel_mask, self.patch_size, self.image_shape)
        reconstruction = ops.convert_to_numpy(reconstruction)
        pixel_mask = ops.convert_to_numpy(pixel_mask)[..., :1]
        if paste_visible:
            reconstruction = np.where(
                pixel_mask > 0.5, reconstruction, ops.convert_to_numpy(images)
            )
        return np.clip(reconstruction, 0.0, 255.0).astype("float32"), pixel_mask
