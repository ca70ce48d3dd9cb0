"""Keras's batch normalization with a hand-written gradient of the training-mode step."""

import keras
from keras import ops


def _batch_norm_training(inputs, mean, variance, gamma, beta, axes, axis, epsilon):
    """`gamma (x - mean) / sqrt(variance + epsilon) + beta`, differentiable in `inputs`
    (through the batch statistics too), `gamma` and `beta`.

    `mean` and `variance` are the batch statistics of `inputs` over `axes`, computed by
    the caller without a gradient: the gradient returned for `inputs` is the full one of
    batch normalization, the statistics' dependence on `inputs` included, so none flows
    back through them.
    """

    @ops.custom_gradient
    def normalize(x, mean, variance, gamma, beta):
        inverse_std = ops.rsqrt(variance + epsilon)
        scale = gamma * inverse_std
        # Keras's normalization op (on torch: one new tensor, then in-place updates).
        outputs = ops.batch_normalization(
            x, ops.reshape(mean, (-1,)), ops.reshape(variance, (-1,)), axis,
            offset=ops.reshape(beta, (-1,)), scale=ops.reshape(gamma, (-1,)), epsilon=epsilon,
        )

        def grad(*args, upstream=None):
            upstream = args[0] if upstream is None else upstream
            count = ops.cast(ops.size(x) // ops.size(mean), x.dtype)
            # With x_hat = (x - mean) / std: d_beta = sum(g), d_gamma = sum(g x_hat) and
            # d_x = gamma / std * (g - mean(g) - x_hat mean(g x_hat)), written as
            # scale * g + a * x + b (a, b per channel) so that x_hat is never built.
            sum_upstream = ops.sum(upstream, axis=axes, keepdims=True)
            sum_upstream_x = ops.sum(upstream * x, axis=axes, keepdims=True)
            gamma_grad = inverse_std * (sum_upstream_x - mean * sum_upstream)
            slope = -scale * inverse_std * gamma_grad / count
            offset = -scale * sum_upstream / count - slope * mean
            inputs_grad = upstream * scale + (x * slope + offset)
            return (
                inputs_grad,
                ops.zeros_like(mean),
                ops.zeros_like(variance),
                ops.reshape(gamma_grad, ops.shape(gamma)),
                ops.reshape(sum_upstream, ops.shape(beta)),
            )

        return outputs, grad

    return normalize(inputs, mean, variance, gamma, beta)


@keras.saving.register_keras_serializable(package="ssl_keras")
class BatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization`, with the training-mode normalization computed
    as one operation whose gradient is written by hand.

    Same layer, same weights, same arguments, same outputs and same gradients (up to
    float rounding) as `keras.layers.BatchNormalization`; only how the training step is
    differentiated changes. Keras's layer normalizes with a chain of elementwise
    `keras.ops` (the batch moments, subtract, multiply, add), which eager backends
    differentiate op by op: on the PyTorch backend that is about twenty passes over the
    activations per layer and step, where PyTorch's own fused batch norm makes about
    five. This layer computes the batch statistics without a gradient, normalizes with
    Keras's `ops.batch_normalization` outside of automatic differentiation, and gives
    the exact batch-norm gradient with `keras.ops.custom_gradient`:

    - `d beta = sum(g)`, `d gamma = sum(g * x_hat)`,
    - `d x = gamma / std * (g - mean(g) - x_hat * mean(g * x_hat))`,

    sums and means over the batch and spatial axes, `x_hat = (x - mean) / std`,
    `std = sqrt(var + epsilon)` with the biased batch variance (Ioffe and Szegedy, 2015,
    algorithm 1 and section 3). Everything else (inference with the moving statistics,
    their momentum update, masks, `renorm`, `synchronized`, mixed precision) is Keras's
    own code path, unchanged.

    Args:
        **kwargs: the arguments of `keras.layers.BatchNormalization` (`axis`,
            `momentum`, `epsilon`, `center`, `scale`, initializers, `name`, ...).

    Input shape:
        Any, the normalized axis given by `axis` (default -1, channels last).

    Output shape:
        Same as the input.

    Example:
    >>> import numpy as np
    >>> x = np.random.rand(8, 4, 4, 16).astype("float32")
    >>> BatchNormalization()(x, training=True).shape  # (8, 4, 4, 16)

    Reference:
        Ioffe and Szegedy, 2015, "Batch Normalization: Accelerating Deep Network
        Training by Reducing Internal Covariate Shift", algorithm 1 (transform) and
        section 3 (its gradient).
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable) or mask is not None or self.renorm or (
            self.synchronized
        ):
            return super().call(inputs, training=training, mask=mask)
        compute_dtype = keras.backend.result_type(inputs.dtype, "float32")
        # Batch norm is computed in float32 (at least), as Keras's layer does.
        inputs = ops.cast(inputs, compute_dtype)
        axes = tuple(self._reduction_axes)
        # Batch statistics without a gradient (the custom gradient accounts for them), the
        # biased variance, with Keras's `moments` (on torch: E[x^2] - E[x]^2, faster than
        # torch.var over the batch and spatial axes of a channels-last tensor).
        mean, variance = ops.moments(ops.stop_gradient(inputs), axes=axes, keepdims=True)
        moving_mean = ops.cast(self.moving_mean, compute_dtype)
        moving_variance = ops.cast(self.moving_variance, compute_dtype)
        self.moving_mean.assign(
            moving_mean * self.momentum + ops.reshape(mean, ops.shape(moving_mean))
            * (1.0 - self.momentum)
        )
        self.moving_variance.assign(
            moving_variance * self.momentum
            + ops.reshape(variance, ops.shape(moving_variance)) * (1.0 - self.momentum)
        )
        shape = ops.shape(mean)
        gamma = (
            ops.reshape(ops.cast(self.gamma, compute_dtype), shape)
            if self.scale
            else ops.ones(shape, dtype=compute_dtype)
        )
        beta = (
            ops.reshape(ops.cast(self.beta, compute_dtype), shape)
            if self.center
            else ops.zeros(shape, dtype=compute_dtype)
        )
        outputs = _batch_norm_training(
            inputs, mean, variance, gamma, beta, axes, self.axis, self.epsilon
        )
        return ops.cast(outputs, self.compute_dtype)
