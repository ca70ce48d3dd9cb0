import math

import keras
import numpy as np
import pytest

from ssl_keras.losses import (
    AlignmentUniformity,
    CLIPContrastiveLoss,
    MarginTriplet,
    NTLogistic,
    PositivesOnlyLoss,
    alignment_uniformity,
    clip_contrastive_loss,
    margin_triplet,
    nt_logistic,
    nt_xent,
    positives_only_loss,
)
from tests.conftest import to_numpy
from tests.losses.reference import cosine, loops_over_anchors


def _log_sigmoid(x):
    return -math.log1p(math.exp(-x))


def test_positives_only_is_negative_mean_cosine(rng):
    z_a, z_b = rng.normal(size=(2, 7, 5)).astype("float32")
    expected = -np.mean([cosine(a, b) for a, b in zip(z_a, z_b)])
    np.testing.assert_allclose(to_numpy(positives_only_loss(z_a, z_b)), expected, rtol=1e-5)


def test_positives_only_is_minimal_for_a_collapsed_representation(rng):
    collapsed = np.tile(rng.normal(size=(1, 5)), (6, 1)).astype("float32")
    np.testing.assert_allclose(to_numpy(positives_only_loss(collapsed, collapsed)), -1.0,
                               rtol=1e-6)
    # NT-Xent, in contrast, is high for the collapsed representation: log(2N - 1).
    np.testing.assert_allclose(to_numpy(nt_xent(collapsed, collapsed, 0.5)), math.log(11),
                               rtol=1e-5)


@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0])
def test_nt_logistic_matches_loop(rng, tau):
    z_a, z_b = rng.normal(size=(2, 4, 3)).astype("float32")
    terms = []
    for sim, i, j, negatives in loops_over_anchors(z_a, z_b):
        positive = -_log_sigmoid(sim[i, j] / tau)
        negative = -np.mean([_log_sigmoid(-sim[i, k] / tau) for k in negatives])
        terms.append(positive + negative)
    np.testing.assert_allclose(to_numpy(nt_logistic(z_a, z_b, tau)), np.mean(terms), rtol=1e-5)


@pytest.mark.parametrize("margin", [0.0, 0.5, 1.0])
def test_margin_triplet_matches_loop(rng, margin):
    z_a, z_b = rng.normal(size=(2, 4, 3)).astype("float32")
    terms = []
    for sim, i, j, negatives in loops_over_anchors(z_a, z_b):
        terms.append(np.mean([max(sim[i, k] - sim[i, j] + margin, 0.0) for k in negatives]))
    np.testing.assert_allclose(to_numpy(margin_triplet(z_a, z_b, margin)), np.mean(terms),
                               rtol=1e-5, atol=1e-7)


def test_margin_triplet_zero_when_positives_beat_negatives_by_the_margin():
    z = np.eye(4, dtype="float32")  # positives 1, negatives 0
    np.testing.assert_allclose(to_numpy(margin_triplet(z, z, margin=1.0)), 0.0, atol=1e-7)


@pytest.mark.parametrize("tau", [0.05, 0.5, 3.0])
def test_alignment_plus_uniformity_is_tau_times_nt_xent(rng, tau):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    alignment, uniformity = alignment_uniformity(z_a, z_b, tau)
    np.testing.assert_allclose(to_numpy(alignment) + to_numpy(uniformity),
                               tau * to_numpy(nt_xent(z_a, z_b, tau)), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(alignment), to_numpy(positives_only_loss(z_a, z_b)),
                               rtol=1e-5)
    # Uniformity from its definition, in a loop.
    expected = np.mean([tau * math.log(sum(math.exp(sim[i, k] / tau)
                                            for k in range(len(sim)) if k != i))
                        for sim, i, _, _ in loops_over_anchors(z_a, z_b)])
    np.testing.assert_allclose(to_numpy(uniformity), expected, rtol=1e-5)


def test_alignment_uniformity_class_weights(rng):
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    stacked = np.concatenate([z_a, z_b])
    alignment, uniformity = (to_numpy(v) for v in alignment_uniformity(z_a, z_b, 0.5))
    loss = AlignmentUniformity(temperature=0.5, alignment_weight=2.0, uniformity_weight=0.5)
    np.testing.assert_allclose(to_numpy(loss(np.zeros(12), stacked)),
                               2 * alignment + 0.5 * uniformity, rtol=1e-5)


def test_clip_loss_matches_cross_entropy_loop(rng):
    images, texts = rng.normal(size=(2, 5, 8)).astype("float32")
    tau = 0.07
    logits = np.array([[cosine(i, t) / tau for t in texts] for i in images])

    def cross_entropy(matrix):
        return np.mean([-(matrix[r, r] - np.log(np.exp(matrix[r]).sum()))
                        for r in range(len(matrix))])

    expected = (cross_entropy(logits) + cross_entropy(logits.T)) / 2
    np.testing.assert_allclose(to_numpy(clip_contrastive_loss(images, texts, tau)), expected,
                               rtol=1e-5)
    stacked = np.concatenate([images, texts])
    np.testing.assert_allclose(to_numpy(CLIPContrastiveLoss(tau)(np.zeros(10), stacked)),
                               expected, rtol=1e-5)


def test_clip_loss_is_asymmetric_in_general_but_symmetric_in_swapping_modalities(rng):
    images, texts = rng.normal(size=(2, 5, 8)).astype("float32")
    np.testing.assert_allclose(to_numpy(clip_contrastive_loss(images, texts)),
                               to_numpy(clip_contrastive_loss(texts, images)), rtol=1e-5)


@pytest.mark.parametrize(
    "loss",
    [
        PositivesOnlyLoss(),
        NTLogistic(temperature=0.3),
        MarginTriplet(margin=0.4),
        AlignmentUniformity(temperature=0.2, alignment_weight=0.5),
        CLIPContrastiveLoss(temperature=0.1),
    ],
    ids=lambda loss: type(loss).__name__,
)
def test_classes_round_trip_through_config(rng, loss):
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    stacked = rng.normal(size=(8, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(restored(np.zeros(8), stacked)),
                               to_numpy(loss(np.zeros(8), stacked)), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="margin"):
        MarginTriplet(margin=-1)
    with pytest.raises(ValueError, match="temperature"):
        nt_logistic(np.ones((3, 2)), np.ones((3, 2)), temperature=0)
    with pytest.raises(ValueError, match="temperature"):
        clip_contrastive_loss(np.ones((3, 2)), np.ones((3, 2)), temperature=-0.1)
    with pytest.raises(ValueError, match="batch size"):
        clip_contrastive_loss(np.ones((3, 2)), np.ones((4, 2)))
