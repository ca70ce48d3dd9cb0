"""The tools that compare ViTs' attention with an object: the small `vit_encoder` (against a
NumPy forward pass written from the ViT equations), the last block's attention of keras-hub
ViTs, masks on a patch grid (against supersampling), and the attention mass on the object
(against a loop and closed forms)."""

import keras
import numpy as np
import pytest
from scipy.special import erf

from ssl_keras.foundation import (
    MaskedAutoencoder,
    attention_mass_inside,
    bright_object_masks,
    cls_attention_maps,
    dinov2_attention,
    last_block_attention,
    load_vit,
    num_register_tokens,
    patch_mask_fractions,
    vit_encoder,
)
from tests.conftest import to_numpy

# ------------------------------------------------------------------ patch_mask_fractions


def _supersampled_fractions(mask, grid):
    """Oracle: repeat each pixel grid_h x grid_w times, so that every patch is a whole
    block of H x W sub-pixels, and average each block."""
    height, width = mask.shape
    fine = np.repeat(np.repeat(mask.astype(float), grid[0], axis=0), grid[1], axis=1)
    return fine.reshape(grid[0], height, grid[1], width).mean(axis=(1, 3))


@pytest.mark.parametrize("shape, grid", [((16, 16), (4, 4)), ((16, 16), (14, 14)),
                                         ((7, 9), (3, 4)), ((5, 5), (5, 5)), ((6, 4), (1, 1))])
def test_patch_mask_fractions_against_supersampling(rng, shape, grid):
    masks = rng.random((3,) + shape) > 0.6
    fractions = patch_mask_fractions(masks, grid)
    assert fractions.shape == (3,) + grid
    for mask, got in zip(masks, fractions):
        np.testing.assert_allclose(got, _supersampled_fractions(mask, grid), atol=1e-12)
    # Area is conserved: the mean over patches is the mask's area fraction.
    np.testing.assert_allclose(fractions.mean(axis=(1, 2)), masks.mean(axis=(1, 2)))


