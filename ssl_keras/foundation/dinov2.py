"""DINOv2 (and any keras-hub ViT) exploration: loading with clear offline errors,
preprocessing, last-block attention, token features and kNN evaluation; `load_vit` for a
supervised ViT to compare with.

keras-hub is optional: it is imported inside the functions that need it. Everything
else works on any ViT-like `keras.Model` that maps images to tokens
`(batch, 1 + num_registers + num_patches, dim)` with the class token first, e.g.
`keras_hub.models.DINOV2Backbone`, `keras_hub.models.ViTBackbone` or
`MaskedAutoencoder.token_encoder`.
"""

import logging
import os

import numpy as np
from keras import ops

from ssl_keras.evaluation.knn import knn_accuracy
from ssl_keras.foundation.attention import attention_scores, cls_attention_maps

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FEATURE_POOLING = ("cls", "mean", "cls_mean", "patches")

_INSTALL_HINT = (
    "Install it with `pip install keras-hub` (on a CPU-only machine that already has "
    "tensorflow-cpu, `pip install --no-deps keras-hub regex` is enough for backbones)."
)


def _import_keras_hub():
    try:
        import keras_hub
    except ImportError as error:
        raise ImportError(
            f"This function needs the optional package keras-hub. {_INSTALL_HINT}"
        ) from error
    return keras_hub


def load_backbone(preset: str, class_name: str = "Backbone", **kwargs):
    """Loads a keras-hub backbone from a preset name or a local preset directory.

    `keras_hub.models.<class_name>.from_preset(preset, **kwargs)`, with an actionable
    error when the weights cannot be fetched (no internet, no Kaggle access). keras-hub
    presets can be local directories (holding `config.json`, `model.weights.h5`,
    `metadata.json`), which is how to work offline: on a machine with internet run
    `keras_hub.models.DINOV2Backbone.from_preset("dinov2_small").save_to_preset("dinov2_small")`,
    copy the folder, and pass its path.

    Args:
        preset: a keras-hub preset name (`"dinov2_small"`,
            `"vit_base_patch16_224_imagenet"`), a `kaggle://` / `hf://` handle, or a
            local preset directory.
        class_name: the keras-hub model class, e.g. `"DINOV2Backbone"`, `"ViTBackbone"`.
        **kwargs: passed to `from_preset` (e.g. `image_shape=(224, 224, 3)`).

    Returns:
        The backbone (`keras.Model`).

    Raises:
        ImportError: if keras-hub is not installed.
        OSError: if the preset cannot be loaded; the message says how to fix it.
    """
    keras_hub = _import_keras_hub()
    model_class = getattr(keras_hub.models, class_name, None)
    if model_class is None:
        raise ValueError(
            "`class_name` should name a keras_hub.models class. "
            f"Received: class_name={class_name!r}"
        )
    looks_local = os.path.sep in str(preset) or str(preset).startswith(".")
    if looks_local and not os.path.isdir(preset):
        raise OSError(
            f"The local preset directory {preset!r} does not exist. A local preset is a folder "
            "with config.json, metadata.json and model.weights.h5, written by "
            "`backbone.save_to_preset(path)` or downloaded from Kaggle / Hugging Face."
        )
    try:
        return model_class.from_preset(preset, **kwargs)
    except Exception as error:  # keras-hub raises ValueError, OSError, ImportError...
        raise OSError(
            f"Could not load the keras-hub preset {preset!r} with "
            f"{class_name}.from_preset ({type(error).__name__}: {error}). Pretrained "
            "weights are downloaded from Kaggle or Hugging Face, which needs internet "
            "access (and `pip install kagglehub`). Offline, pass a local preset directory "
            "instead: on a machine with internet run "
            f"`keras_hub.models.{class_name}.from_preset({preset!r}).save_to_preset("
            "'my_preset')`, copy the folder, then call this function with its path, e.g. "
            "load_dinov2('/path/to/my_preset')."
        ) from error


def load_dinov2(preset: str = "dinov2_small", image_shape=(224, 224, 3), **kwargs):
    """Loads `keras_hub.models.DINOV2Backbone` from a preset name or a local directory.

    Args:
        preset: `"dinov2_small"` (ViT-S/14, 22M parameters), `"dinov2_base"`, ...,
            a `kaggle://` handle, or a local preset directory (works offline).
        image_shape: input image shape; DINOv2 interpolates its position embeddings,
            so any multiple of 14 works (224 gives a 16x16 patch grid).
        **kwargs: passed to `from_preset`.

    Returns:
        The `DINOV2Backbone`. Its output is the token sequence
        `(batch, 1 + num_register_tokens + num_patches, hidden_dim)`; its inputs are
        images normalised as `preprocess_images` does.

    Raises:
        ImportError: if keras-hub is not installed.
        OSError: when offline without a local preset; the message explains what to do.
    """
    if image_shape is not None:
        kwargs["image_shape"] = tuple(image_shape)
    return load_backbone(preset, "DINOV2Backbone", **kwargs)


