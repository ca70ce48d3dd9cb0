import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from ssl_keras.foundation import (
    attention_scores,
    cls_attention_maps,
    foreground_masks,
    pca_rgb,
    plot_attention_comparison,
    plot_attention_maps,
    plot_pca_features,
)
from tests.conftest import to_numpy


def _random_attention(rng, batch, heads, tokens):
    logits = rng.normal(size=(batch, heads, tokens, tokens))
    weights = np.exp(logits)
    return (weights / weights.sum(-1, keepdims=True)).astype("float32")


@pytest.mark.parametrize("num_registers", [0, 4])
def test_cls_attention_maps_against_numpy_loop(rng, num_registers):
    grid = (3, 4)
    tokens = 1 + num_registers + 12
    attention = _random_attention(rng, 2, 3, tokens)
    maps = cls_attention_maps(attention, grid_size=grid, num_registers=num_registers)
    assert maps.shape == (2, 3, 3, 4)
    for b in range(2):
        for h in range(3):
            for i in range(3):
                for j in range(4):
                    token = 1 + num_registers + i * 4 + j
                    assert maps[b, h, i, j] == attention[b, h, 0, token]
    with pytest.raises(ValueError, match="number of tokens"):
        cls_attention_maps(attention, grid_size=(4, 4), num_registers=num_registers)
    square = _random_attention(rng, 1, 2, 17)
    assert cls_attention_maps(square).shape == (1, 2, 4, 4)


def _smallest_top_set_mass(values, keep_mass):
    """Oracle: greedily add the largest values until their share reaches keep_mass."""
    order = np.argsort(-values, kind="stable")
    share = values[order] / values.sum()
    count = int(np.searchsorted(np.cumsum(share), keep_mass - 1e-12) + 1)
    keep = np.zeros(values.shape, dtype=bool)
    keep[order[:count]] = True
    return keep


@pytest.mark.parametrize("keep_mass", [0.3, 0.6, 0.9])
def test_foreground_masks_keep_requested_mass(rng, keep_mass):
    maps = rng.random((2, 3, 4, 4)) ** 3
    masks = foreground_masks(maps, keep_mass=keep_mass)
    assert masks.shape == maps.shape and masks.dtype == bool
    for b in range(2):
        for h in range(3):
            values = maps[b, h].reshape(-1)
            kept = masks[b, h].reshape(-1)
            np.testing.assert_array_equal(kept, _smallest_top_set_mass(values, keep_mass))
            share = values[kept].sum() / values.sum()
            assert share >= keep_mass - 1e-9
            # Minimal: dropping the smallest kept patch falls below the requested mass.
            assert share - values[kept].min() / values.sum() < keep_mass
    relative = foreground_masks(maps, threshold=0.5)
    np.testing.assert_array_equal(relative, maps >= 0.5 * maps.max(axis=(-2, -1), keepdims=True))
    with pytest.raises(ValueError, match="keep_mass"):
        foreground_masks(maps, keep_mass=0.0)


def test_attention_scores_capture_matches_numpy_softmax(rng):
    inputs = keras.Input((5, 8))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    model = keras.Model(inputs, layer(inputs, inputs))
    x = rng.normal(size=(3, 5, 8)).astype("float32")
    expected_output = to_numpy(model(x))
    (scores,) = attention_scores(model, x)
    # Oracle: softmax(Q K^T / sqrt(d)) from the layer's own projection weights.
    wq, bq = (to_numpy(v) for v in layer._query_dense.weights)
    wk, bk = (to_numpy(v) for v in layer._key_dense.weights)
    q = np.einsum("btd,dhk->bthk", x, wq) + bq
    k = np.einsum("btd,dhk->bthk", x, wk) + bk
    logits = np.einsum("bqhk,bshk->bhqs", q, k) / np.sqrt(4.0)
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    np.testing.assert_allclose(scores, probabilities, rtol=1e-4, atol=1e-5)
    # The model is restored and its output unchanged.
    np.testing.assert_allclose(to_numpy(model(x)), expected_output, rtol=1e-5, atol=1e-6)
    assert "call" not in vars(layer)
    with pytest.raises(ValueError, match="MultiHeadAttention"):
        attention_scores(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]), x[:, 0, :3])


def test_pca_rgb_matches_sklearn_projection_up_to_sign(rng):
    from sklearn.decomposition import PCA

    features = rng.normal(size=(3, 16, 8)) @ rng.normal(size=(8, 8))
    rgb = pca_rgb(features, grid_size=4)
    assert rgb.shape == (3, 4, 4, 3) and rgb.dtype == np.float32
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    projection = PCA(n_components=3).fit_transform(features.reshape(-1, 8))
    scaled = (projection - projection.min(0)) / (projection.max(0) - projection.min(0))
    flat = rgb.reshape(-1, 3)
    for c in range(3):
        same = np.allclose(flat[:, c], scaled[:, c], atol=1e-5)
        flipped = np.allclose(flat[:, c], 1.0 - scaled[:, c], atol=1e-5)
        assert same or flipped
        assert flat[:, c].min() == 0.0 and flat[:, c].max() == 1.0


def test_pca_rgb_with_foreground_fits_on_foreground_only(rng):
    from sklearn.decomposition import PCA

    features = rng.normal(size=(2, 16, 6))
    foreground = rng.random((2, 4, 4)) > 0.4
    rgb = pca_rgb(features, foreground=foreground)
    assert np.all(rgb[~foreground] == 0.0)
    flat_foreground = foreground.reshape(2, 16)
    projection = PCA(n_components=3).fit_transform(features[flat_foreground])
    scaled = (projection - projection.min(0)) / (projection.max(0) - projection.min(0))
    for c in range(3):
        got = rgb[foreground][:, c]
        assert np.allclose(got, scaled[:, c], atol=1e-5) or np.allclose(
            got, 1.0 - scaled[:, c], atol=1e-5
        )
    with pytest.raises(ValueError, match="n_components"):
        pca_rgb(features, n_components=7)


def test_foundation_plots_return_figures(rng, tmp_path):
    images = rng.integers(0, 256, size=(2, 16, 16, 3)).astype("uint8")
    maps = rng.random((2, 3, 4, 4))
    figure = plot_attention_maps(images, maps, path=tmp_path / "attention.png")
    assert isinstance(figure, Figure) and len(figure.axes) == 2 * (2 + 3)
    figure = plot_pca_features(images, rng.random((2, 4, 4, 3)), path=tmp_path / "pca.png")
    assert len(figure.axes) == 4
    figure = plot_attention_comparison(
        images, {"dinov2": maps, "supervised": maps.mean(1)}, path=tmp_path / "cmp.png"
    )
    assert len(figure.axes) == 2 * 3
    for name in ("attention.png", "pca.png", "cmp.png"):
        assert (tmp_path / name).stat().st_size > 0
