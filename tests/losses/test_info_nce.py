"""InfoNCE with explicit negatives (MoCo's loss) against a NumPy loop of Eq. 1."""

import numpy as np
import pytest

from ssl_keras.losses.info_nce import info_nce, info_nce_logits
from tests.conftest import to_numpy


def numpy_info_nce(query, key, queue, temperature):
    """MoCo Eq. 1 per query, cosine similarities, averaged over the queries."""

    def unit(x):
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    query, key, queue = (
        unit(query.astype("float64")),
        unit(key.astype("float64")),
        unit(queue.astype("float64")),
    )
    losses = []
    for q, k in zip(query, key):
        positive = np.exp(q @ k / temperature)
        negatives = sum(np.exp(q @ negative / temperature) for negative in queue)
        losses.append(-np.log(positive / (positive + negatives)))
    return float(np.mean(losses))


@pytest.mark.parametrize("temperature", [0.07, 0.2, 1.0])
def test_matches_numpy_oracle(rng, temperature):
    query, key = rng.normal(size=(2, 5, 8)).astype("float32")
    queue = rng.normal(size=(11, 8)).astype("float32")
    np.testing.assert_allclose(
        float(info_nce(query, key, queue, temperature)),
        numpy_info_nce(query, key, queue, temperature),
        rtol=1e-5,
    )


def test_logits_put_the_positive_first(rng):
    query, key = rng.normal(size=(2, 3, 4)).astype("float32")
    queue = rng.normal(size=(6, 4)).astype("float32")
    logits = to_numpy(info_nce_logits(query, key, queue, 0.5))
    assert logits.shape == (3, 7)
    unit = query / np.linalg.norm(query, axis=1, keepdims=True)
    key_unit = key / np.linalg.norm(key, axis=1, keepdims=True)
    np.testing.assert_allclose(logits[:, 0], np.sum(unit * key_unit, 1) / 0.5, rtol=1e-5)


def test_closed_form_with_orthogonal_negatives():
    # q = k and every negative orthogonal to q: L = log(1 + K exp(-1 / tau)).
    query = np.eye(4, dtype="float32")[:1]
    queue = np.eye(4, dtype="float32")[1:]
    expected = np.log(1 + 3 * np.exp(-1 / 0.5))
    np.testing.assert_allclose(float(info_nce(query, query, queue, 0.5)), expected, rtol=1e-6)


def test_rejects_bad_arguments(rng):
    z = rng.normal(size=(2, 4)).astype("float32")
    with pytest.raises(ValueError, match="temperature"):
        info_nce(z, z, z, temperature=0)
    with pytest.raises(ValueError, match="negative_keys"):
        info_nce(z, z, z[0], temperature=0.1)
