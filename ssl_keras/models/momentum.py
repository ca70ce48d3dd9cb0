"""Momentum (EMA) helpers of teacher-student methods: MoCo's key encoder, BYOL's target,
DINO's teacher; and the mixins that give a model its target network (`MomentumTarget`)
and BYOL's cosine momentum schedule (`CosineMomentumTarget`).

All of them are plain `keras.ops` and variable assignments, so they run inside a
jit-compiled training step on every backend (a model calls them from `call`).
"""

import math

import keras
from keras import ops

from ssl_keras.models.pretraining_model import build_chain
from ssl_keras.validation import check_positive_int, check_probability


def check_momentum(momentum, name: str = "momentum") -> float:
    """Returns `momentum` as a float, or raises `ValueError` if it is not in [0, 1]."""
    return float(check_probability(momentum, name))


def clone_layer(layer):
    """A new layer with `layer`'s architecture and fresh weights (`clone_model` for a model,
    `from_config` otherwise)."""
    if isinstance(layer, keras.Model):
        return keras.models.clone_model(layer)
    return layer.__class__.from_config(layer.get_config())


def initialize_target(target_weights, online_weights) -> None:
    """Copies the online weights into the target and freezes it (no gradient updates).

    MoCo: "param_k.data.copy_(param_q.data)  # initialize" and
    "param_k.requires_grad = False  # not update by gradient".

    Raises:
        ValueError: if the two lists of weights do not have the same shapes.
    """
    target_weights, online_weights = list(target_weights), list(online_weights)
    if len(target_weights) != len(online_weights) or any(
        tuple(t.shape) != tuple(o.shape) for t, o in zip(target_weights, online_weights)
    ):
        raise ValueError(
            "The momentum (target) network's weights do not match the online network's: "
            "the encoder and heads must be clonable (functional, Sequential, or with "
            "get_config)."
        )
    for target, online in zip(target_weights, online_weights):
        # A copy, not the same buffer: JAX donates each variable's buffer to the step.
        target.assign(ops.copy(ops.convert_to_tensor(online)))
        target.trainable = False


def momentum_update(target_weights, online_weights, momentum) -> None:
    """`target <- momentum * target + (1 - momentum) * online`, pair by pair, in place.

    The exponential moving average of MoCo (`theta_k <- m theta_k + (1 - m) theta_q`) and
    BYOL (`xi <- tau xi + (1 - tau) theta`). No gradient flows through it. `momentum` may
    be a float or a scalar tensor (e.g. `cosine_momentum(step, ...)` inside a jit-compiled
    step). Pass only the weights to average (`paired_weights` chooses them): BYOL and
    MoCo average the trainable weights; MoCo with `key_encoder_training=False` the
    BatchNorm moving statistics too.

    Args:
        target_weights: the target's variables, updated in place.
        online_weights: the online network's variables (or tensors), same shapes.
        momentum: the momentum in [0, 1]: 1 keeps the target, 0 copies the online weights.
    """
    momentum = ops.cast(ops.convert_to_tensor(momentum), "float32")
    for target, online in zip(target_weights, online_weights):
        online = ops.cast(ops.stop_gradient(ops.convert_to_tensor(online)), "float32")
        value = momentum * ops.cast(ops.convert_to_tensor(target), "float32")
        value = value + (1.0 - momentum) * online
        target.assign(ops.cast(value, target.dtype))


def cosine_momentum(step, total_steps: int, base_momentum: float):
    """BYOL's momentum schedule: `tau_k = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2`.

    BYOL: "the exponential moving average parameter tau starts from tau_base = 0.996 and
    is increased to one during training", with k the current training step and K the
    maximum number of training steps. Steps past K keep tau = 1.

    Args:
        step: the step k >= 0, an int or an integer scalar tensor.
        total_steps: K > 0.
        base_momentum: tau_base in [0, 1].

    Returns:
        float32 scalar tensor in `[base_momentum, 1]`.

    Example:
    >>> [round(float(cosine_momentum(k, 100, 0.996)), 6) for k in (0, 50, 100)]
    [0.996, 0.998, 1.0]

    Reference:
        Grill et al. Bootstrap Your Own Latent. NeurIPS 2020, Section 3.2 and Appendix J.
    """
    progress = ops.minimum(ops.cast(step, "float32") / ops.cast(total_steps, "float32"), 1.0)
    cosine = (ops.cos(math.pi * progress) + 1.0) / 2.0
    return 1.0 - (1.0 - base_momentum) * cosine


def build_target_network(model, online_layers, target_layers, image_shape) -> None:
    """Builds the target network and copies the online weights into it (`initialize_target`).

    `target_layers` is `(target_encoder, *target_heads)`, clones of `online_layers`
    (already built): the encoder is built on `image_shape`, the heads chained after its
    features (`model.encoder_output_shape`). MoCo's key encoder and BYOL's target network.
    """
    target_encoder, *target_heads = target_layers
    if not target_encoder.built:
        target_encoder.build(image_shape)
    build_chain(target_heads, model.encoder_output_shape(image_shape, target_encoder))
    initialize_target(
        [w for layer in target_layers for w in layer.weights],
        [w for layer in online_layers for w in layer.weights],
    )


