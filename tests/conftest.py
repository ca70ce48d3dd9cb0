"""Shared test setup: quiet logs, and a fixed seed per test."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def autodiff_gradients(fn, *arrays):
    """Gradients of the scalar `fn(*arrays)` with respect to every array (NumPy inputs),
    by the current backend's automatic differentiation; returned as NumPy arrays."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [np.asarray(g) for g in jax.grad(fn, argnums=tuple(range(len(arrays))))(*arrays)]
    if backend == "tensorflow":
        import tensorflow as tf

        variables = [tf.Variable(a) for a in arrays]
        with tf.GradientTape() as tape:
            value = fn(*variables)
        return [g.numpy() for g in tape.gradient(value, variables)]
    import torch

    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    fn(*tensors).backward()
    return [t.grad.numpy() for t in tensors]
