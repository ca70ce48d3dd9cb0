"""Reference SimCLR training step in plain JAX: pure functions, `jax.jit`, hand-written
Adam (no flax, no optax, no Keras). Used by `training_throughput.py`."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from _plain_models import ENCODERS, projection_head

MOMENTUM = 0.99
EPSILON = 1e-3


class _Layers:
    """The `_plain_models` interface on jax.numpy; creates parameters when `init`."""

    def __init__(self, params, state, compute_dtype, init=False, seed=0):
        self.params, self.state = params, state
        self.new_state = {}
        self.dtype = compute_dtype
        self.init = init
        self.rng = np.random.default_rng(seed)

    def conv(self, name, x, filters, kernel_size, strides):
        if self.init:
            fan_in = kernel_size * kernel_size * x.shape[-1]
            shape = (kernel_size, kernel_size, x.shape[-1], filters)
            self.params[name] = jnp.asarray(
                self.rng.normal(size=shape) * np.sqrt(2.0 / fan_in), jnp.float32
            )
        return jax.lax.conv_general_dilated(
            x.astype(self.dtype), self.params[name].astype(self.dtype), (strides, strides),
            "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )

    def batch_norm(self, name, x, zero_gamma=False):
        channels = x.shape[-1]
        if self.init:
            self.params[name] = {
                "gamma": jnp.zeros(channels) if zero_gamma else jnp.ones(channels),
                "beta": jnp.zeros(channels),
            }
            self.state[name] = {"mean": jnp.zeros(channels), "variance": jnp.ones(channels)}
        axes = tuple(range(x.ndim - 1))
        x32 = x.astype(jnp.float32)  # as Keras: BN computes in float32 under mixed precision
        mean = jnp.mean(x32, axis=axes)
        variance = jnp.var(x32, axis=axes)
        old = self.state[name]
        self.new_state[name] = {
            "mean": MOMENTUM * old["mean"] + (1 - MOMENTUM) * jax.lax.stop_gradient(mean),
            "variance": MOMENTUM * old["variance"]
            + (1 - MOMENTUM) * jax.lax.stop_gradient(variance),
        }
        p = self.params[name]
        y = (x32 - mean) * jax.lax.rsqrt(variance + EPSILON) * p["gamma"] + p["beta"]
        return y.astype(self.dtype)

    def dense(self, name, x, units, use_bias):
        if self.init:
            limit = np.sqrt(6.0 / (x.shape[-1] + units))
            self.params[name] = {
                "kernel": jnp.asarray(
                    self.rng.uniform(-limit, limit, (x.shape[-1], units)), jnp.float32
                )
            }
            if use_bias:
                self.params[name]["bias"] = jnp.zeros(units)
        p = self.params[name]
        y = x.astype(self.dtype) @ p["kernel"].astype(self.dtype)
        return y + p["bias"].astype(self.dtype) if use_bias else y

    @staticmethod
    def relu(x):
        return jnp.maximum(x, 0)

    @staticmethod
    def max_pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    @staticmethod
    def mean_pool(x):
        return jnp.mean(x, axis=(1, 2))


def nt_xent(z, temperature):
    """SimCLR's loss on the stacked views `z = [z_a; z_b]`, float32, the textbook way."""
    z = z.astype(jnp.float32)
    z = z / jnp.maximum(jnp.linalg.norm(z, axis=-1, keepdims=True), 1e-6)
    logits = z @ z.T / temperature
    two_n = z.shape[0]
    index = jnp.arange(two_n)
    logits = jnp.where(index[:, None] == index[None, :], -jnp.inf, logits)
    positive = (index + two_n // 2) % two_n
    return -jnp.mean(jax.nn.log_softmax(logits, axis=-1)[index, positive])


def make_step(encoder: str, image_shape, compute_dtype: str, learning_rate=1e-3,
              temperature=0.5, seed=0):
    """Returns `(step, carry)`: `step(carry, images_uint8) -> (carry, loss)`, jitted."""
    dtype = jnp.bfloat16 if compute_dtype == "bfloat16" else jnp.float32
    encoder_fn = ENCODERS[encoder]

    def forward(params, state, views, init=False):
        layers = _Layers(params, state, dtype, init=init, seed=seed)
        z = projection_head(layers, encoder_fn(layers, views))
        return z, layers.new_state

    params, state = {}, {}
    forward(params, state, jnp.zeros((2, *image_shape), dtype), init=True)
    m, v = (jax.tree_util.tree_map(jnp.zeros_like, params) for _ in range(2))
    carry = (params, state, (jnp.zeros((), jnp.int32), m, v))
    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7  # Keras Adam's defaults

    @functools.partial(jax.jit, donate_argnums=(0,))
    def step(carry, images):
        params, state, (count, m, v) = carry
        x = images.astype(jnp.float32)
        views = jnp.concatenate([x, x[:, :, ::-1, :]], axis=0) / 255.0  # see the benchmark

        def loss_fn(p):
            z, new_state = forward(p, state, views.astype(dtype))
            return nt_xent(z, temperature), new_state

        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        count = count + 1
        t = count.astype(jnp.float32)
        m = jax.tree_util.tree_map(lambda m, g: beta_1 * m + (1 - beta_1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: beta_2 * v + (1 - beta_2) * g * g, v, grads)
        rate = learning_rate * jnp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        params = jax.tree_util.tree_map(
            lambda p, m, v: p - rate * m / (jnp.sqrt(v) + epsilon), params, m, v
        )
        return (params, new_state, (count, m, v)), loss

    return step, carry


class PlainJAXTrainer:
    """`trainer.step(images)` runs one step and returns the loss (a jax array)."""

    framework = "plain JAX (jax.jit, manual Adam)"

    def __init__(self, encoder, image_shape, precision, **kwargs):
        compute = "bfloat16" if precision == "mixed_bfloat16" else "float32"
        self._step, self._carry = make_step(encoder, image_shape, compute, **kwargs)

    def step(self, images: np.ndarray):
        self._carry, loss = self._step(self._carry, images)
        return loss
