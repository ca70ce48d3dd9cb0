"""Weighted cosine k-nearest-neighbour classifier on frozen features.

The standard "kNN monitor" of self-supervised learning: no training, no
hyper-parameter search, and it needs only the features. It is the classifier of
Wu et al. (2018), reused by MoCo's CIFAR-10 demo, DINO and lightly's `knn_predict`.
"""

import logging

import numpy as np

from ssl_keras.evaluation._arrays import (
    check_feature_pair,
    check_features,
    check_labels,
    infer_num_classes,
    l2_normalize_rows,
)
from ssl_keras.validation import check_positive_float, check_positive_int

logger = logging.getLogger(__name__)


def knn_predict(
    train_features,
    train_labels,
    query_features,
    k: int = 200,
    temperature: float = 0.1,
    num_classes: int | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Predicts classes with the weighted cosine kNN classifier of Wu et al. (2018).

    For each query `q`, take the `k` training features with the highest cosine
    similarity `s_i = cos(q, x_i)`; each of them votes for its class with weight
    `exp(s_i / temperature)`; the prediction is the class with the largest summed
    vote:

        prediction(q) = argmax_c  sum_{i in topk(q)} [y_i = c] * exp(s_i / temperature)

    This is the classifier of Wu et al. (2018, Sec. 3.4), whose votes are weighted by
    `exp(s_i / tau)`. The defaults `k=200, temperature=0.1` are those of the kNN
    monitor in MoCo's CIFAR-10 demo and lightly's `knn_predict`, which follow Wu et
    al.; DINO's `eval_knn.py` uses the same vote with `temperature=0.07` and reports
    k in {10, 20, 100, 200}.

    How it is computed: in NumPy on the host, one chunk of `batch_size` queries at a
    time, so memory holds a `(batch_size, num_train)` similarity block, never the full
    `(num_query, num_train)` matrix (CIFAR-10's 10,000 x 50,000 with 512-d features
    takes a few seconds on a laptop CPU). Each weight is computed as
    `exp((s_i - s_max) / temperature)` with `s_max` the query's highest similarity:
    a positive factor common to all votes of a query, so the arg-max is unchanged
    and small temperatures cannot overflow.

    Ties are broken deterministically, identically on every backend: among training
    features with equal similarity at the `k`-th place, those with the lower index
    are taken; among classes with equal votes, the lower class id wins.

    Args:
        train_features: array of shape `(num_train, dim)`: the "memory bank".
            Need not be normalised; rows are L2-normalised here (a zero row has
            similarity 0 with everything).
        train_labels: integer class ids of shape `(num_train,)` or `(num_train, 1)`.
        query_features: array of shape `(num_query, dim)`.
        k: number of neighbours, an integer >= 1. If `k > num_train`, it is clamped to
            `num_train` and a warning is logged (every training feature then votes),
            so that kNN still runs on the tiny 1%-label subsets.
        temperature: positive float; lower values give the nearest neighbours more
            weight (`temperature -> 0` is a plain 1-NN vote on the closest one).
        num_classes: number of classes; defaults to `max(train_labels) + 1`.
        batch_size: number of queries per chunk.

    Returns:
        NumPy int64 array of shape `(num_query,)` with the predicted class ids.

    Raises:
        ValueError: if the features are not rank 2 or their dims differ, the labels
            do not match `train_features`, or `k`, `temperature`, `num_classes` or
            `batch_size` is not positive.

    Example:
    >>> import numpy as np
    >>> train = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> knn_predict(train, [0, 0, 1], np.array([[1.0, 0.2], [0.1, 1.0]]), k=1)
    array([0, 1])

    Reference:
        - [Wu et al., 2018, Unsupervised Feature Learning via Non-Parametric
          Instance Discrimination](https://arxiv.org/abs/1805.01978), Sec. 3.4.
        - [Caron et al., 2021, Emerging Properties in Self-Supervised Vision
          Transformers (DINO)](https://arxiv.org/abs/2104.14294), `eval_knn.py`.
    """
    train_features, query_features = check_feature_pair(
        train_features, query_features, "query_features"
    )
    num_train = train_features.shape[0]
    train_labels = check_labels(train_labels, "train_labels", num_train)
    num_classes = infer_num_classes(train_labels, num_classes, "train_labels")
    k = check_positive_int(k, "k")
    temperature = check_positive_float(temperature, "temperature")
    batch_size = check_positive_int(batch_size, "batch_size")
    if k > num_train:
        logger.warning(
            "`k`=%d is larger than the number of training features (%d): using k=%d.",
            k,
            num_train,
            num_train,
        )
        k = num_train

    train_normalized = l2_normalize_rows(train_features)
    predictions = np.empty(query_features.shape[0], dtype="int64")
    for start in range(0, query_features.shape[0], batch_size):
        queries = l2_normalize_rows(query_features[start : start + batch_size])
        similarities = queries @ train_normalized.T  # (chunk, num_train)
        neighbours = _top_k_indices(similarities, k)  # (chunk, k)
        neighbour_similarities = np.take_along_axis(similarities, neighbours, axis=1)
        neighbour_similarities = neighbour_similarities.astype("float64")
        # Shift by the row maximum: same arg-max, no overflow for small temperatures.
        shifted = neighbour_similarities - neighbour_similarities.max(axis=1, keepdims=True)
        weights = np.exp(shifted / temperature)
        predictions[start : start + batch_size] = _weighted_vote(
            train_labels[neighbours], weights, num_classes
        ).argmax(axis=1)
    return predictions


def knn_accuracy(
    train_features,
    train_labels,
    test_features,
    test_labels,
    k: int = 200,
    temperature: float = 0.1,
    num_classes: int | None = None,
    batch_size: int = 256,
) -> float:
    """Top-1 accuracy of the weighted cosine kNN classifier (see `knn_predict`).

    Args:
        train_features: array of shape `(num_train, dim)`.
        train_labels: integer class ids of shape `(num_train,)` or `(num_train, 1)`.
        test_features: array of shape `(num_test, dim)`.
        test_labels: integer class ids of shape `(num_test,)` or `(num_test, 1)`.
        k: number of neighbours (clamped to `num_train` with a warning).
        temperature: positive float, the temperature of the vote weights.
        num_classes: number of classes; defaults to `max(train_labels) + 1`.
        batch_size: number of test features per chunk.

    Returns:
        Python float in `[0, 1]`: the fraction of test features classified correctly.

    Raises:
        ValueError: as `knn_predict`, or if `test_labels` does not match
            `test_features`.

    Example:
    >>> import numpy as np
    >>> train = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> knn_accuracy(train, [0, 0, 1], np.array([[1.0, 0.2], [0.1, 1.0]]), [0, 0], k=1)
    0.5
    """
    test_features = check_features(test_features, "test_features")
    test_labels = check_labels(test_labels, "test_labels", test_features.shape[0])
    predictions = knn_predict(
        train_features,
        train_labels,
        test_features,
        k=k,
        temperature=temperature,
        num_classes=num_classes,
        batch_size=batch_size,
    )
    return float(np.mean(predictions == test_labels))


def _top_k_indices(similarities: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` largest entries of each row, ties taken at the lowest index.

    `np.argpartition` is linear-time but picks arbitrarily among entries equal to the
    k-th largest value; rows where that matters are recomputed exactly: every entry
    above the k-th value, then the lowest-indexed entries equal to it.
    """
    num_train = similarities.shape[1]
    if k == num_train:
        return np.broadcast_to(np.arange(num_train), similarities.shape).copy()
    indices = np.argpartition(similarities, num_train - k, axis=1)[:, num_train - k :]
    kth_value = np.take_along_axis(similarities, indices, axis=1).min(axis=1, keepdims=True)
    ambiguous_rows = np.flatnonzero(np.count_nonzero(similarities >= kth_value, axis=1) > k)
    for row in ambiguous_rows:
        values, threshold = similarities[row], kth_value[row, 0]
        above = np.flatnonzero(values > threshold)
        equal = np.flatnonzero(values == threshold)[: k - above.size]
        indices[row] = np.concatenate([above, equal])
    return indices


def _weighted_vote(neighbour_labels: np.ndarray, weights: np.ndarray, num_classes: int):
    """Sums `weights` per class: returns `(rows, num_classes)` vote totals."""
    rows = neighbour_labels.shape[0]
    flat_bins = neighbour_labels + num_classes * np.arange(rows)[:, None]
    votes = np.bincount(flat_bins.ravel(), weights=weights.ravel(), minlength=rows * num_classes)
    return votes.reshape(rows, num_classes)
