"""Foundation models: a small masked autoencoder (MAE) and tools to explore DINOv2 / ViTs.

- `MaskedAutoencoder`: He et al.'s MAE, small, trainable with `model.fit(images)` on
  every backend; `reconstruct` at any masking ratio; `.encoder` for linear probing. A
  trainable model, it lives in `ssl_keras.models` with the others and is reachable here.
- Patches: `patchify`, `unpatchify`, `random_masking`, `sincos_position_embedding_2d`.
- Attention of any ViT (keras-hub `DINOV2Backbone`, `ViTBackbone`, the MAE):
  `attention_scores`, `last_block_attention`, `cls_attention_maps`, `foreground_masks`,
  `dinov2_attention`, `num_register_tokens`.
- Attention against an object: `attention_mass_inside`, `patch_mask_fractions`,
  `bright_object_masks`.
- `vit_encoder`: the MAE's ViT encoder alone, to train with any objective.
- Features: `vit_features`, `pca_rgb`, `knn_evaluate`.
- keras-hub (optional, imported lazily): `load_dinov2`, `load_vit`, `load_backbone` (preset name or
  local preset directory, with an actionable error offline), `preprocess_images`.
- Figures: `plot_mae_reconstructions`, `plot_attention_maps`, `plot_pca_features`,
  `plot_attention_comparison`.
"""

from ssl_keras._lazy import lazy_attributes
from ssl_keras.foundation.attention import (
    attention_mass_inside,
    attention_scores,
    bright_object_masks,
    cls_attention_maps,
    foreground_masks,
    patch_mask_fractions,
)
from ssl_keras.foundation.dinov2 import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    dinov2_attention,
    keras_hub_available,
    knn_evaluate,
    last_block_attention,
    load_backbone,
    load_dinov2,
    load_vit,
    num_register_tokens,
    preprocess_images,
    vit_features,
)
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
from ssl_keras.foundation.vit_encoder import vit_encoder
from ssl_keras.foundation.vit_layers import (
    ClassToken,
    PatchEmbedding,
    TokenPooling,
    TransformerBlock,
)

# The masked autoencoder is a trainable model, at home in `ssl_keras.models`; its names are
# also reachable here, looked up on first use (it imports this package's patches and ViT
# layers, so an import at the top would be circular).
__getattr__ = lazy_attributes(__name__, {
    name: "ssl_keras.models.masked_autoencoder"
    for name in ("MaskedAutoencoder", "masked_patch_loss", "patch_targets")
})

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ClassToken",
    "MaskedAutoencoder",
    "PatchEmbedding",
    "TokenPooling",
    "TransformerBlock",
    "attention_mass_inside",
    "attention_scores",
    "bright_object_masks",
    "cls_attention_maps",
    "dinov2_attention",
    "foreground_masks",
    "keras_hub_available",
    "knn_evaluate",
    "last_block_attention",
    "load_backbone",
    "load_dinov2",
    "load_vit",
    "masked_patch_loss",
    "num_masked_patches",
    "num_register_tokens",
    "patch_targets",
    "patch_mask_fractions",
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
    "vit_encoder",
    "vit_features",
]
