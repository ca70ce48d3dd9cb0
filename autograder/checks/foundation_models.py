"""Checks of the foundation_models assignment: patchify, MAE's random masking (with
given noise) and DINO's keep-60%-of-the-mass foreground mask.

The visible checks compare with NumPy oracles written here, loop by loop, from the papers
(He et al., 2022; Caron et al., 2021); the hidden cases' references are
`ssl_keras.foundation`'s `patchify`, `random_masking(..., noise=...)` and
`foreground_masks`. `random_masking` returns three arrays; they are recorded as one
vector, each flattened, concatenated in order.
"""

from __future__ import annotations

import numpy as np

from ._core import Case, expect_close, normal, record_cases, to_array

# ------------------------------------------------------------------ NumPy oracles


def _oracle_patchify(images, patch_size):
    images = np.asarray(images)
    n, height, width, channels = images.shape
    rows, columns = height // patch_size, width // patch_size
    out = np.zeros((n, rows * columns, patch_size * patch_size * channels), images.dtype)
    for b in range(n):
        for i in range(rows):
            for j in range(columns):
                patch = images[b, i * patch_size:(i + 1) * patch_size,
                               j * patch_size:(j + 1) * patch_size, :]
                values = [patch[r, c, k] for r in range(patch_size)
                          for c in range(patch_size) for k in range(channels)]
                out[b, i * columns + j] = values
    return out


def _oracle_masking(tokens, mask_ratio, noise):
    tokens, noise = np.asarray(tokens), np.asarray(noise)
    n, num_patches, _ = tokens.shape
    num_kept = num_patches - int(round(mask_ratio * num_patches))
    visible, mask, restore = [], np.ones((n, num_patches)), np.zeros((n, num_patches))
    for b in range(n):
        order = sorted(range(num_patches), key=lambda j: noise[b, j])
        visible.append(tokens[b, order[:num_kept]])
        for position, patch in enumerate(order):
            restore[b, patch] = position
            if position < num_kept:
                mask[b, patch] = 0.0
    return np.stack(visible), mask, restore


def _oracle_keep_mass(maps, keep_mass=0.6):
    maps = np.asarray(maps, dtype="float64")
    flat = maps.reshape(-1, maps.shape[-2] * maps.shape[-1])
    keep = np.zeros(flat.shape, bool)
    for row in range(len(flat)):
        total, mass = flat[row].sum(), 0.0
        for index in sorted(range(flat.shape[1]), key=lambda j: -flat[row, j]):
            if mass >= keep_mass * total:
                break
            keep[row, index] = True
            mass += flat[row, index]
    return keep.reshape(maps.shape)


def _flat(values):
    return np.concatenate([to_array(value).ravel() for value in values])


# ------------------------------------------------------------------ package references


def reference_patchify(images, patch_size):
    from ssl_keras.foundation import patchify

    return patchify(images, patch_size)


def reference_random_masking(tokens, mask_ratio, noise):
    from ssl_keras.foundation import random_masking

    return _flat(random_masking(tokens, mask_ratio, noise=noise))


def reference_keep_mass(maps, keep_mass=0.6):
    from ssl_keras.foundation import foreground_masks

    return foreground_masks(maps, keep_mass=keep_mass).astype("float32")


def _uniform(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.uniform(size=shape).astype("float32") for shape in shapes]


CASES: dict[str, Case] = {
    "patchify_rgb": Case(
        cell="patchify_tests", task="patchify",
        inputs=lambda: normal(41, (2, 8, 8, 3)) + [4], reference=reference_patchify,
        description="2 RGB images of 8x8, patches of 4",
    ),
    "patchify_rectangular": Case(
        cell="patchify_tests", task="patchify",
        inputs=lambda: normal(42, (3, 6, 9, 1)) + [3], reference=reference_patchify,
        description="one-channel 6x9 images, patches of 3 (a 2x3 grid)",
    ),
    "masking_75": Case(
        cell="masking_tests", task="random_masking",
        inputs=lambda: normal(43, (3, 16, 5)) + [0.75] + _uniform(44, (3, 16)),
        reference=reference_random_masking,
        description="3 images of 16 patches, 75% masked",
    ),
    "masking_odd": Case(
        cell="masking_tests", task="random_masking",
        inputs=lambda: normal(45, (2, 10, 3)) + [0.3] + _uniform(46, (2, 10)),
        reference=reference_random_masking,
        description="10 patches, 30% masked",
    ),
    "keep_mass_default": Case(
        cell="foreground_tests", task="keep_mass_mask",
        inputs=lambda: _uniform(47, (2, 3, 4, 4)), reference=reference_keep_mass,
        description="2 images x 3 heads of 4x4 maps, 60% of the mass",
    ),
    "keep_mass_peaked": Case(
        cell="foreground_tests", task="keep_mass_mask",
        inputs=lambda: [_uniform(48, (3, 5, 5))[0] ** 4], kwargs={"keep_mass": 0.9},
        reference=reference_keep_mass, description="peaked 5x5 maps, 90% of the mass",
    ),
}

