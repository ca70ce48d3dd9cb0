"""Foundation models: a small masked autoencoder (MAE) and tools to explore DINOv2 / ViTs.

- `MaskedAutoencoder`: He et al.'s MAE, small, trainable with `model.fit(images)` on
  every backend; `reconstruct` at any masking ratio; `.encoder` for linear probing.
- Patches: `patchify`, `unpatchify`, `random_masking`, `sincos_position_embedding_2d`.
- Attention of any ViT (keras-hub `DINOV2Backbone`, `ViTBackbone`, the MAE):
  `attention_scores`, `cls_attention_maps`, `foreground_masks`, `dinov2_attention`.
- Features: `vit_features`, `pca_rgb`, `knn_evaluate`.
- keras-hub (optional, imported lazily): `load_dinov2`, `load_backbone` (preset name or
  local preset directory, with an actionable error offline), `preprocess_images`.
- Figures: `plot_mae_reconstructions`, `plot_attention_maps`, `plot_pca_features`,
  `plot_attention_comparison`.
"""

from ssl_keras.foundation.attention import (
    attention_scores,
    cls_attention_maps,
    foreground_masks,
)
from ssl_keras.foundation.dinov2 import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    dinov2_attention,
    keras_hub_available,
    knn_evaluate,
    load_backbone,
    load_dinov2,
    preprocess_images,
    vit_features,
)
from ssl_keras.foundation.mae import MaskedAutoencoder, masked_patch_loss, patch_targets
from ssl_keras.foundation.patches import (
    num_masked_patches,
    patchify,
    random_masking,
    sincos_position_embedding_2d,
    unpatchify,
)
from ssl_keras.foundation.pca import pca_rgb
from ssl_keras.foundation.plots import (
    plot_attention_comparison,
    plot_attention_maps,
    plot_mae_reconstructions,
    plot_pca_features,
)
from ssl_keras.foundation.vit_layers import (
    ClassToken,
    PatchEmbedding,
    TokenPooling,
    TransformerBlock,
)

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ClassToken",
    "MaskedAutoencoder",
    "PatchEmbedding",
    "TokenPooling",
    "TransformerBlock",
    "attention_scores",
    "cls_attention_maps",
    "dinov2_attention",
    "foreground_masks",
    "keras_hub_available",
    "knn_evaluate",
    "load_backbone",
    "load_dinov2",
    "masked_patch_loss",
    "num_masked_patches",
    "patch_targets",
    "patchify",
    "pca_rgb",
    "plot_attention_comparison",
    "plot_attention_maps",
    "plot_mae_reconstructions",
    "plot_pca_features",
    "preprocess_images",
    "random_masking",
    "sincos_position_embedding_2d",
    "unpatchify",
    "vit_features",
]
