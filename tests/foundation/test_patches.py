import math

import keras
import numpy as np
import pytest

from ssl_keras.foundation import (
    num_masked_patches,
    patchify,
    random_masking,
    sincos_position_embedding_2d,
    unpatchify,
)
from tests.conftest import to_numpy


def test_patchify_matches_numpy_blocks_and_unpatchify_inverts(rng):
    images = rng.normal(size=(2, 8, 12, 3)).astype("float32")
    patches = to_numpy(patchify(images, 4))
    assert patches.shape == (2, 6, 48)
    # Oracle: patch i*grid_w + j is the (i, j) block flattened in (row, column, channel).
    for b in range(2):
        for i in range(2):
            for j in range(3):
                block = images[b, 4 * i : 4 * i + 4, 4 * j : 4 * j + 4, :]
                np.testing.assert_array_equal(patches[b, i * 3 + j], block.reshape(-1))
    np.testing.assert_array_equal(to_numpy(unpatchify(patches, 4, (8, 12, 3))), images)
    square = rng.normal(size=(3, 16, 16, 1)).astype("float32")
    np.testing.assert_array_equal(to_numpy(unpatchify(patchify(square, 4), 4)), square)
    # And the other way round: patchify(unpatchify(p)) == p.
    tokens = rng.normal(size=(2, 16, 48)).astype("float32")
    np.testing.assert_array_equal(to_numpy(patchify(unpatchify(tokens, 4), 4)), tokens)


def test_patchify_rejects_bad_sizes():
    with pytest.raises(ValueError, match="multiples of `patch_size`"):
        patchify(np.zeros((1, 10, 8, 3)), 4)
    with pytest.raises(ValueError, match="rank-4"):
        patchify(np.zeros((10, 8, 3)), 4)
    with pytest.raises(ValueError, match="do not match"):
        unpatchify(np.zeros((1, 16, 48)), 4, (16, 16, 1))


@pytest.mark.parametrize("ratio", [0.25, 0.5, 0.75, 0.9])
def test_random_masking_exact_fraction_per_image(ratio, rng):
    num_patches = 16
    tokens = rng.normal(size=(8, num_patches, 4)).astype("float32")
    visible, mask, restore = random_masking(tokens, ratio, seed=keras.random.SeedGenerator(3))
    visible, mask, restore = to_numpy(visible), to_numpy(mask), to_numpy(restore)
    expected_masked = round(ratio * num_patches)
    assert mask.shape == (8, num_patches)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_array_equal(mask.sum(axis=1), np.full(8, expected_masked))
    assert visible.shape == (8, num_patches - expected_masked, 4)
    # Different images get different masks.
    assert len({tuple(row) for row in mask.astype(int)}) > 1
    for b in range(8):
        # Visible tokens are exactly the unmasked tokens (as sets of rows).
        kept = tokens[b][mask[b] == 0]
        order = np.lexsort(kept.T)
        order_visible = np.lexsort(visible[b].T)
        np.testing.assert_allclose(visible[b][order_visible], kept[order])
        # restore_ids is a permutation.
        np.testing.assert_array_equal(np.sort(restore[b]), np.arange(num_patches))


def test_restore_ids_put_tokens_back_in_patch_order(rng):
    tokens = rng.normal(size=(4, 16, 3)).astype("float32")
    visible, mask, restore = random_masking(tokens, 0.75, seed=0)
    visible, mask, restore = to_numpy(visible), to_numpy(mask), to_numpy(restore)
    for b in range(4):
        filler = np.full((12, 3), np.nan, dtype="float32")
        full = np.concatenate([visible[b], filler])[restore[b]]
        np.testing.assert_allclose(full[mask[b] == 0], tokens[b][mask[b] == 0])
        assert np.all(np.isnan(full[mask[b] == 1]))


def test_masking_seeded_reproducible_and_ratio_validated(rng):
    tokens = rng.normal(size=(4, 16, 2)).astype("float32")
    _, mask_a, _ = random_masking(tokens, 0.5, seed=7)
    _, mask_b, _ = random_masking(tokens, 0.5, seed=7)
    np.testing.assert_array_equal(to_numpy(mask_a), to_numpy(mask_b))
    assert num_masked_patches(16, 0.9) == 14
    assert num_masked_patches(196, 0.75) == 147
    for bad in (-0.1, 1.0, True, 0.97):
        with pytest.raises(ValueError, match="mask_ratio"):
            num_masked_patches(16, bad)


def test_sincos_position_embedding_matches_mae_reference():
    # Independent transcription of MAE's get_2d_sincos_pos_embed (util/pos_embed.py).
    def mae_1d(embed_dim, pos):
        omega = np.arange(embed_dim // 2, dtype=np.float64) / (embed_dim / 2.0)
        omega = 1.0 / 10000**omega
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    def mae_2d(embed_dim, grid_size):
        grid_h = np.arange(grid_size, dtype=np.float32)
        grid_w = np.arange(grid_size, dtype=np.float32)
        grid = np.meshgrid(grid_w, grid_h)
        grid = np.stack(grid, axis=0).reshape([2, 1, grid_size, grid_size])
        emb_h = mae_1d(embed_dim // 2, grid[0])
        emb_w = mae_1d(embed_dim // 2, grid[1])
        return np.concatenate([emb_h, emb_w], axis=1)

    np.testing.assert_allclose(sincos_position_embedding_2d(16, 4), mae_2d(16, 4), atol=1e-6)
    assert sincos_position_embedding_2d(8, (2, 3)).shape == (6, 8)
    assert math.isclose(float(sincos_position_embedding_2d(8, 2)[0, 4]), 0.0)  # sin(0)
    with pytest.raises(ValueError, match="multiple of 4"):
        sincos_position_embedding_2d(10, 4)


def test_masking_with_given_noise_keeps_the_lowest_noise_patches(rng):
    # MAE's rule, by hand: sort each image's patches by noise, keep the first ones.
    tokens = rng.normal(size=(3, 10, 4)).astype("float32")
    noise = rng.uniform(size=(3, 10)).astype("float32")
    visible, mask, restore = (to_numpy(x) for x in random_masking(tokens, 0.6, noise=noise))
    assert visible.shape == (3, 4, 4)
    for i in range(3):
        order = sorted(range(10), key=lambda j: noise[i, j])
        kept = order[:4]
        np.testing.assert_allclose(visible[i], tokens[i, kept])
        np.testing.assert_array_equal(mask[i], [0.0 if j in kept else 1.0 for j in range(10)])
        # restore puts [visible, masked-in-noise-order] back in patch order.
        shuffled = tokens[i, order]
        np.testing.assert_allclose(shuffled[restore[i]], tokens[i])
    with pytest.raises(ValueError, match="noise"):
        random_masking(tokens, 0.5, noise=noise[:, :5])
