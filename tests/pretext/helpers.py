"""Tiny data and encoders shared by the pretext-task tests."""

import numpy as np

from ssl_keras.models import small_cnn_encoder

IMAGE_SHAPE = (8, 8, 3)


def tiny_images(num_images=8, shape=IMAGE_SHAPE, seed=0):
    """Random uint8 images of shape `(num_images,) + shape`."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(num_images,) + tuple(shape)).astype("uint8")


def tiny_encoder(shape=IMAGE_SHAPE):
    """The course's small CNN at toy size: width 4, 8-d output (the 3 poolings need >= 8 px)."""
    return small_cnn_encoder(shape, output_dim=8, width=4)


def toy_encoder(shape=IMAGE_SHAPE, output_dim=8):
    """Rescaling, one strided conv with BatchNorm and ReLU, global average pooling.

    Same interface as the ssl_keras encoders ([0, 255] images -> (batch, dim)) and it has
    BatchNorm state, but it compiles much faster than the small CNN (JAX compiles every
    model and shape anew), which keeps the model tests within their time budget.
    """
    import keras

    inputs = keras.Input(shape)
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Conv2D(output_dim, 3, strides=2, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x), name="toy_encoder")
