"""The self-supervised methods by name: model class, loss, and one builder for all."""

import dataclasses
from collections.abc import Callable

import keras

from ssl_keras.losses.barlow_twins import barlow_twins_loss
from ssl_keras.losses.dino import dino_loss
from ssl_keras.losses.info_nce import info_nce
from ssl_keras.losses.negative_cosine_similarity import negative_cosine_similarity
from ssl_keras.losses.nt_xent import nt_xent
from ssl_keras.losses.vicreg import vicreg_loss
from ssl_keras.models.barlow_twins import BarlowTwins
from ssl_keras.models.byol import BYOL
from ssl_keras.models.dino import DINO
from ssl_keras.models.moco import MoCo
from ssl_keras.models.self_supervised_model import SelfSupervisedModel
from ssl_keras.models.simclr import SimCLR
from ssl_keras.models.simsiam import SimSiam
from ssl_keras.models.vicreg import VICReg


@dataclasses.dataclass(frozen=True)
class Method:
    """One self-supervised method: its model class, its loss function and its heads.

    Attributes:
        model_class: the `SelfSupervisedModel` subclass; its constructor's defaults are
            the method's default heads and hyperparameters.
        loss: the loss function the model minimises (from `ssl_keras.losses`).
        heads: the names of the model's head arguments (also its `serialized_layers`).
        description: one line for command-line help and tables.
    """

    model_class: type
    loss: Callable
    heads: tuple[str, ...]
    description: str


def _method(model_class, loss, description) -> Method:
    return Method(model_class, loss, tuple(model_class.serialized_layers), description)


# Adding a method: one line here (see CONTRIBUTING.md).
METHODS: dict[str, Method] = {
    "simclr": _method(SimCLR, nt_xent, "SimCLR: NT-Xent over the batch's 2N views"),
    "moco": _method(MoCo, info_nce, "MoCo v2: InfoNCE against a queue, momentum keys"),
    "byol": _method(BYOL, negative_cosine_similarity, "BYOL: predict a momentum target"),
    "simsiam": _method(SimSiam, negative_cosine_similarity, "SimSiam: predictor, stop-grad"),
    "barlow_twins": _method(BarlowTwins, barlow_twins_loss, "Barlow Twins: C -> identity"),
    "vicreg": _method(VICReg, vicreg_loss, "VICReg: variance, invariance, covariance"),
    "dino": _method(DINO, dino_loss, "DINO: match a centered, sharpened momentum teacher"),
}


def build_method(
    method: str,
    encoder: keras.Model,
    augmentation: keras.layers.Layer | None = None,
    **kwargs,
) -> SelfSupervisedModel:
    """The model of `method` around `encoder`, with the method's default heads.

    Args:
        method: a key of `METHODS`: `"simclr"`, `"moco"`, `"byol"`, `"simsiam"`,
            `"barlow_twins"`, `"vicreg"` or `"dino"`.
        encoder: a Keras model mapping images to `(batch, dim)` features.
        augmentation: a layer mapping images to a pair of views; `None`: the model's
            default (`SimCLRAugmentation(preset="cifar")`).
        **kwargs: the model class's other arguments (heads, hyperparameters, `name`...);
            hence the first argument is `method`, not `name`.

    Returns:
        An unbuilt model; `model.compile(optimizer)` then `model.fit(images)`.

    Raises:
        ValueError: if `method` is not a known method.

    Example:
    >>> from ssl_keras.models import build_method, small_cnn_encoder
    >>> model = build_method("byol", small_cnn_encoder(), total_steps=1000)
    >>> type(model).__name__
    'BYOL'
    """
    if method not in METHODS:
        names = ", ".join(repr(key) for key in METHODS)
        raise ValueError(f"`method` should be one of {names}. Received: method={method!r}")
    return METHODS[method].model_class(encoder, augmentation=augmentation, **kwargs)
