"""Helpers shared by the model tests: a cheap two-view augmentation and tiny data."""

import keras
import numpy as np
from keras import ops

IMAGE_SHAPE = (16, 16, 3)


@keras.saving.register_keras_serializable(package="ssl_keras_tests")
class NoiseViews(keras.layers.Layer):
    """Two views per image: independent Gaussian noise per pixel, clipped to [0, 255].

    A stand-in for `SimCLRAugmentation` that keeps the model tests fast and independent of
    the augmentation layers; seeded through a `SeedGenerator` so it jit-compiles.
    """

    def __init__(self, stddev=25.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        images = ops.cast(images, self.compute_dtype)
        views = []
        for _ in range(2):
            noise = keras.random.normal(
                ops.shape(images),
                stddev=self.stddev,
                dtype=self.compute_dtype,
                seed=self.seed_generator,
            )
            views.append(ops.clip(images + noise, 0.0, 255.0))
        return tuple(views)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


def tiny_images(num_images=32, seed=0):
    """Random uint8 images of shape `(num_images, 16, 16, 3)` and random labels in 0..3."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(num_images,) + IMAGE_SHAPE).astype("uint8")
    labels = rng.integers(0, 4, size=(num_images,)).astype("int32")
    return images, labels


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def toy_encoder(output_dim=8, kernel_regularizer=None, name="toy_encoder"):
    """Rescaling, one strided conv with BatchNorm and ReLU, global average pooling.

    Much cheaper to compile than `small_cnn_encoder` (JAX compiles every new shape), yet it
    has what SimCLR's training step must handle: BatchNorm state and the [0, 255] input.
    """
    inputs = keras.Input(IMAGE_SHAPE)
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Conv2D(
        output_dim,
        3,
        strides=2,
        padding="same",
        use_bias=False,
        kernel_regularizer=kernel_regularizer,
        name="conv",
    )(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x), name=name)
