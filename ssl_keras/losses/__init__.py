"""Self-supervised losses, each as a function and a `keras.losses.Loss` class."""

from ssl_keras.losses.alignment_uniformity import AlignmentUniformity, alignment_uniformity
from ssl_keras.losses.barlow_twins import BarlowTwinsLoss, barlow_twins_loss
from ssl_keras.losses.chunked_nt_xent import (
    ChunkedNTXent,
    chunked_nt_xent,
    chunked_nt_xent_per_example,
)
from ssl_keras.losses.clip_contrastive import CLIPContrastiveLoss, clip_contrastive_loss
from ssl_keras.losses.dino import DINOLoss, dino_loss
from ssl_keras.losses.info_nce import info_nce, info_nce_logits
from ssl_keras.losses.margin_triplet import MarginTriplet, margin_triplet
from ssl_keras.losses.negative_cosine_similarity import (
    NegativeCosineSimilarity,
    negative_cosine_similarity,
)
from ssl_keras.losses.nt_logistic import NTLogistic, nt_logistic
from ssl_keras.losses.nt_xent import (
    NTXent,
    nt_xent,
    nt_xent_logits,
    nt_xent_per_example,
    positive_rank,
)
from ssl_keras.losses.positives_only import PositivesOnlyLoss, positives_only_loss
from ssl_keras.losses.vicreg import VICRegLoss, vicreg_loss, vicreg_terms

__all__ = [
    "AlignmentUniformity",
    "BarlowTwinsLoss",
    "ChunkedNTXent",
    "CLIPContrastiveLoss",
    "DINOLoss",
    "MarginTriplet",
    "NegativeCosineSimilarity",
    "NTLogistic",
    "NTXent",
    "PositivesOnlyLoss",
    "VICRegLoss",
    "alignment_uniformity",
    "barlow_twins_loss",
    "chunked_nt_xent",
    "chunked_nt_xent_per_example",
    "clip_contrastive_loss",
    "dino_loss",
    "info_nce",
    "info_nce_logits",
    "margin_triplet",
    "negative_cosine_similarity",
    "nt_logistic",
    "nt_xent",
    "nt_xent_logits",
    "nt_xent_per_example",
    "positive_rank",
    "positives_only_loss",
    "vicreg_loss",
    "vicreg_terms",
]