def load_vit(preset: str = "vit_base_patch16_224_imagenet", **kwargs):
    """Loads a supervised `keras_hub.models.ViTBackbone` from a preset or a local directory.

    The default preset is ViT-B/16 at 224x224 (a 14x14 patch grid), trained with labels
    (ImageNet-21k, then ImageNet-1k): the supervised counterpart of DINO/DINOv2 in the
    comparison of their attention maps. Its position embeddings are fixed to the preset's
    resolution, so feed it images of that size, normalised with mean 0.5 and standard
    deviation 0.5 (`preprocess_images(images, 224, mean=(0.5,) * 3, std=(0.5,) * 3)`, what
    the preset's `ViTImageConverter` does).

    Args:
        preset: a keras-hub ViT preset (`"vit_base_patch16_224_imagenet"`,
            `"vit_base_patch16_224_imagenet21k"`, ...), a `kaggle://` handle, or a local
            preset directory (works offline).
        **kwargs: passed to `from_preset`.

    Returns:
        The `ViTBackbone`; its output is the token sequence
        `(batch, 1 + num_patches, hidden_dim)`, class token first.

    Raises:
        ImportError: if keras-hub is not installed.
        OSError: when offline without a local preset; the message explains what to do.
    """
    return load_backbone(preset, "ViTBackbone", **kwargs)


