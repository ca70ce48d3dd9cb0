"""LARS: layer-wise adaptive rate scaling, SimCLR's optimizer for large batches."""

import re

import keras
from keras import ops

from ssl_keras.validation import check_positive, check_probability

# SimCLR excludes batch-norm and bias variables from weight decay and from the trust
# ratio ("batch_normalization", "bias"); Keras names a BatchNormalization's (and a
# LayerNormalization's) variables `gamma` and `beta`, whatever the layer is called.
DEFAULT_EXCLUDED = ("batch_normalization", "bias", r"(^|/)gamma$", r"(^|/)beta$")


@keras.saving.register_keras_serializable(package="ssl_keras")
class LARS(keras.optimizers.Optimizer):
    """Momentum SGD with a layer-wise trust ratio (LARS), as SimCLR trains with it.

    For each variable `w` with gradient `g` (SimCLR's `lars_optimizer.py`,
    `classic_momentum=True`):

    ```python
    if use_weight_decay(w):        # not excluded by `exclude_from_weight_decay`
        g = g + weight_decay_rate * w
    trust_ratio = 1
    if use_layer_adaptation(w):    # not excluded by `exclude_from_layer_adaptation`
        trust_ratio = eta * ||w|| / ||g||   # 1 if ||w|| == 0 or ||g|| == 0
    scaled_lr = learning_rate * trust_ratio
    velocity = momentum * velocity + scaled_lr * g
    update = momentum * velocity + scaled_lr * g if nesterov else velocity
    w = w - update
    ```

    Norms are Frobenius norms of the whole variable (one trust ratio per kernel, per
    bias, ...). The learning rate enters the velocity (as in SimCLR and Keras's SGD,
    unlike PyTorch's SGD), so a learning-rate schedule changes future steps only.

    Variables are matched by regular expression (`re.search`) against their
    `variable.path` (e.g. `"encoder/dense/kernel"`). The defaults exclude batch-norm and
    bias variables from both weight decay and the trust ratio, as SimCLR does
    (`exclude_from_weight_decay=["batch_normalization", "bias"]`, and the trust ratio's
    exclusions default to the same list): `"batch_normalization"`, `"bias"`, and the
    `gamma`/`beta` of Keras's normalization layers whatever their name (so layer-norm
    variables are excluded too, as solo-learn's `exclude_bias_n_norm` does).

    Departures from SimCLR's optimizer: the non-default `classic_momentum=False`
    variant (trust ratio computed on the momentum update) is not provided; the
    weight decay is named `weight_decay_rate` (as in TF Model Garden's LARS) because
    Keras's own `weight_decay` argument is the decoupled decay of AdamW, applied by
    the base class outside the trust ratio; it is not accepted here. The attributes
    `exclude_from_weight_decay` and `exclude_from_layer_adaptation` hold the patterns,
    replacing the base class's `exclude_from_weight_decay()` method (which configures
    that decoupled decay).

    Args:
        learning_rate: float, a `keras.optimizers.schedules.LearningRateSchedule` or a
            callable. SimCLR uses `0.3 * batch_size / 256` with warm-up and cosine
            decay. Defaults to 0.1.
        momentum: float in [0, 1]. Defaults to 0.9.
        nesterov: whether to use Nesterov momentum. Defaults to `False`.
        weight_decay_rate: L2 coefficient added to the gradient before the trust ratio,
            >= 0 (SimCLR: 1e-6). Defaults to 0.
        eta: trust coefficient, > 0 (SimCLR's `EETA_DEFAULT`). Defaults to 0.001.
        exclude_from_weight_decay: list of regular expressions; variables whose path
            matches one are not decayed. `None` means the default list above; `[]`
            decays every variable.
        exclude_from_layer_adaptation: list of regular expressions; matching variables
            use the plain learning rate (trust ratio 1). `None` means the same list as
            `exclude_from_weight_decay`, as in SimCLR.
        name: optimizer name.
        **kwargs: the base optimizer's keyword arguments (`clipnorm`, `clipvalue`,
            `global_clipnorm`, `use_ema`, `ema_momentum`, `ema_overwrite_frequency`,
            `loss_scale_factor`, `gradient_accumulation_steps`).

    Raises:
        ValueError: if `momentum` is not in [0, 1], `weight_decay_rate` is negative,
            `eta` is not > 0, a pattern is not a valid regular expression, or Keras's
            decoupled `weight_decay` is passed.

    Example:
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile(optimizer=LARS(learning_rate=1.0, weight_decay_rate=1e-6), loss="mse")
    >>> history = model.fit(np.ones((8, 4)), np.zeros((8, 2)), verbose=0)

    Reference:
        - [You et al., 2017, Large Batch Training of Convolutional
          Networks](https://arxiv.org/abs/1708.03888), Algorithm 1: "local LR
          lambda^l = eta * ||w^l|| / (||grad L(w^l)|| + beta ||w^l||)"; SimCLR uses the
          norm of the decayed gradient `||g + beta w||` instead of the sum of norms.
        - [Chen et al., 2020, SimCLR](https://arxiv.org/abs/2002.05709), Sec. 3: "we use
          the LARS optimizer (You et al., 2017) to stabilize training" for batch sizes up
          to 8192; google-research/simclr `lars_optimizer.py`.
    """

    def __init__(
        self,
        learning_rate=0.1,
        momentum: float = 0.9,
        nesterov: bool = False,
        weight_decay_rate: float = 0.0,
        eta: float = 0.001,
        exclude_from_weight_decay: list[str] | None = None,
        exclude_from_layer_adaptation: list[str] | None = None,
        name: str | None = None,
        **kwargs,
    ):
        if kwargs.pop("weight_decay", None) is not None:
            raise ValueError(
                "LARS adds its weight decay to the gradient before the trust ratio: pass "
                "`weight_decay_rate`, not Keras's decoupled `weight_decay`."
            )
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = check_probability(momentum, "momentum")
        self.nesterov = bool(nesterov)
        self.weight_decay_rate = float(
            check_positive(weight_decay_rate, "weight_decay_rate", allow_zero=True)
        )
        self.eta = float(check_positive(eta, "eta"))
        if exclude_from_weight_decay is None:
            exclude_from_weight_decay = DEFAULT_EXCLUDED
        self.exclude_from_weight_decay = _check_patterns(
            exclude_from_weight_decay, "exclude_from_weight_decay"
        )
        if exclude_from_layer_adaptation is None:
            exclude_from_layer_adaptation = self.exclude_from_weight_decay
        self.exclude_from_layer_adaptation = _check_patterns(
            exclude_from_layer_adaptation, "exclude_from_layer_adaptation"
        )

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        # Decided once per variable from its Keras path: inside the update, the
        # tensorflow backend passes the underlying tf.Variable, which has no path.
        self._decayed = [self.use_weight_decay(variable) for variable in variables]
        self._adapted = [self.use_layer_adaptation(variable) for variable in variables]
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def use_weight_decay(self, variable) -> bool:
        """Whether `variable` is decayed (a nonzero rate and no exclusion matches)."""
        return self.weight_decay_rate != 0 and not _matches(
            variable, self.exclude_from_weight_decay
        )

    def use_layer_adaptation(self, variable) -> bool:
        """Whether `variable`'s learning rate is scaled by the trust ratio."""
        return not _matches(variable, self.exclude_from_layer_adaptation)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        learning_rate = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        if self._decayed[index]:
            gradient = gradient + ops.cast(self.weight_decay_rate, dtype) * variable
        if self._adapted[index]:
            weight_norm = ops.sqrt(ops.sum(ops.square(variable)))
            gradient_norm = ops.sqrt(ops.sum(ops.square(gradient)))
            both_positive = ops.logical_and(weight_norm > 0, gradient_norm > 0)
            safe_gradient_norm = ops.where(gradient_norm > 0, gradient_norm, 1.0)
            trust_ratio = ops.where(
                both_positive, self.eta * weight_norm / safe_gradient_norm, 1.0
            )
            learning_rate = learning_rate * ops.cast(trust_ratio, dtype)
        scaled_gradient = learning_rate * gradient
        if self.momentum == 0:
            self.assign_sub(variable, scaled_gradient)
            return
        momentum = ops.cast(self.momentum, dtype)
        velocity = self.momentums[index]
        self.assign(velocity, momentum * velocity + scaled_gradient)
        if self.nesterov:
            self.assign_sub(variable, momentum * velocity + scaled_gradient)
        else:
            self.assign_sub(variable, velocity)

    def get_config(self):
        config = super().get_config()
        config.pop("weight_decay", None)
        config.update(
            {
                "momentum": self.momentum,
                "nesterov": self.nesterov,
                "weight_decay_rate": self.weight_decay_rate,
                "eta": self.eta,
                "exclude_from_weight_decay": list(self.exclude_from_weight_decay),
                "exclude_from_layer_adaptation": list(self.exclude_from_layer_adaptation),
            }
        )
        return config


def _check_patterns(patterns, name: str) -> tuple:
    if isinstance(patterns, str) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(
            f"`{name}` should be a list of regular expressions (strings). "
            f"Received: {name}={patterns!r}"
        )
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(
                f"`{name}` holds an invalid regular expression ({error}). "
                f"Received: {name}={patterns!r}"
            ) from None
    return tuple(patterns)


def _matches(variable, patterns) -> bool:
    path = variable.path
    return any(re.search(pattern, path) is not None for pattern in patterns)
