"""Encoders and self-supervised models: the course's small CNN, a CIFAR ResNet-18, any
Keras / keras-hub backbone; SimCLR, MoCo, SimSiam, BYOL, Barlow Twins and VICReg, all
subclasses of `SelfSupervisedModel`, and their registry (`METHODS`, `build_method`)."""

from ssl_keras.models.backbone_encoder import backbone_encoder
from ssl_keras.models.barlow_twins import BarlowTwins
from ssl_keras.models.byol import BYOL
from ssl_keras.models.cifar_resnet import cifar_resnet18_encoder
from ssl_keras.models.clip_zero_shot import CLIPZeroShotClassifier, keras_hub_clip_encoders
from ssl_keras.models.masked_autoencoder import MaskedAutoencoder
from ssl_keras.models.mini_clip import MiniCLIP, train_mini_clip
from ssl_keras.models.moco import MoCo
from ssl_keras.models.momentum import cosine_momentum, momentum_update
from ssl_keras.models.pretraining_model import PretrainingModel
from ssl_keras.models.registry import METHODS, Method, build_method
from ssl_keras.models.self_supervised_model import SelfSupervisedModel
from ssl_keras.models.simclr import SimCLR, contrastive_ranking, embedding_std
from ssl_keras.models.simsiam import SimSiam
from ssl_keras.models.small_cnn import small_cnn_encoder
from ssl_keras.models.vicreg import VICReg

__all__ = [
    "BYOL",
    "BarlowTwins",
    "CLIPZeroShotClassifier",
    "METHODS",
    "MaskedAutoencoder",
    "Method",
    "MiniCLIP",
    "MoCo",
    "PretrainingModel",
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
