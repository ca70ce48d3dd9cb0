"""Encoders and every trainable model of the package, all subclasses of `PretrainingModel`.

- Encoders: the course's small CNN, a CIFAR ResNet-18, any Keras / keras-hub backbone.
- Two-view self-supervised methods, subclasses of `SelfSupervisedModel`: SimCLR, MoCo,
  SimSiam, BYOL, Barlow Twins, VICReg and DINO, and their registry (`METHODS`, `build_method`).
- `MaskedAutoencoder` (MAE) and `MiniCLIP` (also reachable from `ssl_keras.foundation`
  and `ssl_keras.clip`).
- Pretext-task models, subclasses of `PretextModel`: `RotationPrediction`,
  `JigsawPrediction`, `Colorization`, `PretextClassification`, `PretextRegression` (also
  reachable from `ssl_keras.pretext`, where their datasets are made).
"""

from ssl_keras.clip.zero_shot import CLIPZeroShotClassifier, keras_hub_clip_encoders
from ssl_keras.models.backbone_encoder import backbone_encoder
from ssl_keras.models.barlow_twins import BarlowTwins
from ssl_keras.models.byol import BYOL
from ssl_keras.models.cifar_resnet import cifar_resnet18_encoder
from ssl_keras.models.colorization import Colorization
from ssl_keras.models.dino import DINO, DINOHead
from ssl_keras.models.jigsaw_prediction import JigsawPrediction
from ssl_keras.models.masked_autoencoder import MaskedAutoencoder
from ssl_keras.models.mini_clip import MiniCLIP, train_mini_clip
from ssl_keras.models.moco import MoCo
from ssl_keras.models.momentum import cosine_momentum, momentum_update
from ssl_keras.models.pretext_model import (
    PretextClassification,
    PretextModel,
    PretextRegression,
)
from ssl_keras.models.pretraining_model import PretrainingModel
from ssl_keras.models.registry import METHODS, Method, build_method
from ssl_keras.models.rotation_prediction import RotationPrediction
from ssl_keras.models.self_supervised_model import SelfSupervisedModel
from ssl_keras.models.simclr import SimCLR, contrastive_ranking, embedding_std
from ssl_keras.models.simsiam import SimSiam
from ssl_keras.models.small_cnn import small_cnn_encoder
from ssl_keras.models.vicreg import VICReg

__all__ = [
    "BYOL",
    "BarlowTwins",
    "CLIPZeroShotClassifier",
    "Colorization",
    "DINO",
    "DINOHead",
    "JigsawPrediction",
    "METHODS",
    "MaskedAutoencoder",
    "Method",
    "MiniCLIP",
    "MoCo",
    "PretextClassification",
    "PretextModel",
    "PretextRegression",
    "PretrainingModel",
    "RotationPrediction",
    "SelfSupervisedModel",
    "SimCLR",
    "SimSiam",
    "VICReg",
    "backbone_encoder",
    "build_method",
    "cifar_resnet18_encoder",
    "contrastive_ranking",
    "cosine_momentum",
    "embedding_std",
    "keras_hub_clip_encoders",
    "momentum_update",
    "small_cnn_encoder",
    "train_mini_clip",
]
