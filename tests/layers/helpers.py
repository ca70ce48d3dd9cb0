"""Helpers shared by the augmentation-layer tests (tiny images, numpy oracles)."""

import keras
import numpy as np


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def random_images(batch=4, height=8, width=8, channels=3, seed=0, dtype="uint8"):
    images = np.random.default_rng(seed).integers(0, 256, size=(batch, height, width, channels))
    return images.astype(dtype)


class AlwaysTraining(keras.Model):
    """Calls a layer with training=True, so `predict` exercises the random path."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        self.layer.build(input_shape)

    def call(self, images):
        return self.layer(images, training=True)


def default_jit_compile():
    """XLA on jax and tensorflow. On torch, `torch.compile` takes 10-40 s per layer on a
    2-core CPU, so the default suite predicts eagerly there and the compiled run is the
    slow test `test_simclr_augmentation.py::test_torch_compile`."""
    return keras.backend.backend() != "torch"


def jit_predict(layer, images, jit_compile=None):
    """Runs `layer(images, training=True)` through a compiled `model.predict`."""
    if jit_compile is None:
        jit_compile = default_jit_compile()
    model = AlwaysTraining(layer)
    # Build outside the compiled function: Keras's symbolic build of an unbuilt model
    # inside torch.compile fails on meta-device constants (a Keras/torch limitation).
    model.build(images.shape)
    model.compile(jit_compile=jit_compile)
    outputs = model.predict(images, batch_size=len(images), verbose=0)
    return keras.tree.map_structure(np.asarray, outputs)


def assert_in_range(x, low=0.0, high=255.0):
    x = to_numpy(x)
    assert np.all(np.isfinite(x))
    assert x.min() >= low and x.max() <= high, (x.min(), x.max())
