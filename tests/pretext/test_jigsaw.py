"""2x2 jigsaw: permutations, tile placement against a slicing oracle, invertibility, model."""

import itertools

import keras
import numpy as np
import pytest

from ssl_keras.pretext import (
    JigsawPrediction,
    jigsaw_dataset,
    jigsaw_permutations,
    jigsaw_shuffle,
    jigsaw_unshuffle,
)
from tests.conftest import to_numpy
from tests.pretext.helpers import tiny_images, toy_encoder


def _shuffle_oracle(image, permutation):
    """Position t (row-major) of the output receives tile permutation[t], by slicing."""
    height, width = image.shape[:2]
    tile_h, tile_w = height // 2, width // 2
    out = np.empty_like(image)
    for position, tile in enumerate(permutation):
        r, c = divmod(position, 2)
        tr, tc = divmod(tile, 2)
        out[r * tile_h : (r + 1) * tile_h, c * tile_w : (c + 1) * tile_w] = image[
            tr * tile_h : (tr + 1) * tile_h, tc * tile_w : (tc + 1) * tile_w
        ]
    return out


def test_permutations_are_the_24_distinct_orderings():
    permutations = jigsaw_permutations()
    assert permutations.shape == (24, 4)
    rows = {tuple(int(v) for v in row) for row in permutations}
    # Independent enumeration: all 4-tuples over {0..3} with no repeated tile.
    brute_force = {t for t in itertools.product(range(4), repeat=4) if len(set(t)) == 4}
    assert rows == brute_force and len(rows) == 24
    assert tuple(permutations[0]) == (0, 1, 2, 3)


def test_tile_placement_matches_the_slicing_oracle():
    # Non-square, odd tile sides, 2 channels: catches height/width mix-ups.
    images = np.repeat(tiny_images(1, shape=(6, 10, 2)), 24, axis=0)
    shuffled = jigsaw_shuffle(images, np.arange(24))
    for index, permutation in enumerate(jigsaw_permutations()):
        np.testing.assert_array_equal(shuffled[index], _shuffle_oracle(images[0], permutation))
    # A hand-checked case: swapping the two top tiles (permutation [1, 0, 2, 3]).
    image = np.arange(16).reshape(4, 4, 1)
    index = [tuple(p) for p in jigsaw_permutations().tolist()].index((1, 0, 2, 3))
    expected = np.array([[2, 3, 0, 1], [6, 7, 4, 5], [8, 9, 10, 11], [12, 13, 14, 15]])
    np.testing.assert_array_equal(jigsaw_shuffle(image[None], [index])[0, ..., 0], expected)


def test_every_permutation_is_invertible_and_distinct():
    images = np.repeat(tiny_images(1), 24, axis=0)
    indices = np.arange(24)
    shuffled = jigsaw_shuffle(images, indices)
    np.testing.assert_array_equal(jigsaw_unshuffle(shuffled, indices), images)
    # Random tiles are all different, so the 24 puzzles are 24 different images.
    assert len({s.tobytes() for s in shuffled}) == 24
    np.testing.assert_array_equal(shuffled[0], images[0])  # index 0 is the identity


def test_dataset_labels_match_the_shuffle_and_are_seeded():
    images = tiny_images(32)
    shuffled, labels = jigsaw_dataset(images, seed=5)
    assert shuffled.shape == images.shape and shuffled.dtype == images.dtype
    assert labels.dtype == np.int32 and labels.min() >= 0 and labels.max() < 24
    assert len(set(labels.tolist())) > 4
    for image, puzzle, label in zip(images, shuffled, labels):
        np.testing.assert_array_equal(puzzle, _shuffle_oracle(image, jigsaw_permutations()[label]))
    np.testing.assert_array_equal(jigsaw_unshuffle(shuffled, labels), images)
    again, labels_again = jigsaw_dataset(images, seed=5)
    np.testing.assert_array_equal(labels, labels_again)
    np.testing.assert_array_equal(shuffled, again)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="divisible by 2"):
        jigsaw_dataset(np.zeros((2, 7, 8, 3)))
    with pytest.raises(ValueError, match="divisible by 2"):
        jigsaw_shuffle(np.zeros((1, 8, 5, 3)), [0])
    with pytest.raises(ValueError, match="rank-4"):
        jigsaw_dataset(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="permutation_indices"):
        jigsaw_shuffle(tiny_images(2), [0, 24])
    with pytest.raises(ValueError, match="permutation_indices"):
        jigsaw_unshuffle(tiny_images(2), [0])


def test_model_fits_one_step_with_24_classes():
    encoder = toy_encoder()
    model = JigsawPrediction(encoder)
    x, y = jigsaw_dataset(tiny_images(8), seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.encoder is encoder
    assert tuple(model(x).shape) == (8, 24)
    # With a zero head the cross-entropy is log(24) (uniform over the permutations).
    model.head.set_weights([np.zeros_like(w) for w in model.head.get_weights()])
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0)[0], np.log(24.0), rtol=1e-5)


def test_config_round_trip():
    model = JigsawPrediction(toy_encoder(), name="jigsaw")
    x, _ = jigsaw_dataset(tiny_images(8), seed=0)
    expected = to_numpy(model(x))
    clone = JigsawPrediction.from_config(model.get_config())
    clone(x)
    clone.set_weights(model.get_weights())
    assert clone.name == "jigsaw" and clone.head.units == 24
    np.testing.assert_allclose(to_numpy(clone(x)), expected, rtol=1e-5, atol=1e-5)
