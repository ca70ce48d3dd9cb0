"""Reference SimCLR training step in plain TensorFlow: `tf.Variable`s, `tf.nn` ops,
`tf.GradientTape`, hand-written Adam, one `tf.function` (XLA when `jit_compile`). No
Keras. Used by `training_throughput.py`."""

import numpy as np
import tensorflow as tf
from _plain_models import ENCODERS, projection_head

MOMENTUM = 0.99
EPSILON = 1e-3


class _Layers:
    """The `_plain_models` interface on `tf.nn`; creates variables when `init`."""

    def __init__(self, variables, compute_dtype, init=False, seed=0):
        self.variables = variables
        self.dtype = compute_dtype
        self.init = init
        self.updates = []  # (moving variable, new value) pairs of the BN statistics
        self.rng = np.random.default_rng(seed)

    def _variable(self, name, value, trainable=True):
        if self.init:
            self.variables[name] = tf.Variable(np.asarray(value, np.float32), trainable=trainable,
                                               name=name.replace("/", "_"))
        return self.variables[name]

    def conv(self, name, x, filters, kernel_size, strides):
        channels = x.shape[-1]
        shape = (kernel_size, kernel_size, channels, filters)
        kernel = self._variable(
            name,
            self.rng.normal(size=shape) * np.sqrt(2.0 / (kernel_size**2 * channels))
            if self.init else None,
        )
        return tf.nn.conv2d(tf.cast(x, self.dtype), tf.cast(kernel, self.dtype), strides, "SAME")

    def batch_norm(self, name, x, zero_gamma=False):
        channels = x.shape[-1]
        gamma = self._variable(name + "/gamma", np.zeros(channels) if zero_gamma
                               else np.ones(channels))
        beta = self._variable(name + "/beta", np.zeros(channels))
        moving_mean = self._variable(name + "/moving_mean", np.zeros(channels), trainable=False)
        moving_variance = self._variable(name + "/moving_variance", np.ones(channels),
                                         trainable=False)
        x32 = tf.cast(x, tf.float32)
        mean, variance = tf.nn.moments(x32, axes=list(range(len(x.shape) - 1)))
        self.updates.append((moving_mean, MOMENTUM * moving_mean + (1 - MOMENTUM) * mean))
        self.updates.append(
            (moving_variance, MOMENTUM * moving_variance + (1 - MOMENTUM) * variance)
        )
        y = tf.nn.batch_normalization(x32, mean, variance, beta, gamma, EPSILON)
        return tf.cast(y, self.dtype)

    def dense(self, name, x, units, use_bias):
        limit = np.sqrt(6.0 / (x.shape[-1] + units))
        kernel = self._variable(
            name + "/kernel",
            self.rng.uniform(-limit, limit, (x.shape[-1], units)) if self.init else None,
        )
        y = tf.matmul(tf.cast(x, self.dtype), tf.cast(kernel, self.dtype))
        if use_bias:
            y = y + tf.cast(self._variable(name + "/bias", np.zeros(units)), self.dtype)
        return y

    @staticmethod
    def relu(x):
        return tf.nn.relu(x)

    @staticmethod
    def max_pool(x):
        return tf.nn.max_pool2d(x, 2, 2, "VALID")

    @staticmethod
    def mean_pool(x):
        return tf.reduce_mean(x, axis=[1, 2])


def nt_xent(z, temperature):
    """SimCLR's loss on the stacked views `z = [z_a; z_b]`, float32, the textbook way."""
    z = tf.math.l2_normalize(tf.cast(z, tf.float32), axis=-1, epsilon=1e-12)
    logits = tf.matmul(z, z, transpose_b=True) / temperature
    two_n = tf.shape(z)[0]
    logits = logits - tf.eye(two_n) * 1e9  # the anchor is not a candidate
    positive = (tf.range(two_n) + two_n // 2) % two_n
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=positive, logits=logits)
    )


class PlainTensorFlowTrainer:
    """`trainer.step(images)` runs one step and returns the loss (a tf tensor)."""

    framework = "plain TensorFlow (tf.function, tf.nn, manual Adam)"

    def __init__(self, encoder, image_shape, precision, jit_compile=True, learning_rate=1e-3,
                 temperature=0.5, seed=0):
        self.dtype = tf.bfloat16 if precision == "mixed_bfloat16" else tf.float32
        self.encoder = ENCODERS[encoder]
        self.variables = {}
        self._forward(tf.zeros((2, *image_shape), self.dtype), init=True)
        self.trainable = [v for v in self.variables.values() if v.trainable]
        self.m = [tf.Variable(tf.zeros_like(v)) for v in self.trainable]
        self.v = [tf.Variable(tf.zeros_like(v)) for v in self.trainable]
        self.count = tf.Variable(0.0)
        self.learning_rate, self.temperature = learning_rate, temperature
        self.framework += " XLA" if jit_compile else ""
        self._step = tf.function(self._train_step, jit_compile=jit_compile)

    def _forward(self, views, init=False):
        layers = _Layers(self.variables, self.dtype, init=init)
        return projection_head(layers, self.encoder(layers, views)), layers.updates

    def _train_step(self, images):
        x = tf.cast(images, tf.float32)
        views = tf.concat([x, tf.reverse(x, axis=[2])], axis=0) / 255.0  # see the benchmark
        with tf.GradientTape() as tape:
            z, updates = self._forward(tf.cast(views, self.dtype))
            loss = nt_xent(z, self.temperature)
        grads = tape.gradient(loss, self.trainable)
        for variable, value in updates:
            variable.assign(value)
        beta_1, beta_2, epsilon = 0.9, 0.999, 1e-7  # Keras Adam's defaults
        self.count.assign_add(1.0)
        rate = self.learning_rate * tf.sqrt(1 - beta_2**self.count) / (1 - beta_1**self.count)
        for p, g, m, v in zip(self.trainable, grads, self.m, self.v):
            m.assign(beta_1 * m + (1 - beta_1) * g)
            v.assign(beta_2 * v + (1 - beta_2) * g * g)
            p.assign_sub(rate * m / (tf.sqrt(v) + epsilon))
        return loss

    def step(self, images: np.ndarray):
        return self._step(tf.convert_to_tensor(images))
