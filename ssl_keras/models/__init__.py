"""Encoders and self-supervised models: the course's small CNN, a CIFAR ResNet-18, any
Keras / keras-hub backbone, SimCLR and MoCo."""

from ssl_keras.models.backbone_encoder import backbone_encoder
from ssl_keras.models.cifar_resnet import cifar_resnet18_encoder
from ssl_keras.models.clip_zero_shot import CLIPZeroShotClassifier, keras_hub_clip_encoders
from ssl_keras.models.moco import MoCo
from ssl_keras.models.simclr import SimCLR, contrastive_ranking, embedding_std
from ssl_keras.models.small_cnn import small_cnn_encoder

__all__ = [
    "CLIPZeroShotClassifier",
    "MoCo",
    "SimCLR",
    "backbone_encoder",
    "cifar_resnet18_encoder",
    "contrastive_ranking",
    "embedding_std",
    "keras_hub_clip_encoders",
    "small_cnn_encoder",
]
