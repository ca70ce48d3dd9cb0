"""NumPy helpers shared by the evaluation functions: input checks, normalisation (private).

Evaluation runs on the host: features and labels arrive as NumPy arrays, lists or
backend tensors (a jax array, a `tf.Tensor`, a `torch.Tensor` on any device) and leave
as NumPy arrays, so results can be compared, stored and plotted whatever the backend.
"""

import numpy as np
from keras import ops

from ssl_keras.ops.similarity import EPSILON
from ssl_keras.validation import check_positive_int


def to_numpy(x) -> np.ndarray:
    """Converts a NumPy array, a Python sequence or a backend tensor to NumPy."""
    if isinstance(x, (np.ndarray, np.generic, list, tuple, int, float)):
        return np.asarray(x)
    # `convert_to_numpy` detaches torch tensors and copies device memory to the host.
    return np.asarray(ops.convert_to_numpy(x))


def check_features(features, name: str) -> np.ndarray:
    """Returns `features` as a float32 array of shape `(num_samples, dim)`."""
    features = to_numpy(features)
    if features.ndim != 2:
        raise ValueError(
            f"`{name}` should be a rank-2 array of shape (num_samples, dim). "
            f"Received: {name}.shape={features.shape}"
        )
    if features.shape[0] == 0:
        raise ValueError(
            f"`{name}` should hold at least one sample. Received: {name}.shape={features.shape}"
        )
    if not np.issubdtype(features.dtype, np.number):
        raise ValueError(
            f"`{name}` should hold numbers. Received: {name}.dtype={features.dtype}"
        )
    return features.astype("float32", copy=False)


def check_feature_pair(train_features, other_features, other_name: str):
    """`check_features` of both, which must have the same feature size.

    Returns:
        `(train_features, other_features)` as float32 arrays.
    """
    train_features = check_features(train_features, "train_features")
    other_features = check_features(other_features, other_name)
    if train_features.shape[1] != other_features.shape[1]:
        raise ValueError(
            f"`train_features` and `{other_name}` should have the same feature size. "
            f"Received: train_features.shape={train_features.shape}, "
            f"{other_name}.shape={other_features.shape}"
        )
    return train_features, other_features


def check_labels(labels, name: str, num_samples: int | None = None) -> np.ndarray:
    """Returns integer class ids as an int64 array of shape `(num_samples,)`.

    Accepts shape `(n,)` or `(n, 1)` (the layout of `keras.datasets.cifar10` labels),
    and floats that hold whole numbers (labels that went through a float tensor).
    """
    labels = to_numpy(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(
            f"`{name}` should be integer class ids of shape (num_samples,) or "
            f"(num_samples, 1). Received: {name}.shape={labels.shape}"
        )
    if num_samples is not None and labels.shape[0] != num_samples:
        raise ValueError(
            f"`{name}` should have one label per sample ({num_samples}). "
            f"Received: {name}.shape={labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.number) or not np.all(
            np.equal(np.mod(labels, 1), 0)
        ):
            raise ValueError(
                f"`{name}` should hold integer class ids. Received: {name}.dtype={labels.dtype}"
            )
    labels = labels.astype("int64")
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"`{name}` should hold class ids >= 0. Received: min({name})={labels.min()}"
        )
    return labels




def infer_num_classes(labels: np.ndarray, num_classes: int | None, name: str) -> int:
    """`max(labels) + 1` when `num_classes` is None; otherwise checks the labels fit."""
    if num_classes is None:
        return int(labels.max()) + 1
    num_classes = check_positive_int(num_classes, "num_classes")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"`{name}` should hold class ids < num_classes={num_classes}. "
            f"Received: max({name})={labels.max()}"
        )
    return num_classes


def l2_normalize_rows(x: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation in NumPy, the norm clamped at `EPSILON` as in
    `ssl_keras.ops.l2_normalize` (a zero row stays zero, so its similarities are 0)."""
    norms = np.sqrt(np.maximum(np.sum(np.square(x), axis=1, keepdims=True), EPSILON**2))
    return x / norms
