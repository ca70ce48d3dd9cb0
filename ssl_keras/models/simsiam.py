"""SimSiam as a `keras.Model`: a predictor and a stop-gradient, no negatives, no momentum."""

import keras
from keras import ops

from ssl_keras.layers.projection_head import ProjectionHead
from ssl_keras.losses.negative_cosine_similarity import negative_cosine_similarity
from ssl_keras.models.self_supervised_model import SelfSupervisedModel, float32_outputs


@keras.saving.register_keras_serializable(package="ssl_keras")
class SimSiam(SelfSupervisedModel):
    """SimSiam: Siamese networks with a predictor and a stop-gradient (Chen & He, 2021).

    "Our hypothesis is that SimSiam is an implementation of an Expectation-Maximization
    like algorithm ... the stop-gradient operation is critical" (Chen & He, 2021). One
    step on a batch of N images, as the paper's Algorithm 1:

        x1, x2 = aug(x), aug(x)             # two views
        z1, z2 = f(x1), f(x2)               # encoder + projector
        p1, p2 = h(z1), h(z2)               # predictor
        L = D(p1, stopgrad(z2)) / 2 + D(p2, stopgrad(z1)) / 2

    with `D = ssl_keras.losses.negative_cosine_similarity` (a value in [-1, 1]). Train it
    with `model.compile(optimizer=...)` and `model.fit(images)` (or `fit(images, labels)`
    with `num_classes` for the online probe), on any backend. Everything common to the
    self-supervised models (views, metrics `ssl_loss` and `embedding_std` of `z`, the
    probe, saving) comes from `SelfSupervisedModel`.

    Departures from the paper: the default heads are narrower (the paper's CIFAR
    projector is 3 layers of 2048 with BatchNorm on its output, its predictor
    2048 -> 512 -> 2048); here the projector is `ProjectionHead(hidden_dims=(512, 512),
    output_dim=512)` (no BatchNorm on the output) and the predictor
    `ProjectionHead(hidden_dims=(128,), output_dim=512)` (the paper's 4x bottleneck). Pass
    your own heads for the paper's. Each view goes through the encoder separately, as in
    Algorithm 1 (BatchNorm statistics per view).

    Args:
        encoder: the backbone, a Keras model mapping images to `(batch, dim)` features;
            trained in place and exposed as `model.encoder`.
        projector: the projection MLP (`f` = encoder + projector). See above for the
            default.
        predictor: the prediction MLP `h`, mapping projections to the same dimension.
        augmentation: a layer mapping images to a pair of views. Defaults to
            `SimCLRAugmentation(preset="cifar")` (SimSiam uses SimCLR's augmentation).
        num_classes: classes of the online linear probe; `None` (default): no probe.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments:
        inputs: images `(batch, height, width, channels)` in `[0, 255]`, or a pair
            `(view_a, view_b)`.
        training: Python boolean (BatchNorm mode).

    Returns:
        A dict of `(batch, ...)` tensors: `"h_a"`, `"h_b"` (features), `"z_a"`, `"z_b"`
        (projections), `"p_a"`, `"p_b"` (predictions) and, with a probe,
        `"probe_logits_a"`, `"probe_logits_b"`.

    Raises:
        ValueError: if `num_classes` is not a positive integer or None, or the inputs are
            neither images nor a pair of them.

    Example:
    >>> import numpy as np
    >>> from ssl_keras.models import SimSiam, small_cnn_encoder
    >>> images = np.random.randint(0, 256, (64, 32, 32, 3)).astype("uint8")
    >>> model = SimSiam(small_cnn_encoder())
    >>> model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9))
    >>> history = model.fit(images, batch_size=32, epochs=1)  # doctest: +SKIP

    Reference:
        Chen, He. Exploring Simple Siamese Representation Learning. CVPR 2021,
        Algorithm 1.
    """

    serialized_layers = ("projector", "predictor")

    def __init__(
        self,
        encoder: keras.Model,
        projector: keras.layers.Layer | None = None,
        predictor: keras.layers.Layer | None = None,
        augmentation: keras.layers.Layer | None = None,
        num_classes: int | None = None,
        **kwargs,
    ):
        super().__init__(encoder, augmentation, num_classes, **kwargs)
        if projector is None:
            projector = ProjectionHead(hidden_dims=(512, 512), output_dim=512, name="projector")
        if predictor is None:
            predictor = ProjectionHead(hidden_dims=(128,), output_dim=512, name="predictor")
        self.projector = projector
        self.predictor = predictor

    def forward_views(self, view_a, view_b, training=None):
        heads = {"z": self.projector, "p": self.predictor}
        return self.encode_views((view_a, view_b), heads, training)

    def compute_ssl_loss(self, outputs, training=False):
        """`D(p_a, stopgrad(z_b)) / 2 + D(p_b, stopgrad(z_a)) / 2`."""
        del training
        p_a, p_b, z_a, z_b = float32_outputs(outputs, ("p_a", "p_b", "z_a", "z_b"))
        return (
            negative_cosine_similarity(p_a, ops.stop_gradient(z_b)) / 2.0
            + negative_cosine_similarity(p_b, ops.stop_gradient(z_a)) / 2.0
        )
