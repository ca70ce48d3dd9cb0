"""Grader-private judge of foundation_models (never visible to student processes).

References: `ssl_keras.foundation`'s `patchify`, `random_masking(..., noise=...)`,
`foreground_masks`, `cls_attention_maps` and `attention_mass_inside`. The NumPy oracles
written loop by loop from the papers (He et al., 2022; Caron et al., 2021) are kept here
too: the tests check them against the package.
"""

from __future__ import annotations

import numpy as np

from ..checks._core import Case, normal
from ..checks.foundation_models import _class_token_maps, softmax_attention, uniform

# ------------------------------------------------------------------ NumPy oracles


def oracle_patchify(images, patch_size):
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


def oracle_masking(tokens, mask_ratio, noise):
    tokens, noise = np.asarray(tokens), np.asarray(noise)
    n, num_patches, _ = tokens.shape
    num_kept = num_patches - int(round(mask_ratio * num_patches))
    visible, mask, restore = [], np.ones((n, num_patches)), np.zeros((n, num_patches), int)
    for b in range(n):
        order = sorted(range(num_patches), key=lambda j: noise[b, j])
        visible.append(tokens[b, order[:num_kept]])
        for position, patch in enumerate(order):
            restore[b, patch] = position
            if position < num_kept:
                mask[b, patch] = 0.0
    return np.stack(visible), mask, restore


def oracle_keep_mass(maps, keep_mass=0.6):
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


def oracle_cls_attention_grid(attention, grid_size, num_registers=0):
    """DINO's "self-attention of the [CLS] token": row 0 (the class token as the query),
    the patch columns, laid out on the grid row by row."""
    attention = np.asarray(attention)
    batch, heads = attention.shape[:2]
    height, width = grid_size
    maps = np.zeros((batch, heads, height, width), attention.dtype)
    for b in range(batch):
        for h in range(heads):
            for i in range(height):
                for j in range(width):
                    maps[b, h, i, j] = attention[b, h, 0, 1 + num_registers + i * width + j]
    return maps


def oracle_mass_inside(attention_maps, masks):
    maps = np.asarray(attention_maps, dtype="float64")
    masks = np.broadcast_to(np.asarray(masks, dtype="float64"), maps.shape)
    flat_maps = maps.reshape(-1, maps.shape[-2] * maps.shape[-1])
    flat_masks = masks.reshape(flat_maps.shape)
    out = np.zeros(len(flat_maps))
    for row in range(len(flat_maps)):
        inside = total = 0.0
        for value, weight in zip(flat_maps[row], flat_masks[row]):
            inside += value * weight
            total += value
        out[row] = inside / total
    return out.reshape(maps.shape[:-2])


# ------------------------------------------------------------------ package references


def reference_patchify(images, patch_size):
    from ssl_keras.foundation import patchify

    return patchify(images, patch_size)


def reference_random_masking(tokens, mask_ratio, noise):
    from ssl_keras.foundation import random_masking

    return random_masking(tokens, mask_ratio, noise=noise)


def reference_keep_mass(maps, keep_mass=0.6):
    from ssl_keras.foundation import foreground_masks

    return foreground_masks(maps, keep_mass=keep_mass)


def reference_cls_attention_grid(attention, grid_size, num_registers=0):
    from ssl_keras.foundation import cls_attention_maps

    return cls_attention_maps(attention, grid_size=grid_size, num_registers=num_registers)


def reference_mass_inside(attention_maps, masks):
    from ssl_keras.foundation import attention_mass_inside

    return attention_mass_inside(attention_maps, masks)


REFERENCES = {
    "patchify": reference_patchify,
    "random_masking": reference_random_masking,
    "keep_mass_mask": reference_keep_mass,
    "cls_attention_grid": reference_cls_attention_grid,
    "mass_inside_mask": reference_mass_inside,
}


# ------------------------------------------------------------------ typical mistakes


