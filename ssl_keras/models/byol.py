"""BYOL as a `keras.Model`: an online network predicts a momentum target network."""

import keras
from keras import ops

from ssl_keras.layers.projection_head import ProjectionHead
from ssl_keras.losses.negative_cosine_similarity import negative_cosine_similarity
from ssl_keras.models.momentum import CosineMomentumTarget
from ssl_keras.models.self_supervised_model import (
    SelfSupervisedModel,
    build_chain,
    float32_outputs,
)


@keras.saving.register_keras_serializable(package="ssl_keras")
class BYOL(CosineMomentumTarget, SelfSupervisedModel):
    """BYOL: Bootstrap Your Own Latent (Grill et al., 2020).

    "BYOL relies on two neural networks, referred to as online and target networks, that
    interact and learn from each other. From an augmented view of an image, we train the
    online network to predict the target network representation of the same image under
    a different augmented view. At the same time, we update the target network with a
    slow-moving average of the online network."

    Online network: `encoder` -> `projector` -> `predictor` (weights theta, trained).
    Target network: copies of `encoder` -> `projector` (weights xi, no gradient), made at
    build time with the online weights. One step on a batch of N images:
    1. two views `v = t(x)`, `v' = t'(x)`; online predictions `q(z_theta(v))`,
       `q(z_theta(v'))`; target projections `z'_xi(v')`, `z'_xi(v)` (stop-gradient);
    2. the symmetric loss of the paper's Eq. (2): for each direction the mean over the
       batch of `||q / ||q|| - z' / ||z'|| ||^2 = 2 - 2 cos(q, z')`, summed over the two
       directions (`L + L~`, a value in [0, 8]), written with
       `ssl_keras.losses.negative_cosine_similarity`;
    3. the optimizer updates theta;
    4. `xi <- tau xi + (1 - tau) theta`, with BYOL's cosine schedule
       `tau_k = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2` over the K = `total_steps`
       training steps (`ssl_keras.models.momentum.cosine_momentum`), or a constant
       `tau = base_momentum` when `total_steps` is None.
    Train it with `model.compile(optimizer=...)` and `model.fit(images)` on any backend.

    Design notes and departures from the paper:
    - Step 4 of step k is applied at the start of step k + 1, before the targets are
      computed (as MoCo, and lightly's BYOL example, do it): the targets every step sees
      are the paper's, and the update stays inside the jit-compiled training step on
      every backend. The update after the very last step is therefore not applied; it
      would only change the target network, which is discarded after training. The step
      counter k (`model.momentum_step`, saved with the model) counts the training steps
      done; at k = 0 the target equals the online network, so that update is a no-op.
    - Only trainable weights are averaged: the target's BatchNorm moving statistics come
      from its own forward passes (it runs in training mode, on batch statistics).
    - The targets are made in `fit` only: `evaluate` and `predict` leave them as they are.
    - Default heads are narrower than the paper's (4096 -> 256):
      `ProjectionHead(hidden_dims=(1024,), output_dim=256)` for both the projector and
      the predictor (Linear-BN-ReLU-Linear, as the paper's MLPs). Default
      `base_momentum` is the paper's 0.996.
    - Each view goes through the networks separately (BatchNorm statistics per view).

    Args:
        encoder: the online encoder, a Keras model mapping images to `(batch, dim)`
            features; trained in place and exposed as `model.encoder`.
        projector: the online projector; the target projector is its clone.
        predictor: the online predictor, mapping projections to the same dimension.
        augmentation: a layer mapping images to a pair of views. Defaults to
            `SimCLRAugmentation(preset="cifar")`.
        base_momentum: tau_base in [0, 1]. Defaults to 0.996.
        total_steps: K, the number of training steps of the cosine schedule (e.g.
            `epochs * steps_per_epoch`); `None` (default) keeps tau = `base_momentum`.
        num_classes: classes of the online linear probe; `None` (default): no probe.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Call arguments:
        inputs: images `(batch, height, width, channels)` in `[0, 255]`, or a pair
            `(view_a, view_b)`.
        training: Python boolean. When true the momentum update is applied first.

    Returns:
        A dict of `(batch, ...)` tensors: `"h_a"`, `"h_b"` (online features), `"z_a"`,
        `"z_b"` (online projections), `"p_a"`, `"p_b"` (predictions), `"target_a"`,
        `"target_b"` (target projections, no gradient) and, with a probe,
        `"probe_logits_a"`, `"probe_logits_b"`.

    Raises:
        ValueError: if `base_momentum` is not in [0, 1], `total_steps` is not a positive
            integer or None, `num_classes` is not a positive integer or None, or the
            inputs are neither images nor a pair of them.

    Example (training is `compile` and `fit`, as for every method: see `SimCLR`; give
    `total_steps = epochs * steps_per_epoch` for the cosine schedule):
    >>> from ssl_keras.models import BYOL, small_cnn_encoder
    >>> model = BYOL(small_cnn_encoder((16, 16, 3), width=8), total_steps=1000)
    >>> model.build((None, 16, 16, 3))  # makes the target network and the step counter
    >>> round(float(model.current_momentum()), 6)  # tau_0 = base_momentum
    0.996

    Reference:
        Grill et al. Bootstrap Your Own Latent: A New Approach to Self-Supervised
        Learning. NeurIPS 2020, Section 3 and Eq. (2).
    """

    serialized_layers = ("projector", "predictor")
    config_arguments = ("base_momentum", "total_steps")
    momentum_pairs = (("encoder", "target_encoder"), ("projector", "target_projector"))

    def __init__(
        self,
        encoder: keras.Model,
        projector: keras.layers.Layer | None = None,
        predictor: keras.layers.Layer | None = None,
        augmentation: keras.layers.Layer | None = None,
        base_momentum: float = 0.996,
        total_steps: int | None = None,
        num_classes: int | None = None,
        **kwargs,
    ):
        super().__init__(encoder, augmentation, num_classes, **kwargs)
        if projector is None:
            projector = ProjectionHead(hidden_dims=(1024,), output_dim=256, name="projector")
        if predictor is None:
            predictor = ProjectionHead(hidden_dims=(1024,), output_dim=256, name="predictor")
        self.projector = projector
        self.predictor = predictor
        self.init_momentum_schedule(base_momentum, total_steps)

    def build_heads(self, image_shape, feature_shape):
        build_chain([self.projector, self.predictor], feature_shape)
        self.build_target(image_shape)

    def forward_views(self, view_a, view_b, training=None):
        if training:
            self.update_target()
        views = (view_a, view_b)
        outputs = self.encode_views(views, {"z": self.projector, "p": self.predictor}, training)
        outputs.update(self.target_views(views, "target", training))
        return outputs

    def compute_ssl_loss(self, outputs, training=False):
        """`(2 - 2 cos(p_a, target_b)) + (2 - 2 cos(p_b, target_a))`, batch means."""
        del training
        p_a, p_b, target_a, target_b = float32_outputs(
            outputs, ("p_a", "p_b", "target_a", "target_b")
        )
        target_a, target_b = ops.stop_gradient(target_a), ops.stop_gradient(target_b)
        return (2.0 + 2.0 * negative_cosine_similarity(p_a, target_b)) + (
            2.0 + 2.0 * negative_cosine_similarity(p_b, target_a)
        )
