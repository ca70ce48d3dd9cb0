"""Per-image standardization: each image to zero mean and unit variance."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="ssl_keras")
class PerImageStandardization(keras.layers.Layer):
    """Scales each image to zero mean and unit variance over its pixels and channels.

    `(x - mean) / max(std, 1 / sqrt(n))`, with the mean and standard deviation of each
    image's `n = height * width * channels` values: the rule of
    `tf.image.per_image_standardization` (the floor keeps a uniform image finite). The
    output no longer depends on the image's brightness or contrast: `a * x + b` with
    `a > 0` gives the same output as `x` (up to the floor).

    Why in an encoder: the embedded digits (`ssl_keras.data.load_digits`) draw a gray
    level for each image's background and stroke. Measured on them (jax, digits preset),
    methods that match views without many negatives learn those gray levels instead of
    the digits' shapes: MoCo's encoder fell to 12.6% kNN accuracy and SimSiam's to 13.7%
    (random init 62.7%); with this layer first in the encoder, MoCo reaches 80.0%
    (random init 76.3%). See `benchmarks/RESULTS.md`.

    Args:
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, ...)`: any rank >= 2; every axis but the first is standardized together.

    Output shape:
        Same as the input, in the layer's compute dtype.

    Example:
    >>> import numpy as np
    >>> images = np.array([[[[0.0], [2.0]]], [[[10.0], [30.0]]]])  # two 1x2 images
    >>> out = keras.ops.convert_to_numpy(PerImageStandardization()(images))
    >>> np.round(out.reshape(2, 2), 3).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if len(x.shape) < 2:
            raise ValueError(
                "`PerImageStandardization` expects a batch of images of rank >= 2. "
                f"Received: inputs.shape={tuple(x.shape)}"
            )
        axes = tuple(range(1, len(x.shape)))
        count = 1
        for size in x.shape[1:]:
            count *= size
        # Statistics in float32 at least: a float16 variance of 0-255 values overflows.
        stats_x = ops.cast(x, "float32")
        mean = ops.mean(stats_x, axis=axes, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(stats_x - mean), axis=axes, keepdims=True))
        std = ops.maximum(std, 1.0 / float(count) ** 0.5)
        return ops.cast((stats_x - mean) / std, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