def paired_weights(online_layers, target_layers, include_statistics: bool = False):
    """`(target_weights, online_weights)`: the weights the momentum average covers.

    The layers' `weights` are paired in order (a clone lists its weights in the same
    order). The pairs kept are those whose online weight is trainable and, with
    `include_statistics`, also the floating-point non-trainable ones (BatchNorm moving
    mean and variance); left out otherwise.
    """
    online = [w for layer in online_layers for w in layer.weights]
    target = [w for layer in target_layers for w in layer.weights]
    pairs = [
        (t, o)
        for t, o in zip(target, online)
        if o.trainable or (include_statistics and keras.backend.is_float_dtype(o.dtype))
    ]
    return [t for t, _ in pairs], [o for _, o in pairs]


class MomentumTarget:
    """Mixin of a `SelfSupervisedModel` with a momentum (EMA) target network.

    The target network is a clone of the online encoder and heads (MoCo's key encoder,
    BYOL's target network, DINO's teacher), built with the online weights and then moved
    towards them by `momentum_average`. A subclass names its layers in `momentum_pairs`:
    `(online attribute, target attribute)` pairs, the encoder first, then the heads in
    the order they are chained. It calls `init_target_layers()` in `__init__` (once the
    online layers are set), `build_target(image_shape)` in `build_heads`, and
    `momentum_average(momentum)` from `forward_views` when `training`.
    """

    momentum_pairs: tuple[tuple[str, str], ...] = ()

    def online_and_target_layers(self) -> tuple[tuple, tuple]:
        """`(online_layers, target_layers)`, in the order of `momentum_pairs`."""
        online = tuple(getattr(self, name) for name, _ in self.momentum_pairs)
        target = tuple(getattr(self, name) for _, name in self.momentum_pairs)
        return online, target

    def init_target_layers(self) -> None:
        """Sets each target attribute to a clone of its online layer (`clone_layer`)."""
        for online, target in self.momentum_pairs:
            setattr(self, target, clone_layer(getattr(self, online)))

    def build_target(self, image_shape) -> None:
        """Builds the target network and copies the online weights (`build_target_network`)."""
        build_target_network(self, *self.online_and_target_layers(), image_shape)

    def momentum_average(self, momentum, include_statistics: bool = False) -> None:
        """`target <- momentum * target + (1 - momentum) * online` (`momentum_update`) on
        the trainable weights and, with `include_statistics`, the BatchNorm moving
        statistics (`paired_weights`)."""
        target, online = paired_weights(
            *self.online_and_target_layers(), include_statistics=include_statistics
        )
        momentum_update(target, online, momentum)

    def target_views(self, views, name: str, training=None) -> dict:
        """The target network's outputs on `views`, without gradient.

        Each view goes through the target encoder and heads, one after the other.

        Returns:
            `{f"{name}_a": ..., f"{name}_b": ...}`, the last head's outputs.
        """
        _, (encoder, *heads) = self.online_and_target_layers()
        outputs = {}
        for suffix, view in zip(("a", "b"), views):
            x = encoder(view, training=training)
            for head in heads:
                x = head(x, training=training)
            outputs[f"{name}_{suffix}"] = ops.stop_gradient(x)
        return outputs


class CosineMomentumTarget(MomentumTarget):
    """A `MomentumTarget` whose momentum follows BYOL's cosine schedule over `total_steps`.

    `tau_k = 1 - (1 - base_momentum) (cos(pi k / K) + 1) / 2` at step k of K =
    `total_steps` (`cosine_momentum`), or the constant `base_momentum` when `total_steps`
    is None: BYOL's target network and DINO's teacher. The step counter k is the
    non-trainable int32 variable `momentum_step` (saved with the model). A subclass calls
    `init_momentum_schedule(base_momentum, total_steps)` in `__init__` (it also clones
    the target layers), `build_target(image_shape)` in `build_heads` (it also makes
    `momentum_step`) and `update_target()` from `forward_views` when `training`.
    """

    def init_momentum_schedule(self, base_momentum: float, total_steps: int | None) -> None:
        """Checks and keeps `base_momentum` and `total_steps`, clones the target layers.

        Raises:
            ValueError: if `base_momentum` is not in [0, 1] or `total_steps` is not a
                positive integer or None.
        """
        self.base_momentum = check_momentum(base_momentum, "base_momentum")
        self.total_steps = check_positive_int(total_steps, "total_steps", allow_none=True)
        self.init_target_layers()
        self.momentum_step = None

    def build_target(self, image_shape) -> None:
        super().build_target(image_shape)
        self.momentum_step = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, name="momentum_step"
        )

    def current_momentum(self):
        """The momentum tau_k at the current step k (`momentum_step`), a float32 scalar."""
        if self.total_steps is None:
            return ops.convert_to_tensor(self.base_momentum, dtype="float32")
        return cosine_momentum(self.momentum_step, self.total_steps, self.base_momentum)

    def update_target(self) -> None:
        """`target <- tau_k target + (1 - tau_k) online` (trainable weights), `k <- k + 1`."""
        self.momentum_average(self.current_momentum())
        self.momentum_step.assign(ops.convert_to_tensor(self.momentum_step) + 1)
