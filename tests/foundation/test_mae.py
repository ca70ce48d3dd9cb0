import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from ssl_keras.foundation import (
    MaskedAutoencoder,
    masked_patch_loss,
    patchify,
    plot_mae_reconstructions,
)
from tests.conftest import to_numpy

TINY = dict(
    image_shape=(16, 16, 3),
    patch_size=4,
    hidden_dim=16,
    num_layers=1,
    num_heads=2,
    decoder_hidden_dim=16,
    decoder_num_layers=1,
    decoder_num_heads=2,
)


def numpy_masked_mse(images, predictions, mask, patch_size, norm_pix):
    """Reference: MAE's forward_loss, written with explicit loops over patches."""
    b, h, w, c = images.shape
    p = patch_size
    total, count = 0.0, 0.0
    for n in range(b):
        for i in range(h // p):
            for j in range(w // p):
                k = i * (w // p) + j
                target = images[n, i * p : (i + 1) * p, j * p : (j + 1) * p, :].reshape(-1) / 255.0
                if norm_pix:
                    target = (target - target.mean()) / np.sqrt(target.var(ddof=1) + 1e-6)
                total += mask[n, k] * np.mean((predictions[n, k] - target) ** 2)
                count += mask[n, k]
    return total / count


@pytest.mark.parametrize("norm_pix", [False, True])
def test_masked_patch_loss_matches_numpy_and_ignores_visible_patches(rng, norm_pix):
    images = rng.integers(0, 256, size=(3, 8, 8, 3)).astype("float32")
    predictions = rng.normal(size=(3, 4, 48)).astype("float32")
    mask = np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 0]], dtype="float32")
    loss = float(to_numpy(masked_patch_loss(images, predictions, mask, 4, norm_pix)))
    expected = numpy_masked_mse(images, predictions, mask, 4, norm_pix)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    # Changing predictions on visible patches changes nothing; on a masked one it does.
    changed = predictions.copy()
    changed[mask == 0] += 100.0
    np.testing.assert_allclose(
        float(to_numpy(masked_patch_loss(images, changed, mask, 4, norm_pix))), loss, rtol=1e-6
    )
    changed[0, 0] += 1.0
    assert float(to_numpy(masked_patch_loss(images, changed, mask, 4, norm_pix))) != loss


def test_model_loss_is_masked_mse_of_its_own_outputs(rng):
    model = MaskedAutoencoder(**TINY, seed=1)
    images = rng.integers(0, 256, size=(4, 16, 16, 3)).astype("float32")
    # Ratios 0.25 / 0.9 only in eager tests: jax compiles each new shape once.
    outputs = model(images, training=False, mask_ratio=0.25)
    predictions, mask = to_numpy(outputs["predictions"]), to_numpy(outputs["mask"])
    assert predictions.shape == (4, 16, 48)
    np.testing.assert_array_equal(mask.sum(axis=1), np.full(4, 4.0))
    loss = float(to_numpy(model.compute_loss(images, None, outputs)))
    np.testing.assert_allclose(
        loss, numpy_masked_mse(images, predictions, mask, 4, False), rtol=1e-5
    )
    edited = dict(outputs, predictions=np.where(mask[..., None] == 0, 5.0, predictions))
    np.testing.assert_allclose(
        float(to_numpy(model.compute_loss(images, None, edited))), loss, rtol=1e-6
    )


def test_fit_one_step_is_finite_and_updates_weights(rng):
    model = MaskedAutoencoder(**TINY, norm_pix_loss=True, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = rng.integers(0, 256, size=(4, 16, 16, 3)).astype("uint8")
    model.build(images.shape)
    before = [to_numpy(w).copy() for w in model.trainable_weights]
    history = model.fit(images, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = [to_numpy(w) for w in model.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(before, after))
    # Labels (and a (images, labels) tuple as x) are ignored by the loss.
    outputs = model(images[:4], training=False, mask_ratio=0.25)
    loss = to_numpy(model.compute_loss(images[:4], None, outputs))
    with_labels = to_numpy(model.compute_loss((images[:4], np.zeros(4)), np.zeros(4), outputs))
    np.testing.assert_allclose(with_labels, loss)


def test_reconstruct_shapes_mask_fraction_encoder_and_plot(rng, tmp_path):
    model = MaskedAutoencoder(**TINY, pooling="mean", seed=0)
    images = rng.integers(0, 256, size=(4, 16, 16, 3)).astype("uint8")
    for ratio, masked in ((0.25, 4), (0.9, 14)):
        reconstruction, mask = model.reconstruct(images, mask_ratio=ratio)
        assert reconstruction.shape == (4, 16, 16, 3) and mask.shape == (4, 16, 16, 1)
        assert reconstruction.min() >= 0.0 and reconstruction.max() <= 255.0
        # Pixel mask: whole 4x4 patches, exactly `masked` of 16 per image.
        np.testing.assert_allclose(mask.mean(axis=(1, 2, 3)), masked / 16)
        np.testing.assert_array_equal(to_numpy(patchify(mask, 4)).std(axis=-1), 0.0)
        pasted, mask_pasted = model.reconstruct(images, mask_ratio=ratio, paste_visible=True)
        visible = np.broadcast_to(mask_pasted == 0, pasted.shape)
        np.testing.assert_allclose(pasted[visible], images.astype("float32")[visible])
    features = model.encoder.predict(images, verbose=0)
    tokens = to_numpy(model.token_encoder(images))
    assert features.shape == (4, 16) and tokens.shape == (4, 17, 16)
    np.testing.assert_allclose(features, tokens[:, 1:].mean(axis=1), rtol=1e-4, atol=1e-5)

    figure = plot_mae_reconstructions(
        model, images, mask_ratios=(0.25, 0.9), path=tmp_path / "mae.png"
    )
    assert isinstance(figure, Figure)
    assert len(figure.axes) == (1 + 2 * 2) * 4
    assert (tmp_path / "mae.png").stat().st_size > 0


def test_get_config_round_trip_save_load_and_validation(rng, tmp_path):
    model = MaskedAutoencoder(**TINY, mask_ratio=0.5, norm_pix_loss=True, seed=3)
    config = model.get_config()
    clone = MaskedAutoencoder.from_config(config)
    for key in ("patch_size", "hidden_dim", "mask_ratio", "norm_pix_loss", "pooling", "seed"):
        assert getattr(clone, key) == getattr(model, key)
    assert tuple(clone.image_shape) == (16, 16, 3)
    images = rng.integers(0, 256, size=(4, 16, 16, 3)).astype("float32")
    clone.encoder.set_weights(model.encoder.get_weights())
    np.testing.assert_allclose(
        to_numpy(clone.encoder(images)), to_numpy(model.encoder(images)), rtol=1e-5, atol=1e-6
    )
    model.build(images.shape)
    model.save(tmp_path / "mae.keras")
    loaded = keras.saving.load_model(tmp_path / "mae.keras")
    assert isinstance(loaded, MaskedAutoencoder) and loaded.norm_pix_loss
    np.testing.assert_allclose(
        to_numpy(loaded.encoder(images)), to_numpy(model.encoder(images)), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(ValueError, match="mask_ratio"):
        MaskedAutoencoder(**TINY, mask_ratio=1.0)
    with pytest.raises(ValueError, match="patch_size"):
        MaskedAutoencoder(**dict(TINY, patch_size=5))
    with pytest.raises(ValueError, match="mask_ratio"):
        model(images, mask_ratio=0.99)