def preprocess_images(images, image_size: int | None = 224, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """Resizes `[0, 255]` images and normalises them with the ImageNet statistics.

    What DINOv2's (and most keras-hub ViTs') image converters do: `x / 255`, then
    `(x - mean) / std` per channel, after a bilinear resize to `image_size`. Use
    `mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)` for the original ViT presets, or the
    model's own `keras_hub.layers.*ImageConverter`.

    Args:
        images: `(batch, height, width, channels)` in `[0, 255]`.
        image_size: output side (a multiple of the patch size), or `None` to keep.
        mean: per-channel mean in `[0, 1]` units.
        std: per-channel standard deviation in `[0, 1]` units.

    Returns:
        float32 tensor `(batch, image_size, image_size, channels)`.
    """
    images = ops.cast(ops.convert_to_tensor(images), "float32")
    if image_size is not None:
        images = ops.image.resize(images, (int(image_size), int(image_size)))
    mean = ops.convert_to_tensor(np.asarray(mean, "float32"))
    std = ops.convert_to_tensor(np.asarray(std, "float32"))
    return (images / 255.0 - mean) / std


def _model_inputs(model, images):
    """keras-hub backbones take `{"images": ...}`; plain functional models a tensor."""
    try:
        model_input = model.input
    except (AttributeError, ValueError):
        return images
    if isinstance(model_input, dict) and len(model_input) == 1:
        return {next(iter(model_input)): images}
    return images


def num_register_tokens(model) -> int:
    """The register tokens between a ViT's class token and its patches: keras-hub's
    `DINOV2Backbone.num_register_tokens` (non-zero for the `dinov2_with_registers_*` presets),
    0 for models without that attribute (ViT, DINOv2 without registers, this package's
    encoders)."""
    return int(getattr(model, "num_register_tokens", 0) or 0)


def last_block_attention(model, images) -> np.ndarray:
    """The attention probabilities of a ViT's last attention layer, on `images`.

    `attention_scores(model, inputs)[-1]`, with the inputs wrapped as the model takes
    them (keras-hub backbones whose input is a dict `{"images": ...}`, or a tensor).

    Args:
        model: a ViT-like model containing `keras.layers.MultiHeadAttention` layers:
            keras-hub's `DINOV2Backbone` or `ViTBackbone`, `vit_encoder`,
            `MaskedAutoencoder.token_encoder`.
        images: model-ready images.

    Returns:
        float32 NumPy array `(batch, heads, tokens, tokens)`; each row (one query token)
        sums to 1. Token 0 is the class token.
    """
    return attention_scores(model, _model_inputs(model, images))[-1]


def dinov2_attention(backbone, images, num_registers: int | None = None) -> np.ndarray:
    """Class-token attention maps of the last block of a DINOv2 (or any ViT) backbone.

    keras-hub's DINOv2 blocks call `keras.layers.MultiHeadAttention` without returning
    the attention probabilities, so they are captured with `attention_scores` (the
    backbone is not modified). The last captured call is the last block; its class-token
    row is reshaped to the patch grid by `cls_attention_maps`, skipping the register
    tokens of DINOv2-with-registers presets.

    Args:
        backbone: `keras_hub.models.DINOV2Backbone` (or any model whose last attention
            layer is the last block's self-attention over
            `[CLS, registers, patches]`).
        images: model-ready images (see `preprocess_images`), square, side a multiple of
            the patch size.
        num_registers: number of register tokens; `None` reads
            `backbone.num_register_tokens` (0 if absent).

    Returns:
        float32 NumPy array `(batch, heads, grid, grid)`.
    """
    if num_registers is None:
        num_registers = num_register_tokens(backbone)
    return cls_attention_maps(last_block_attention(backbone, images), num_registers=num_registers)


def vit_features(
    model,
    images,
    pooling: str = "cls",
    num_registers: int | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """Features of a ViT-like token model, computed in batches (inference mode).

    Args:
        model: maps images to tokens `(batch, 1 + num_registers + num_patches, dim)`,
            class token first (keras-hub `DINOV2Backbone`, `ViTBackbone`,
            `MaskedAutoencoder.token_encoder`).
        images: model-ready images `(num_images, height, width, channels)`.
        pooling: `"cls"` (class token; DINO's kNN protocol), `"mean"` (mean of patch
            tokens), `"cls_mean"` (their concatenation, DINOv2's linear protocol) or
            `"patches"` (all patch tokens, for `pca_rgb`).
        num_registers: register tokens to skip; `None` reads
            `model.num_register_tokens` (0 if absent).
        batch_size: images per forward pass.

    Returns:
        float32 NumPy array: `(num_images, dim)`, `(num_images, 2 * dim)` for
        `"cls_mean"`, or `(num_images, num_patches, dim)` for `"patches"`.

    Raises:
        ValueError: for an unknown `pooling` or model outputs that are not tokens.
    """
    if pooling not in FEATURE_POOLING:
        raise ValueError(
            f"`pooling` should be one of {FEATURE_POOLING}. Received: pooling={pooling!r}"
        )
    if num_registers is None:
        num_registers = num_register_tokens(model)
    first_patch = 1 + int(num_registers)
    outputs = []
    for start in range(0, len(images), int(batch_size)):
        batch = images[start : start + int(batch_size)]
        tokens = model(_model_inputs(model, batch), training=False)
        tokens = np.asarray(ops.convert_to_numpy(tokens), dtype="float32")
        if tokens.ndim != 3 or tokens.shape[1] <= first_patch:
            raise ValueError(
                "`model` should return tokens (batch, 1 + num_registers + num_patches, dim). "
                f"Received output shape {tokens.shape}"
            )
        cls, patches = tokens[:, 0], tokens[:, first_patch:]
        if pooling == "cls":
            outputs.append(cls)
        elif pooling == "mean":
            outputs.append(patches.mean(axis=1))
        elif pooling == "cls_mean":
            outputs.append(np.concatenate([cls, patches.mean(axis=1)], axis=1))
        else:
            outputs.append(patches)
    return np.concatenate(outputs, axis=0)


def knn_evaluate(
    model,
    train_images,
    train_labels,
    test_images,
    test_labels,
    k: int = 20,
    temperature: float = 0.07,
    pooling: str = "cls",
    batch_size: int = 64,
) -> float:
    """Weighted kNN accuracy of a frozen ViT's features, no training (DINO's protocol).

    Features come from `vit_features` and the classifier is
    `ssl_keras.evaluation.knn_accuracy`; `k=20` and `temperature=0.07` are DINO's
    defaults.

    Returns:
        Test top-1 accuracy, a Python float.
    """
    train = vit_features(model, train_images, pooling=pooling, batch_size=batch_size)
    test = vit_features(model, test_images, pooling=pooling, batch_size=batch_size)
    accuracy = knn_accuracy(train, train_labels, test, test_labels, k=k, temperature=temperature)
    logger.info("kNN (k=%d, T=%.3g, %s) accuracy %.4f", k, temperature, pooling, accuracy)
    return accuracy


def keras_hub_available() -> bool:
    """Whether the optional keras-hub package can be imported."""
    try:
        _import_keras_hub()
    except ImportError:
        return False
    return True
