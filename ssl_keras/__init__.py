"""ssl_keras: backend-agnostic Keras 3 building blocks for self-supervised learning.

Everything is written with `keras.ops` and runs unchanged on the jax, tensorflow and
torch backends (pick one with `KERAS_BACKEND`).

Subpackages: `ssl_keras.ops` (similarities, temperature softmax), `ssl_keras.losses`
(NT-Xent and relatives), `ssl_keras.layers` (SimCLR augmentations, projection head),
`ssl_keras.models` (encoders and every trainable model: SimCLR, MoCo, BYOL, SimSiam,
Barlow Twins, VICReg, DINO, the MAE, the mini-CLIP, the pretext-task models),
`ssl_keras.evaluation` (features, linear probe, kNN, plots), `ssl_keras.data` (CIFAR-10,
the embedded digits dataset), `ssl_keras.clip` (captions, tokenizer, zero-shot
classifier), `ssl_keras.foundation` (patches, ViT layers, DINOv2/ViT attention and PCA
tools), `ssl_keras.pretext` (rotation, jigsaw, colorization batches, tasks of one's own);
the last three also re-export their models; `ssl_keras.callbacks` (kNN monitor),
`ssl_keras.optimizers` (LARS), `ssl_keras.experiments` (the jobs:
the main job's pretraining and the pretext comparison).
"""

from ssl_keras import (
    callbacks,
    clip,
    data,
    distributed,
    evaluation,
    experiments,
    foundation,
    layers,
    losses,
    models,
    ops,
    optimizers,
    pretext,
)
from ssl_keras.callbacks import KNNMonitor
from ssl_keras.data import load_cifar10, load_digits
from ssl_keras.evaluation import (
    extract_features,
    fine_tune,
    knn_accuracy,
    linear_probe,
    plot_similarity_histograms,
    plot_similarity_matrix,
    plot_temperature_softmax,
    plot_tsne,
)
from ssl_keras.layers import MultiCropAugmentation, ProjectionHead, SimCLRAugmentation
from ssl_keras.losses import NTXent, nt_xent
from ssl_keras.models import (
    BYOL,
    DINO,
    BarlowTwins,
    CLIPZeroShotClassifier,
    MoCo,
    SelfSupervisedModel,
    SimCLR,
    SimSiam,
    VICReg,
    build_method,
    cifar_resnet18_encoder,
    small_cnn_encoder,
)
from ssl_keras.ops import cosine_similarity, pairwise_cosine_similarity, softmax_with_temperature
from ssl_keras.optimizers import LARS

__version__ = "0.1.0"

__all__ = [
    "BYOL",
    "BarlowTwins",
    "DINO",
    "SelfSupervisedModel",
    "SimSiam",
    "VICReg",
    "build_method",
    "CLIPZeroShotClassifier",
    "KNNMonitor",
    "LARS",
    "MultiCropAugmentation",
    "MoCo",
    "NTXent",
    "ProjectionHead",
    "SimCLR",
    "SimCLRAugmentation",
    "cifar_resnet18_encoder",
    "cosine_similarity",
    "callbacks",
    "clip",
    "data",
    "distributed",
    "evaluation",
    "experiments",
    "extract_features",
    "fine_tune",
    "foundation",
    "knn_accuracy",
    "layers",
    "linear_probe",
    "load_cifar10",
    "load_digits",
    "losses",
    "models",
    "nt_xent",
    "ops",
    "optimizers",
    "pairwise_cosine_similarity",
    "plot_similarity_histograms",
    "pretext",
    "plot_similarity_matrix",
    "plot_temperature_softmax",
    "plot_tsne",
    "small_cnn_encoder",
    "softmax_with_temperature",
]
