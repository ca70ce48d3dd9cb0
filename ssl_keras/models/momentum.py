"""Momentum (EMA) helpers of teacher-student methods: MoCo's key encoder, BYOL's target.

All of them are plain `keras.ops` and variable assignments, so they run inside a
jit-compiled training step on every backend (a model calls them from `call`).
"""

import math

import keras
from keras import ops

from ssl_keras.models.pretraining_model import build_chain
from ssl_keras.validation import check_probability


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


def paired_trainable_weights(online_layers, target_layers):
    """`(target_weights, online_weights)` of the online weights that are trainable.

    `paired_weights` without the non-trainable weights (BatchNorm moving statistics).
    """
    return paired_weights(online_layers, target_layers, include_statistics=False)
