import numpy as np
import pytest

from ssl_keras.ops import (
    cosine_similarity,
    l2_normalize,
    pairwise_cosine_similarity,
    softmax_with_temperature,
)
from tests.conftest import to_numpy
from tests.losses.reference import cosine


def test_rowwise_cosine_matches_definition(rng):
    a, b = rng.normal(size=(2, 6, 5))
    expected = [cosine(x, y) for x, y in zip(a, b)]
    np.testing.assert_allclose(to_numpy(cosine_similarity(a.astype("float32"),
                                                          b.astype("float32"))),
                               expected, rtol=1e-5)


def test_pairwise_cosine_matches_definition(rng):
    a = rng.normal(size=(4, 3)).astype("float32")
    b = rng.normal(size=(6, 3)).astype("float32")
    expected = [[cosine(x, y) for y in b] for x in a]
    result = to_numpy(pairwise_cosine_similarity(a, b))
    assert result.shape == (4, 6)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.diag(to_numpy(pairwise_cosine_similarity(a))), 1.0, rtol=1e-6)


def test_zero_vectors_give_zero_not_nan():
    a = np.array([[0.0, 0.0], [1.0, 0.0]], "float32")
    b = np.array([[1.0, 1.0], [0.0, 0.0]], "float32")
    np.testing.assert_array_equal(to_numpy(cosine_similarity(a, b)), [0.0, 0.0])
    assert np.all(np.isfinite(to_numpy(pairwise_cosine_similarity(a, b))))
    np.testing.assert_array_equal(to_numpy(l2_normalize(np.zeros((1, 3), "float32"))), 0.0)


def test_cosine_shape_errors():
    with pytest.raises(ValueError, match="same batch size"):
        cosine_similarity(np.ones((3, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="embedding size"):
        pairwise_cosine_similarity(np.ones((3, 2)), np.ones((4, 3)))
    with pytest.raises(ValueError, match="rank-2"):
        cosine_similarity(np.ones((3, 2, 1)), np.ones((3, 2, 1)))


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0, 2.0, 5.0])
def test_softmax_with_temperature_matches_formula(tau):
    x = np.array([2.0, 1.0, 0.2, -0.5])
    expected = np.exp(x / tau) / np.exp(x / tau).sum()
    np.testing.assert_allclose(to_numpy(softmax_with_temperature(x, tau)), expected, rtol=1e-5)


def test_softmax_temperature_limits_and_integer_input():
    x = [1.0, 0.2, 0.1, -0.1, -0.3]
    sharp = to_numpy(softmax_with_temperature(x, 1e-4))
    np.testing.assert_allclose(sharp, [1, 0, 0, 0, 0], atol=1e-6)
    flat = to_numpy(softmax_with_temperature(x, 1e5))
    np.testing.assert_allclose(flat, np.full(5, 0.2), atol=1e-5)
    np.testing.assert_allclose(to_numpy(softmax_with_temperature([1, 2, 3], 1.0)).sum(), 1.0,
                               rtol=1e-6)


def test_softmax_along_axis_and_bad_temperature():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(to_numpy(softmax_with_temperature(x, 0.5, axis=0)).sum(0), 1.0,
                               rtol=1e-6)
    with pytest.raises(ValueError, match="`temperature` should be > 0"):
        softmax_with_temperature(x, 0)
