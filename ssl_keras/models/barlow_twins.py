"""Barlow Twins as a `keras.Model`: the two views' cross-correlation pushed to identity."""

import keras

from ssl_keras.layers.projection_head import ProjectionHead
from ssl_keras.losses.barlow_twins import barlow_twins_loss
from ssl_keras.models.self_supervised_model import SelfSupervisedModel, float32_outputs
from ssl_keras.validation import check_positive


@keras.saving.register_keras_serializable(package="ssl_keras")
class BarlowTwins(SelfSupervisedModel):
    """Barlow Twins: redundancy reduction between two views (Zbontar et al., 2021).

    "The objective function measures the cross-correlation matrix between the embeddings
    of two identical networks fed with distorted versions of a batch of samples, and
    tries to make this matrix close to the identity" (Zbontar et al., 2021). One step, as
    the paper's Algorithm 1: two views, `z_a = projector(encoder(view_a))` and likewise
    `z_b` (the same network, each view separately), then
    `ssl_keras.losses.barlow_twins_loss(z_a, z_b, lambda_param)` (batch-standardised
    cross-correlation C; `sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2`; see its
    docstring for the normalisation, which is the authors' code's and lightly's).
    Train it with `model.compile(optimizer=...)` and `model.fit(images)` on any backend;
    views, metrics (`ssl_loss`, `embedding_std` of z), probe and saving come from
    `SelfSupervisedModel`.

    Departure from the paper: the default projector is narrower (the paper's is 3 layers
    of 8192): `ProjectionHead(hidden_dims=(1024, 1024), output_dim=1024)`
    (Linear-BN-ReLU twice, then Linear, as the paper's). The loss sums over dimensions,
    so its value grows with the projector's output dimension.

    Args:
        encoder: a Keras model mapping images to `(batch, dim)` features; trained in
            place and exposed as `model.encoder`.
        projector: the projector (the paper's "projector network"). See above.
        augmentation: a layer mapping images to a pair of views. Defaults to
            `SimCLRAugmentation(preset="cifar")`.
        lambda_param: weight lambda >= 0 of the redundancy-reduction term. Defaults to
            0.005 (lightly's; the paper uses 0.0051).
        num_classes: classes of the online linear probe; `None` (default): no probe.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments and returns: those of `SelfSupervisedModel` (the batch needs N >= 2:
    the loss uses batch statistics).

    Raises:
        ValueError: if `lambda_param < 0`, `num_classes` is not a positive integer or
            None, or the inputs are neither images nor a pair of them.

    Example (training is `compile` and `fit`, as for every method: see `SimCLR`):
    >>> import numpy as np
    >>> from ssl_keras.models import BarlowTwins, small_cnn_encoder
    >>> model = BarlowTwins(small_cnn_encoder((16, 16, 3), width=8))
    >>> outputs = model(np.random.randint(0, 256, (4, 16, 16, 3)).astype("uint8"))
    >>> tuple(outputs["z_a"].shape)  # the default projector's 1024 dimensions
    (4, 1024)

    Reference:
        Zbontar, Jing, Misra, LeCun, Deny. Barlow Twins: Self-Supervised Learning via
        Redundancy Reduction. ICML 2021, Algorithm 1.
    """

    serialized_layers = ("projector",)
    config_arguments = ("lambda_param",)

    def __init__(
        self,
        encoder: keras.Model,
        projector: keras.layers.Layer | None = None,
        augmentation: keras.layers.Layer | None = None,
        lambda_param: float = 0.005,
        num_classes: int | None = None,
        **kwargs,
    ):
        check_positive(lambda_param, "lambda_param", allow_zero=True)
        super().__init__(encoder, augmentation, num_classes, **kwargs)
        if projector is None:
            projector = ProjectionHead(hidden_dims=(1024, 1024), output_dim=1024, name="projector")
        self.projector = projector
        self.lambda_param = float(lambda_param)

    def forward_views(self, view_a, view_b, training=None):
        return self.encode_views((view_a, view_b), {"z": self.projector}, training)

    def compute_ssl_loss(self, outputs, training=False):
        """`barlow_twins_loss(z_a, z_b, lambda_param)`."""
        del training
        return barlow_twins_loss(*float32_outputs(outputs, ("z_a", "z_b")), self.lambda_param)
