"""Class-stratified few-label subsets."""

import math

import numpy as np
import pytest

from ssl_keras.evaluation import stratified_subset


def _expected_count(fraction, class_size):
    # Per class: fraction of its examples rounded half up, at least one, at most all.
    return min(class_size, max(1, math.floor(fraction * class_size + 0.5)))


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.25, 0.5, 1.0])
def test_class_counts_follow_the_fraction(rng, fraction):
    class_sizes = [500, 300, 205, 7, 1]
    labels = rng.permutation(np.repeat(np.arange(5), class_sizes))
    indices = stratified_subset(labels, fraction, seed=0)
    counts = np.bincount(labels[indices], minlength=5)
    expected = [_expected_count(fraction, size) for size in class_sizes]
    np.testing.assert_array_equal(counts, expected)
    assert counts.min() >= 1  # no class left out


def test_one_percent_of_a_balanced_set_is_exact(rng):
    labels = rng.permutation(np.repeat(np.arange(10), 5000))  # CIFAR-10's train labels
    indices = stratified_subset(labels[:, None], 0.01, seed=3)
    assert indices.shape == (500,)
    np.testing.assert_array_equal(np.bincount(labels[indices]), [50] * 10)


def test_indices_are_sorted_unique_and_in_range(rng):
    labels = rng.integers(0, 7, 1000)
    indices = stratified_subset(labels, 0.1, seed=1)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices, np.unique(indices))
    assert indices.min() >= 0 and indices.max() < 1000


def test_fraction_one_returns_everything(rng):
    labels = rng.integers(0, 3, 50)
    np.testing.assert_array_equal(stratified_subset(labels, 1.0), np.arange(50))


def test_deterministic_for_a_seed_and_different_across_seeds(rng):
    labels = rng.integers(0, 10, 2000)
    first = stratified_subset(labels, 0.1, seed=7)
    np.testing.assert_array_equal(first, stratified_subset(labels, 0.1, seed=7))
    assert not np.array_equal(first, stratified_subset(labels, 0.1, seed=8))


def test_subset_is_drawn_at_random_within_each_class(rng):
    # Over many seeds every example of a class is picked about equally often.
    labels = np.repeat(np.arange(2), 20)
    picks = np.zeros(40)
    for seed in range(400):
        picks[stratified_subset(labels, 0.25, seed=seed)] += 1
    # Each example is picked with probability 5/20 = 0.25: 100 times in expectation,
    # standard deviation sqrt(400 * 0.25 * 0.75) ~ 8.7.
    assert picks.min() > 60 and picks.max() < 140


def test_string_labels(rng):
    labels = np.array(["cat", "dog", "dog", "bird", "cat", "dog", "dog", "dog"])
    indices = stratified_subset(labels, 0.5, seed=0)
    picked = sorted(labels[indices].tolist())
    assert picked == ["bird", "cat", "dog", "dog", "dog"]


@pytest.mark.parametrize("fraction", [0, 0.0, -0.1, 1.5, float("nan"), True, "0.1", None])
def test_bad_fraction_raises_value_error(fraction):
    with pytest.raises(ValueError, match=r"`fraction` should be in \(0, 1\]"):
        stratified_subset(np.arange(10) % 2, fraction)


def test_bad_labels_raise_value_error():
    with pytest.raises(ValueError, match="non-empty"):
        stratified_subset(np.array([]), 0.1)
    with pytest.raises(ValueError, match=r"labels.shape=\(2, 3\)"):
        stratified_subset(np.zeros((2, 3)), 0.1)