FORBIDDEN: dict[str, list[str]] = {
    "patchify_tests": [
        "ssl_keras.foundation.patchify",
        "ssl_keras.foundation.unpatchify",
        "ssl_keras.foundation.patches.patchify",
        "ssl_keras.foundation.patches.unpatchify",
    ],
    "masking_tests": [
        "ssl_keras.foundation.random_masking",
        "ssl_keras.foundation.patches.random_masking",
    ],
    "foreground_tests": [
        "ssl_keras.foundation.foreground_masks",
        "ssl_keras.foundation.attention.foreground_masks",
    ],
}


# ------------------------------------------------------------------ visible checks


def check_patchify(patchify) -> None:
    """Visible checks of `patchify(images, patch_size) -> (N, num_patches, p * p * C)`."""
    images = np.arange(1 * 4 * 4 * 1, dtype="float32").reshape(1, 4, 4, 1)
    expect_close(patchify(images, 2), _oracle_patchify(images, 2),
                 "patchify of a 4x4 image with values 0..15 into 2x2 patches (raster order)")
    (images,) = normal(4, (2, 4, 6, 3))
    result = to_array(patchify(images, 2))
    if result.shape != (2, 6, 12):
        raise AssertionError(
            f"patchify of (2, 4, 6, 3) images with patch_size=2 should have shape (2, 6, 12) "
            f"(2 x 3 patches of 2 * 2 * 3 values); got {result.shape}."
        )
    expect_close(result, _oracle_patchify(images, 2),
                 "patchify of RGB 4x6 images (each patch flattened as row, column, channel)")
    print("patchify: all visible checks passed.")


def record_patchify(patchify) -> None:
    record_cases(CASES, "patchify", patchify)


def check_random_masking(random_masking) -> None:
    """Visible checks of `random_masking(tokens, mask_ratio, noise)`."""
    tokens = np.arange(1 * 4 * 2, dtype="float32").reshape(1, 4, 2)
    noise = np.array([[0.9, 0.1, 0.5, 0.3]], "float32")
    result = random_masking(tokens, 0.5, noise)
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise AssertionError("random_masking should return (visible_tokens, mask, restore_ids).")
    visible, mask, restore = result
    expected_visible, expected_mask, expected_restore = _oracle_masking(tokens, 0.5, noise)
    expect_close(visible, expected_visible,
                 "Visible tokens: the 2 patches with the smallest noise (1 then 3), in "
                 "noise order")
    expect_close(mask, expected_mask, "The mask (1 = masked) in the original patch order")
    expect_close(restore, expected_restore,
                 "restore_ids: the position of each patch in the noise-sorted order")
    tokens, noise = normal(5, (2, 16, 3))[0], _uniform(6, (2, 16))[0]
    got = random_masking(tokens, 0.75, noise)
    for name, value, expected in zip(("visible tokens", "mask", "restore_ids"), got,
                                     _oracle_masking(tokens, 0.75, noise)):
        expect_close(value, expected, f"{name} of 2 images with 16 patches, 75% masked")
    print("random_masking: all visible checks passed.")


def record_random_masking(random_masking) -> None:
    record_cases(CASES, "random_masking", lambda *a: _flat(random_masking(*a)))


def check_keep_mass_mask(keep_mass_mask) -> None:
    """Visible checks of `keep_mass_mask(attention_maps, keep_mass=0.6)`."""
    single = np.array([[0.5, 0.05], [0.3, 0.15]])
    expect_close(keep_mass_mask(single), [[1, 0], [1, 0]],
                 "A 2x2 map: 0.5 + 0.3 >= 60% of the mass, so exactly those two patches")
    expect_close(keep_mass_mask(single, keep_mass=0.5), [[1, 0], [0, 0]],
                 "keep_mass=0.5: the largest patch alone holds 50% of the mass")
    (maps,) = _uniform(7, (2, 3, 4, 4))
    result = to_array(keep_mass_mask(maps))
    expect_close(result, _oracle_keep_mass(maps),
                 "Masks of 2 images x 3 heads (one mask per 4x4 map, the last two axes)")
    expect_close(keep_mass_mask(maps * 1000.0), result,
                 "The mask must not depend on the scale of the attention (use fractions of "
                 "each map's total)")
    print("keep_mass_mask: all visible checks passed.")


def record_keep_mass_mask(keep_mass_mask) -> None:
    record_cases(CASES, "keep_mass_mask", lambda *a, **k: to_array(keep_mass_mask(*a, **k)))