def test_patch_mask_fractions_square_int_and_errors():
    mask = np.zeros((4, 4), bool)
    mask[:2, :1] = True
    np.testing.assert_array_equal(patch_mask_fractions(mask, 2), [[0.5, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="grid_size"):
        patch_mask_fractions(mask, 0)
    with pytest.raises(ValueError, match="height, width"):
        patch_mask_fractions(np.ones(4), 2)


# ------------------------------------------------------------------ attention_mass_inside


def test_attention_mass_inside_against_a_loop(rng):
    maps = rng.random((2, 3, 4, 5)) ** 3
    masks = rng.random((2, 3, 4, 5))
    got = attention_mass_inside(maps, masks)
    assert got.shape == (2, 3)
    for b in range(2):
        for h in range(3):
            inside = total = 0.0
            for i in range(4):
                for j in range(5):
                    inside += maps[b, h, i, j] * masks[b, h, i, j]
                    total += maps[b, h, i, j]
            assert got[b, h] == pytest.approx(inside / total, rel=1e-12)
    # one mask per image broadcasts over the heads
    np.testing.assert_allclose(attention_mass_inside(maps, masks[:, :1]),
                               attention_mass_inside(maps, np.repeat(masks[:, :1], 3, axis=1)))


def test_attention_mass_inside_closed_forms(rng):
    masks = rng.random((4, 6, 6)) > 0.5
    uniform = np.full((4, 6, 6), 0.01)
    # Uniform attention puts the mask's area fraction on it (the chance level) ...
    np.testing.assert_allclose(attention_mass_inside(uniform, masks), masks.mean(axis=(1, 2)))
    # ... attention only on the mask puts all of it there, whatever its scale.
    on_mask = masks * rng.random((4, 6, 6)) * 1e-6 + masks * 1e-9
    np.testing.assert_allclose(attention_mass_inside(on_mask, masks), 1.0)
    single = attention_mass_inside(np.array([[0.4, 0.1], [0.2, 0.1]]), np.eye(2))
    assert single.shape == () and float(single) == pytest.approx(0.625)
    with pytest.raises(ValueError, match="shape of `attention_maps`"):
        attention_mass_inside(uniform, masks[:, :3])


# ------------------------------------------------------------------ bright_object_masks


def test_bright_object_masks_recover_a_bright_object(rng):
    images = np.empty((3, 16, 16, 3))
    truth = np.zeros((3, 16, 16), bool)
    for index, (background, top, left) in enumerate([(30, 2, 3), (120, 6, 0), (0, 9, 9)]):
        truth[index, top:top + 6, left:left + 5] = True
        truth[index, top + 2:top + 4, left + 1:left + 4] = False  # a hole, as in a stroke
        gray = np.where(truth[index], background + 110, background)
        images[index] = (gray + rng.normal(0, 4, (16, 16)))[..., None]
    np.testing.assert_array_equal(bright_object_masks(images), truth)
    np.testing.assert_array_equal(bright_object_masks(images[..., 0]), truth)  # no channels
    with pytest.raises(ValueError, match="percentile"):
        bright_object_masks(images, percentile=50)


# ------------------------------------------------------------------ vit_encoder


def _layer_norm(x, layer):
    gamma, beta = (to_numpy(w) for w in layer.weights)
    mean = x.mean(-1, keepdims=True)
    variance = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-6) * gamma + beta


def _numpy_vit(model, images, patch_size):
    """Oracle: the ViT forward pass written from its equations with the model's weights.
    Returns the class-token features and the last block's attention probabilities."""
    layers = {layer.name: layer for layer in model.layers}
    x = images.astype("float64") / 255.0
    n, height, width, channels = x.shape
    p = patch_size
    patches = [x[:, i:i + p, j:j + p, :].reshape(n, -1)
               for i in range(0, height, p) for j in range(0, width, p)]
    embedding = layers["patch_embedding"]
    kernel, bias = (to_numpy(w) for w in embedding.projection.weights)
    tokens = np.stack(patches, axis=1) @ kernel + bias
    tokens = tokens + to_numpy(embedding.position_embedding)
    cls = to_numpy(layers["class_token"].token)
    tokens = np.concatenate([np.repeat(cls, n, axis=0), tokens], axis=1)
    probabilities = None
    for index in range(sum(name.startswith("block_") for name in layers)):
        block = layers[f"block_{index}"]
        attention = block.attention
        h = _layer_norm(tokens, block.attention_norm)

        def dense(layer, values):
            weight, offset = (to_numpy(w) for w in layer.weights)
            return np.einsum("btd,dhk->bthk", values, weight) + offset

        q = dense(attention._query_dense, h)
        k = dense(attention._key_dense, h)
        v = dense(attention._value_dense, h)
        logits = np.einsum("bqhk,bthk->bhqt", q, k) / np.sqrt(q.shape[-1])
        logits = logits - logits.max(-1, keepdims=True)
        probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        mixed = np.einsum("bhqt,bthk->bqhk", probabilities, v)
        out_kernel, out_bias = (to_numpy(w) for w in attention._output_dense.weights)
        tokens = tokens + np.einsum("bqhk,hkd->bqd", mixed, out_kernel) + out_bias
        h = _layer_norm(tokens, block.mlp_norm)
        w1, b1 = (to_numpy(w) for w in block.mlp_dense1.weights)
        w2, b2 = (to_numpy(w) for w in block.mlp_dense2.weights)
        hidden = h @ w1 + b1
        hidden = 0.5 * hidden * (1 + erf(hidden / np.sqrt(2)))  # exact GELU
        tokens = tokens + hidden @ w2 + b2
    tokens = _layer_norm(tokens, layers["norm"])
    return tokens[:, 0], probabilities


def test_vit_encoder_matches_a_numpy_forward_pass(rng):
    model = vit_encoder((8, 12, 3), patch_size=4, hidden_dim=16, num_layers=2, num_heads=2)
    for weight in model.trainable_weights:  # move off the initial values (zeros, ones)
        weight.assign(weight + rng.normal(0, 0.1, weight.shape).astype("float32"))
    images = rng.integers(0, 256, (3, 8, 12, 3)).astype("float32")
    features, probabilities = _numpy_vit(model, images, 4)
    np.testing.assert_allclose(to_numpy(model(images)), features, rtol=1e-4, atol=1e-4)
    captured = last_block_attention(model, images)
    assert captured.shape == (3, 2, 7, 7)
    np.testing.assert_allclose(captured, probabilities, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(cls_attention_maps(captured, grid_size=(2, 3)),
                               probabilities[:, :, 0, 1:].reshape(3, 2, 2, 3), rtol=1e-4,
                               atol=1e-5)


def test_vit_encoder_is_the_mae_encoder_and_pools(rng):
    config = dict(hidden_dim=16, num_layers=2, num_heads=2)
    mae = MaskedAutoencoder((16, 16, 3), patch_size=4, decoder_hidden_dim=16,
                            decoder_num_layers=1, decoder_num_heads=2, seed=0, **config)
    tokens_model = vit_encoder((16, 16, 3), 4, pooling=None, **config)
    tokens_model.set_weights(mae.token_encoder.get_weights())
    images = rng.integers(0, 256, (2, 16, 16, 3)).astype("float32")
    tokens = to_numpy(tokens_model(images))
    np.testing.assert_allclose(tokens, to_numpy(mae.token_encoder(images)), rtol=1e-5,
                               atol=1e-5)
    mean_model = vit_encoder((16, 16, 3), 4, pooling="mean", **config)
    mean_model.set_weights(tokens_model.get_weights())
    np.testing.assert_allclose(to_numpy(mean_model(images)), tokens[:, 1:].mean(1),
                               rtol=1e-5, atol=1e-5)
    assert num_register_tokens(tokens_model) == 0
    with pytest.raises(ValueError, match="pooling"):
        vit_encoder(pooling="max")
    with pytest.raises(ValueError, match="num_layers"):
        vit_encoder(num_layers=0)


def test_vit_encoder_saves_and_loads(rng, tmp_path):
    model = vit_encoder((8, 8, 3), patch_size=4, hidden_dim=8, num_layers=1, num_heads=2)
    images = rng.integers(0, 256, (2, 8, 8, 3)).astype("float32")
    path = tmp_path / "vit.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(to_numpy(loaded(images)), to_numpy(model(images)), rtol=1e-6)


# ------------------------------------------------------------------ keras-hub ViT


@pytest.fixture(scope="module")
def tiny_vit():
    keras_hub = pytest.importorskip("keras_hub")
    return keras_hub.models.ViTBackbone(image_shape=(16, 16, 3), patch_size=4, num_layers=2,
                                        num_heads=2, hidden_dim=16, mlp_dim=32)


def test_last_block_attention_of_a_keras_hub_vit(tiny_vit, rng):
    images = rng.normal(size=(2, 16, 16, 3)).astype("float32")
    captured = last_block_attention(tiny_vit, images)
    assert captured.shape == (2, 2, 17, 17)
    # Oracle: the last block's attention replayed on the previous block's output.
    blocks = tiny_vit.get_layer("vit_encoder").encoder_layers
    hidden = tiny_vit.get_layer("vit_patching_and_embedding")(images)
    for block in blocks[:-1]:
        hidden = block(hidden)
    normed = blocks[-1].layer_norm_1(hidden)
    _, expected = blocks[-1].mha(normed, normed, return_attention_scores=True)
    np.testing.assert_allclose(captured, to_numpy(expected), rtol=1e-4, atol=1e-6)
    assert num_register_tokens(tiny_vit) == 0
    np.testing.assert_array_equal(dinov2_attention(tiny_vit, images),
                                  cls_attention_maps(captured))


def test_load_vit_from_a_local_preset_and_offline(tiny_vit, tmp_path, rng):
    preset = tmp_path / "tiny_vit"
    tiny_vit.save_to_preset(str(preset))
    loaded = load_vit(str(preset))
    images = rng.normal(size=(1, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(loaded(images)), to_numpy(tiny_vit(images)),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(OSError, match="does not exist"):
        load_vit(str(tmp_path / "missing_preset"))