def _channels_first_patchify(images, patch_size):
    images = np.asarray(images)
    n, height, width, channels = images.shape
    p = patch_size
    grid = images.reshape(n, height // p, p, width // p, p, channels)
    grid = grid.transpose(0, 1, 3, 5, 2, 4)  # flattened as (channel, row, column)
    return grid.reshape(n, (height // p) * (width // p), p * p * channels)


def _column_major_patchify(images, patch_size):
    images = np.asarray(images)
    n, height, width, channels = images.shape
    p = patch_size
    grid = images.reshape(n, height // p, p, width // p, p, channels)
    grid = grid.transpose(0, 3, 1, 2, 4, 5)  # patches numbered down the columns
    return grid.reshape(n, (height // p) * (width // p), p * p * channels)


def _masking(tokens, mask_ratio, noise, keep_highest=False, single_argsort=False):
    tokens, noise = np.asarray(tokens), np.asarray(noise)
    num_kept = tokens.shape[1] - int(round(mask_ratio * tokens.shape[1]))
    shuffle = np.argsort(-noise if keep_highest else noise, axis=1)
    restore = shuffle if single_argsort else np.argsort(shuffle, axis=1)
    visible = np.take_along_axis(tokens, shuffle[:, :num_kept, None], axis=1)
    mask = (np.argsort(shuffle, axis=1) >= num_kept).astype("float32")
    return visible, mask, restore


def _keep_highest_noise(tokens, mask_ratio, noise):
    return _masking(tokens, mask_ratio, noise, keep_highest=True)


def _single_argsort(tokens, mask_ratio, noise):
    return _masking(tokens, mask_ratio, noise, single_argsort=True)


def _inverted_mask(tokens, mask_ratio, noise):
    visible, mask, restore = _masking(tokens, mask_ratio, noise)
    return visible, 1.0 - mask, restore


def _relative_threshold(maps, keep_mass=0.6):
    maps = np.asarray(maps)
    return maps >= keep_mass * maps.max(axis=(-2, -1), keepdims=True)


def _absolute_mass(maps, keep_mass=0.6):
    maps = np.asarray(maps, "float64")
    flat = maps.reshape(-1, maps.shape[-2] * maps.shape[-1])
    order = np.argsort(-flat, axis=1)
    values = np.take_along_axis(flat, order, axis=1)
    keep_sorted = np.cumsum(values, axis=1) - values < keep_mass  # not divided by the total
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return keep.reshape(maps.shape)


def _whole_array_mass(maps, keep_mass=0.6):
    """One threshold over all maps together instead of one per map."""
    maps = np.asarray(maps, "float64")
    flat = maps.ravel()
    order = np.argsort(-flat)
    values = flat[order] / flat.sum()
    keep = np.zeros(flat.shape, bool)
    keep[order] = np.cumsum(values) - values < keep_mass
    return keep.reshape(maps.shape)


def _patches(attention, num_registers):
    return np.asarray(attention)[..., 1 + num_registers:]


def _grid(rows, grid_size):
    """(batch, heads, patches) -> (batch, heads, height, width), row by row."""
    return rows.reshape(rows.shape[:2] + tuple(grid_size))


def _patch_row(attention, grid_size, num_registers=0):
    return _grid(_patches(attention, num_registers)[:, :, 1 + num_registers], grid_size)


def _cls_column(attention, grid_size, num_registers=0):
    return _grid(np.asarray(attention)[:, :, 1 + num_registers:, 0], grid_size)


def _keeps_cls_column(attention, grid_size, num_registers=0):
    count = grid_size[0] * grid_size[1]
    return _grid(np.asarray(attention)[:, :, 0, num_registers:num_registers + count], grid_size)


def _transposed_grid(attention, grid_size, num_registers=0):
    rows = _patches(attention, num_registers)[:, :, 0]
    height, width = grid_size
    return rows.reshape(rows.shape[:2] + (width, height)).swapaxes(-1, -2)


def _query_mean(attention, grid_size, num_registers=0):
    return _grid(_patches(attention, num_registers).mean(axis=2), grid_size)


def _head_mean(attention, grid_size, num_registers=0):
    return oracle_cls_attention_grid(attention, grid_size, num_registers).mean(axis=1)


def _renormalised(attention, grid_size, num_registers=0):
    maps = oracle_cls_attention_grid(attention, grid_size, num_registers)
    return maps / maps.sum(axis=(-2, -1), keepdims=True)


def _ignores_registers(attention, grid_size, num_registers=0):
    return oracle_cls_attention_grid(attention, grid_size, 0) if num_registers == 0 else _grid(
        np.asarray(attention)[:, :, 0, 1:1 + grid_size[0] * grid_size[1]], grid_size)


def _not_normalised(attention_maps, masks):
    return (np.asarray(attention_maps) * np.asarray(masks)).sum(axis=(-2, -1))


def _mean_inside(attention_maps, masks):
    masks = np.asarray(masks, "float64")
    return (np.asarray(attention_maps) * masks).sum(axis=(-2, -1)) / masks.sum(axis=(-2, -1))


def _inverted(attention_maps, masks):
    return oracle_mass_inside(attention_maps, 1.0 - np.asarray(masks, "float64"))


def _all_maps(attention_maps, masks):
    maps = np.asarray(attention_maps)
    return (maps * np.asarray(masks)).sum() / maps.sum()


def _thresholded(attention_maps, masks):
    return oracle_mass_inside(attention_maps, np.asarray(masks) > 0.5)


VARIANTS = {
    "patchify": {
        "channels_first": _channels_first_patchify,
        "column_major": _column_major_patchify,
    },
    "random_masking": {
        "keep_highest": _keep_highest_noise,
        "single_argsort": _single_argsort,
        "inverted_mask": _inverted_mask,
    },
    "keep_mass_mask": {
        "relative_threshold": _relative_threshold,
        "absolute_mass": _absolute_mass,
        "whole_array": _whole_array_mass,
    },
    "cls_attention_grid": {
        "patch_row": _patch_row,
        "cls_column": _cls_column,
        "keeps_cls_column": _keeps_cls_column,
        "transposed_grid": _transposed_grid,
        "query_mean": _query_mean,
        "head_mean": _head_mean,
        "renormalised": _renormalised,
        "ignores_registers": _ignores_registers,
    },
    "mass_inside_mask": {
        "not_normalised": _not_normalised,
        "mean_inside": _mean_inside,
        "inverted": _inverted,
        "all_maps": _all_maps,
        "thresholded": _thresholded,
    },
}


# ------------------------------------------------------------------ hidden cases


def _masking_cases(prefix: str, inputs, description: str) -> dict[str, Case]:
    """One hidden case per returned array (visible tokens, mask, restore_ids)."""
    return {
        f"{prefix}_{part}": Case(
            task="random_masking", measure=measure, inputs=inputs,
            description=f"{what} of {description}",
        )
        for part, measure, what in (
            ("visible", "visible_tokens", "visible tokens"),
            ("mask", "mask", "mask"),
            ("restore", "restore_ids", "restore_ids"),
        )
    }


HIDDEN: dict[str, Case] = {
    "hidden_patchify_rgb": Case(
        task="patchify",
        inputs=lambda: normal(41, (2, 8, 8, 3)) + [4],
        description="2 RGB images of 8x8, patches of 4",
    ),
    "patchify_rectangular": Case(
        task="patchify",
        inputs=lambda: normal(42, (3, 6, 9, 1)) + [3],
        description="one-channel 6x9 images, patches of 3 (a 2x3 grid)",
    ),
    "patchify_pixels": Case(
        task="patchify",
        inputs=lambda: normal(50, (1, 3, 2, 2)) + [1],
        description="patch_size=1: every pixel is a patch",
    ),
    "patchify_one_patch": Case(
        task="patchify",
        inputs=lambda: normal(51, (2, 4, 4, 2)) + [4],
        description="patch_size equal to the image side: one patch per image",
    ),
    **_masking_cases(
        "masking_75",
        lambda: normal(43, (3, 16, 5)) + [0.75] + uniform(44, (3, 16)),
        "3 images of 16 patches, 75% masked",
    ),
    **_masking_cases(
        "masking_odd",
        lambda: normal(45, (2, 10, 3)) + [0.3] + uniform(46, (2, 10)),
        "10 patches, 30% masked",
    ),
    **_masking_cases(
        "masking_none",
        lambda: normal(52, (2, 6, 4)) + [0.0] + uniform(53, (2, 6)),
        "6 patches, mask_ratio=0 (every patch kept, in noise order)",
    ),
    **_masking_cases(
        "masking_90",
        lambda: normal(54, (1, 9, 4)) + [0.9] + uniform(55, (1, 9)),
        "9 patches, 90% masked (one patch kept)",
    ),
    "keep_mass_default": Case(
        task="keep_mass_mask",
        inputs=lambda: uniform(47, (2, 3, 4, 4)),
        description="2 images x 3 heads of 4x4 maps, 60% of the mass",
    ),
    "keep_mass_peaked": Case(
        task="keep_mass_mask",
        inputs=lambda: [uniform(48, (3, 5, 5))[0] ** 4],
        kwargs={"keep_mass": 0.9},
        description="peaked 5x5 maps, 90% of the mass",
    ),
    "keep_mass_rectangular_scaled": Case(
        task="keep_mass_mask",
        inputs=lambda: [uniform(49, (4, 3, 6))[0] ** 2 * 1e-4],
        kwargs={"keep_mass": 0.3},
        description="tiny 3x6 maps (scale 1e-4), 30% of the mass",
    ),
    "keep_mass_single_map": Case(
        task="keep_mass_mask",
        inputs=lambda: [uniform(56, (7, 7))[0] ** 3],
        description="a single 7x7 map (no batch axes)",
    ),
    "cls_grid_square": Case(
        task="cls_attention_grid",
        inputs=lambda: [softmax_attention(57, 3, 4, 17), (4, 4)],
        description="3 images x 4 heads on a 4x4 grid (a transposed grid has the same shape)",
    ),
    "cls_grid_wide_register": Case(
        task="cls_attention_grid",
        inputs=lambda: [softmax_attention(58, 1, 2, 1 + 1 + 10), (2, 5)],
        kwargs={"num_registers": 1},
        description="one register token, a 2x5 grid",
    ),
    "cls_grid_tall": Case(
        task="cls_attention_grid",
        inputs=lambda: [softmax_attention(59, 2, 1, 13), (4, 3)],
        description="one head, a 4x3 grid",
    ),
    "cls_grid_one_patch": Case(
        task="cls_attention_grid",
        inputs=lambda: [softmax_attention(60, 2, 3, 2), (1, 1)],
        description="a single patch: a 1x1 grid",
    ),
    "mass_rectangular_tiny": Case(
        task="mass_inside_mask",
        inputs=lambda: [_class_token_maps(61, (2, 2, 3, 6), scale=1e-5),
                        (uniform(62, (2, 2, 3, 6))[0] > 0.5).astype("float32")],
        description="3x6 maps summing to 1e-5, 0/1 masks",
    ),
    "mass_single_soft": Case(
        task="mass_inside_mask",
        inputs=lambda: [_class_token_maps(63, (7, 7)), uniform(64, (7, 7))[0]],
        description="a single 7x7 map with fractional mask values (a number, shape ())",
    ),
    "mass_full_mask": Case(
        task="mass_inside_mask",
        inputs=lambda: [_class_token_maps(65, (3, 5, 5)), np.ones((3, 5, 5), "float32")],
        description="masks covering every patch: all the attention is inside (1.0)",
    ),
    "mass_boolean_masks": Case(
        task="mass_inside_mask",
        inputs=lambda: [_class_token_maps(66, (4, 2, 5, 5), scale=0.7),
                        uniform(67, (4, 2, 5, 5))[0] > 0.3],
        description="boolean masks of 4 images x 2 heads",
    ),
}


# ------------------------------------------------------------------ stand-ins, forbidden names

# No task's solution calls an earlier task's function: no stand-ins are needed.
STAND_INS: dict = {}

# Every alias path of each function (the judge replaces the function's code, so any path
# reaches the refusal; the last name of an object is the one the student is told).
FORBIDDEN = {
    "patchify": [
        "keras.ops.image.extract_patches",
        "ssl_keras.foundation.vit_layers.patchify",
        "ssl_keras.foundation.mae.patchify",
        "ssl_keras.foundation.patches.patchify",
        "ssl_keras.foundation.patchify",
    ],
    "random_masking": [
        "ssl_keras.foundation.mae.random_masking",
        "ssl_keras.foundation.patches.random_masking",
        "ssl_keras.foundation.random_masking",
    ],
    "keep_mass_mask": [
        "ssl_keras.foundation.attention.foreground_masks",
        "ssl_keras.foundation.foreground_masks",
    ],
    "cls_attention_grid": [
        "ssl_keras.foundation.attention.cls_attention_maps",
        "ssl_keras.foundation.dinov2.cls_attention_maps",
        "ssl_keras.foundation.cls_attention_maps",
        "ssl_keras.foundation.dinov2.dinov2_attention",
        "ssl_keras.foundation.dinov2_attention",
    ],
    "mass_inside_mask": [
        "ssl_keras.foundation.attention.attention_mass_inside",
        "ssl_keras.foundation.attention_mass_inside",
    ],
}

SETUP = ("setup",)
