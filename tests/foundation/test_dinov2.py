import sys

import keras
import numpy as np
import pytest

from ssl_keras.foundation import (
    MaskedAutoencoder,
    attention_scores,
    cls_attention_maps,
    dinov2_attention,
    foreground_masks,
    knn_evaluate,
    load_backbone,
    load_dinov2,
    pca_rgb,
    preprocess_images,
    vit_features,
)
from tests.conftest import to_numpy


def test_missing_keras_hub_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras_hub", None)  # makes `import keras_hub` fail
    with pytest.raises(ImportError, match="pip install keras-hub"):
        load_dinov2("dinov2_small")


def test_preprocess_images_resizes_and_normalises():
    images = np.full((2, 8, 8, 3), 255.0, dtype="float32")
    out = to_numpy(preprocess_images(images, image_size=14))
    assert out.shape == (2, 14, 14, 3)
    expected = (1.0 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(out[0, 3, 5], expected, rtol=1e-5)


def test_vit_tools_on_the_mae_token_encoder(rng):
    # The tools need no keras-hub: the MAE's unmasked token encoder is a ViT.
    mae = MaskedAutoencoder(
        (16, 16, 3),
        patch_size=4,
        hidden_dim=16,
        num_layers=2,
        num_heads=2,
        decoder_hidden_dim=16,
        decoder_num_layers=1,
        decoder_num_heads=2,
        seed=0,
    )
    images = rng.integers(0, 256, size=(4, 16, 16, 3)).astype("float32")
    scores = attention_scores(mae.token_encoder, images)
    assert len(scores) == 2 and scores[-1].shape == (4, 2, 17, 17)
    np.testing.assert_allclose(scores[-1].sum(-1), 1.0, rtol=1e-4)
    maps = dinov2_attention(mae.token_encoder, images)
    np.testing.assert_array_equal(maps, cls_attention_maps(scores[-1]))
    tokens = to_numpy(mae.token_encoder(images))
    np.testing.assert_allclose(
        vit_features(mae.token_encoder, images), tokens[:, 0], rtol=1e-5, atol=1e-6
    )
    labels = np.array([0, 1, 0, 1])
    accuracy = knn_evaluate(mae.token_encoder, images, labels, images, labels, k=1)
    assert accuracy == 1.0  # each test image is its own nearest neighbour


def test_vit_features_batches_and_pools_like_numpy(rng):
    # Any model returning tokens works; "images" here are already tokens (batch, 6, 3),
    # with 1 class token, 1 register and 4 patches.
    model = keras.Sequential([keras.Input((6, 3)), keras.layers.Dense(2)])
    tokens_in = rng.normal(size=(5, 6, 3)).astype("float32")
    tokens = to_numpy(model(tokens_in))
    expected = {
        "cls": tokens[:, 0],
        "mean": tokens[:, 2:].mean(1),
        "cls_mean": np.concatenate([tokens[:, 0], tokens[:, 2:].mean(1)], axis=1),
        "patches": tokens[:, 2:],
    }
    for pooling, value in expected.items():
        got = vit_features(model, tokens_in, pooling=pooling, num_registers=1, batch_size=2)
        np.testing.assert_allclose(got, value, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pooling"):
        vit_features(model, tokens_in, pooling="max")


@pytest.fixture(scope="module")
def tiny_dinov2():
    keras_hub = pytest.importorskip("keras_hub")
    return keras_hub.models.DINOV2Backbone(
        patch_size=4,
        num_layers=2,
        hidden_dim=16,
        num_heads=2,
        intermediate_dim=32,
        num_register_tokens=2,
        image_shape=(16, 16, 3),
        position_embedding_shape=(16, 16, 3),
    )


def test_dinov2_attention_matches_manual_replay_of_last_block(tiny_dinov2, rng):
    images = rng.normal(size=(2, 16, 16, 3)).astype("float32")
    maps = dinov2_attention(tiny_dinov2, images)
    assert maps.shape == (2, 2, 4, 4)
    # Oracle: run the last block's norm and attention by hand on the previous stage.
    previous = keras.Model(tiny_dinov2.inputs, tiny_dinov2.pyramid_outputs["stage1"])
    hidden = previous({"images": images})
    last = tiny_dinov2.encoder.layers[-1]
    normed = last.norm1(hidden)
    _, scores = last.attention.attention(normed, normed, return_attention_scores=True)
    expected = to_numpy(scores)[:, :, 0, 3:].reshape(2, 2, 4, 4)  # skip CLS + 2 registers
    np.testing.assert_allclose(maps, expected, rtol=1e-4, atol=1e-6)

    patches = vit_features(tiny_dinov2, images, pooling="patches")
    assert patches.shape == (2, 16, 16)
    tokens = to_numpy(tiny_dinov2({"images": images}))
    np.testing.assert_allclose(patches, tokens[:, 3:], rtol=1e-5, atol=1e-6)
    foreground = foreground_masks(maps.mean(axis=1), keep_mass=0.6)
    rgb = pca_rgb(patches, foreground=foreground)
    assert rgb.shape == (2, 4, 4, 3) and np.all(rgb[~foreground] == 0)


def test_load_dinov2_from_local_preset_and_offline_errors(tiny_dinov2, tmp_path, rng):
    preset = tmp_path / "tiny_dinov2"
    tiny_dinov2.save_to_preset(str(preset))
    loaded = load_dinov2(str(preset), image_shape=None)
    images = {"images": rng.normal(size=(1, 16, 16, 3)).astype("float32")}
    np.testing.assert_allclose(
        to_numpy(loaded(images)), to_numpy(tiny_dinov2(images)), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(OSError, match="does not exist"):
        load_dinov2(str(tmp_path / "missing_preset"))
    with pytest.raises(OSError, match="local preset directory"):
        load_backbone("not_a_real_preset_name", "DINOV2Backbone")
