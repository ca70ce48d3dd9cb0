"""Weighted cosine kNN against a brute-force loop written from the formula."""

import logging
import math

import keras
import numpy as np
import pytest

from ssl_keras.evaluation import knn_accuracy, knn_predict


def knn_oracle(train, labels, queries, k, temperature, num_classes):
    """Wu et al. (2018) weighted kNN, one query and one training point at a time.

    Neighbours: the k highest cosine similarities, ties to the lower training index.
    Vote: sum of exp(sim / temperature) per class; ties to the lower class id.
    """
    train = np.asarray(train, dtype="float64")
    queries = np.asarray(queries, dtype="float64")
    predictions = []
    for query in queries:
        query_norm = max(math.sqrt(sum(v * v for v in query)), 1e-6)
        similarities = []
        for row in train:
            row_norm = max(math.sqrt(sum(v * v for v in row)), 1e-6)
            similarities.append(sum(q * r for q, r in zip(query, row)) / (query_norm * row_norm))
        order = sorted(range(len(train)), key=lambda i: (-similarities[i], i))[:k]
        votes = [0.0] * num_classes
        for i in order:
            votes[labels[i]] += math.exp(similarities[i] / temperature)
        predictions.append(max(range(num_classes), key=lambda c: (votes[c], -c)))
    return np.array(predictions)


@pytest.mark.parametrize(
    "k,temperature", [(1, 0.1), (5, 0.1), (20, 0.05), (20, 1.0), (200, 0.1), (60, 0.5)]
)
def test_matches_bruteforce_oracle_on_random_features(rng, k, temperature):
    train = rng.normal(size=(60, 6)).astype("float32")
    labels = rng.integers(0, 4, 60)
    queries = rng.normal(size=(25, 6)).astype("float32")
    expected = knn_oracle(train, labels, queries, min(k, 60), temperature, 4)
    predictions = knn_predict(train, labels, queries, k=k, temperature=temperature, batch_size=7)
    np.testing.assert_array_equal(predictions, expected)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_matches_oracle_with_many_exact_ties(rng, k):
    # One-hot training rows (scaled): every similarity is an exact float32 copy of one
    # coordinate of the normalised query, so many neighbours tie exactly; small
    # integer queries add ties between coordinates. k <= 5 keeps vote sums exact.
    positions = rng.integers(0, 5, 40)
    train = np.eye(5, dtype="float32")[positions] * rng.integers(1, 4, (40, 1))
    labels = rng.integers(0, 3, 40)
    queries = rng.integers(0, 3, (30, 5)).astype("float32")
    queries[0] = [1, 1, 1, 1, 1]  # every training row ties
    expected = knn_oracle(train, labels, queries, k, 0.1, 3)
    np.testing.assert_array_equal(knn_predict(train, labels, queries, k=k), expected)


def test_tie_breaking_rules_by_hand():
    e0, e1 = [1.0, 0.0], [0.0, 1.0]
    train = np.array([e0, e1, e0, e0], dtype="float32")
    labels = np.array([2, 0, 1, 1])
    query = np.array([e0], dtype="float32")
    # Rows 0, 2 and 3 tie at similarity 1: the lowest indices are taken.
    assert knn_predict(train, labels, query, k=1).tolist() == [2]
    # Rows 0 and 2 vote for classes 2 and 1 with equal weight: class 1 wins the tie.
    assert knn_predict(train, labels, query, k=2).tolist() == [1]
    # Rows 0, 2, 3: class 1 has two votes.
    assert knn_predict(train, labels, query, k=3).tolist() == [1]


def test_weighting_by_temperature_closed_form():
    # Similarities of the query with the three rows: 1.0 (class 0), 0.6, 0.6 (class 1).
    train = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, -0.8]], dtype="float32")
    labels = np.array([0, 1, 1])
    query = np.array([[2.0, 0.0]], dtype="float32")
    # T = 0.1: e^10 > 2 e^6, the nearest neighbour wins.
    assert math.exp(10) > 2 * math.exp(6)
    assert knn_predict(train, labels, query, k=3, temperature=0.1).tolist() == [0]
    # T = 1: e^1 < 2 e^0.6, the majority wins.
    assert math.exp(1) < 2 * math.exp(0.6)
    assert knn_predict(train, labels, query, k=3, temperature=1.0).tolist() == [1]


def test_k1_is_the_nearest_neighbour_by_cosine(rng):
    train = rng.normal(size=(50, 8))
    labels = rng.integers(0, 5, 50)
    queries = rng.normal(size=(30, 8))
    train_unit = train / np.linalg.norm(train, axis=1, keepdims=True)
    query_unit = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    nearest = np.argmax(query_unit @ train_unit.T, axis=1)
    np.testing.assert_array_equal(knn_predict(train, labels, queries, k=1), labels[nearest])


def test_small_temperature_does_not_overflow(rng):
    train = rng.normal(size=(30, 4))
    labels = rng.integers(0, 3, 30)
    queries = rng.normal(size=(10, 4))
    # exp(1 / 1e-4) overflows; the shifted weights do not, and the vote becomes 1-NN.
    np.testing.assert_array_equal(
        knn_predict(train, labels, queries, k=10, temperature=1e-4),
        knn_predict(train, labels, queries, k=1),
    )


@pytest.mark.parametrize("batch_size", [1, 3, 16, 1000])
def test_chunking_does_not_change_predictions(rng, batch_size):
    train = rng.normal(size=(80, 5))
    labels = rng.integers(0, 4, 80)
    queries = rng.normal(size=(33, 5))
    reference = knn_predict(train, labels, queries, k=10, batch_size=33)
    np.testing.assert_array_equal(
        knn_predict(train, labels, queries, k=10, batch_size=batch_size), reference
    )


def test_k_larger_than_train_set_is_clamped_with_warning(rng, caplog):
    train = rng.normal(size=(12, 4))
    labels = rng.integers(0, 3, 12)
    queries = rng.normal(size=(9, 4))
    with caplog.at_level(logging.WARNING, logger="ssl_keras.evaluation.knn"):
        predictions = knn_predict(train, labels, queries, k=200)
    assert "`k`=200" in caplog.text and "using k=12" in caplog.text
    np.testing.assert_array_equal(predictions, knn_predict(train, labels, queries, k=12))
    np.testing.assert_array_equal(predictions, knn_oracle(train, labels, queries, 12, 0.1, 3))


def test_zero_vectors_give_no_nan_and_follow_the_oracle(rng):
    train = rng.normal(size=(20, 3)).astype("float32")
    train[4] = 0.0
    labels = rng.integers(0, 3, 20)
    queries = rng.normal(size=(5, 3)).astype("float32")
    queries[0] = 0.0  # similarity 0 with everything: the first k rows vote
    np.testing.assert_array_equal(
        knn_predict(train, labels, queries, k=4), knn_oracle(train, labels, queries, 4, 0.1, 3)
    )


def test_accepts_backend_tensors_and_column_labels(rng):
    train = rng.normal(size=(40, 6)).astype("float32")
    labels = rng.integers(0, 4, 40)
    queries = rng.normal(size=(15, 6)).astype("float32")
    expected = knn_predict(train, labels, queries, k=7)
    predictions = knn_predict(
        keras.ops.convert_to_tensor(train),
        keras.ops.convert_to_tensor(labels[:, None]),
        keras.ops.convert_to_tensor(queries),
        k=7,
    )
    np.testing.assert_array_equal(predictions, expected)
    assert predictions.dtype == np.int64 and predictions.shape == (15,)


def test_knn_accuracy_is_the_fraction_of_correct_predictions(rng):
    train = rng.normal(size=(40, 6))
    labels = rng.integers(0, 4, 40)
    queries = rng.normal(size=(25, 6))
    query_labels = rng.integers(0, 4, 25)
    predictions = knn_oracle(train, labels, queries, 10, 0.1, 4)
    accuracy = knn_accuracy(train, labels, queries, query_labels[:, None], k=10)
    assert isinstance(accuracy, float)
    assert accuracy == pytest.approx(np.mean(predictions == query_labels))


def test_well_separated_clusters_are_classified_perfectly(rng):
    centres = 5.0 * np.eye(4, 16)
    train_labels = rng.integers(0, 4, 200)
    test_labels = rng.integers(0, 4, 100)
    train = centres[train_labels] + rng.normal(size=(200, 16))
    test = centres[test_labels] + rng.normal(size=(100, 16))
    assert knn_accuracy(train, train_labels, test, test_labels) == 1.0


def test_num_classes_larger_than_labels_is_allowed(rng):
    train = rng.normal(size=(10, 3))
    labels = rng.integers(0, 2, 10)
    queries = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(
        knn_predict(train, labels, queries, k=3, num_classes=10),
        knn_predict(train, labels, queries, k=3),
    )


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"k": 0}, "`k` should be a positive integer"),
        ({"k": 2.5}, "`k` should be a positive integer"),
        ({"temperature": 0}, "`temperature` should be > 0. Received: temperature=0"),
        ({"temperature": -1.0}, "`temperature` should be > 0"),
        ({"batch_size": 0}, "`batch_size` should be a positive integer"),
        ({"num_classes": 2}, "class ids < num_classes=2"),
    ],
)
def test_bad_arguments_raise_value_error(rng, kwargs, message):
    train = rng.normal(size=(10, 3))
    labels = np.arange(10) % 3
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        knn_predict(train, labels, rng.normal(size=(4, 3)), **kwargs)


def test_bad_shapes_raise_value_error(rng):
    train = rng.normal(size=(10, 3))
    labels = np.arange(10) % 3
    with pytest.raises(ValueError, match="same feature size"):
        knn_predict(train, labels, rng.normal(size=(4, 5)))
    with pytest.raises(ValueError, match="rank-2"):
        knn_predict(train[None], labels, rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="one label per sample"):
        knn_predict(train, labels[:5], rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="integer class ids"):
        knn_predict(train, labels + 0.5, rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=">= 0"):
        knn_predict(train, labels - 1, rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="one label per sample"):
        knn_accuracy(train, labels, rng.normal(size=(4, 3)), [0, 1])
