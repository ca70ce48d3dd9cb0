"""Visible checks of the foundation_models assignment: patchify, MAE's random masking (with
given noise), DINO's keep-60%-of-the-mass foreground mask, the class token's attention map
of a ViT's last layer, and the share of an attention map that falls on an object.

Each check evaluates the student's function on the visible cases below and compares the
values with the stored expected values (`expected/foundation_models.json`, computed by the
grader from the papers' definitions: He et al., 2022; Caron et al., 2021). The grader
evaluates the same cases and hidden ones outside the notebook. `random_masking` returns
three arrays: each case compares one of them (`visible_tokens`, `mask`, `restore_ids`).
"""

from __future__ import annotations

import sys

import numpy as np

from . import _core
from ._core import Case, normal, to_array

NAME = "foundation_models"

# test cell grade_id -> the student's function, in notebook order
TASKS = {
    "patchify_tests": "patchify",
    "masking_tests": "random_masking",
    "foreground_tests": "keep_mass_mask",
    "cls_grid_tests": "cls_attention_grid",
    "mass_inside_tests": "mass_inside_mask",
}


# ------------------------------------------------------------------ measures

def _masking_part(random_masking, index, tokens, mask_ratio, noise):
    result = random_masking(tokens, mask_ratio, noise)
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise ValueError(
            "random_masking should return a tuple of three arrays (visible_tokens, mask, "
            f"restore_ids); it returned {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, tuple | list) else "")
        )
    return to_array(result[index])


def visible_tokens(random_masking, tokens, mask_ratio, noise):
    """The first array random_masking returns: the kept tokens."""
    return _masking_part(random_masking, 0, tokens, mask_ratio, noise)


def mask(random_masking, tokens, mask_ratio, noise):
    """The second array random_masking returns: 1 for masked patches."""
    return _masking_part(random_masking, 1, tokens, mask_ratio, noise)


def restore_ids(random_masking, tokens, mask_ratio, noise):
    """The third array random_masking returns: the un-shuffling permutation."""
    return _masking_part(random_masking, 2, tokens, mask_ratio, noise)


# ------------------------------------------------------------------ inputs


def uniform(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Uniform [0, 1) float32 arrays from one seeded generator, in order."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(size=shape).astype("float32") for shape in shapes]


def _tiny_masking():
    tokens = np.arange(1 * 4 * 2, dtype="float32").reshape(1, 4, 2)
    return [tokens, 0.5, np.array([[0.9, 0.1, 0.5, 0.3]], "float32")]


def _masking_16():
    return [normal(5, (2, 16, 3))[0], 0.75, uniform(6, (2, 16))[0]]


def _two_by_two():
    return [np.array([[0.5, 0.05], [0.3, 0.15]])]


def softmax_attention(seed: int, batch: int, heads: int, tokens: int) -> np.ndarray:
    """Random attention probabilities `(batch, heads, tokens, tokens)`: rows sum to 1."""
    (logits,) = normal(seed, (batch, heads, tokens, tokens))
    weights = np.exp(2.0 * logits.astype("float64"))
    return (weights / weights.sum(axis=-1, keepdims=True)).astype("float32")


def _readable_attention():
    """Entry (query q, key k) is 10 q + k: the value says which row and column it is."""
    tokens = np.arange(5)
    return [(10.0 * tokens[:, None] + tokens[None, :])[None, None].astype("float32"), (2, 2)]


def _class_token_maps(seed: int, shape: tuple[int, ...], scale: float = 0.9) -> np.ndarray:
    """Attention maps as a class token gives them: non-negative, each summing to `scale`."""
    (values,) = uniform(seed, shape)
    values = values.astype("float64") ** 2
    return values / values.sum(axis=(-2, -1), keepdims=True) * scale


def _mass_heads():
    masks = uniform(21, (2, 3, 4, 4))[0] > 0.6
    return [_class_token_maps(20, (2, 3, 4, 4)), masks.astype("float32")]


def _mass_soft():
    return [_class_token_maps(22, (3, 4, 4)), uniform(23, (3, 4, 4))[0]]


_CHANNELS_FIRST = ("channels_first", "each patch was flattened as (channel, row, column); "
                                     "the order is (pixel row, pixel column, channel)")
_COLUMN_MAJOR = ("column_major", "the patches are numbered down the columns; number them "
                                 "row by row (raster order)")
_KEEP_HIGHEST = ("keep_highest", "the patches with the highest noise were kept; keep the "
                                 "smallest (argsort in increasing order)")
_INVERTED_MASK = ("inverted_mask", "the mask is inverted: 1 for masked patches, 0 for kept ones")
_SINGLE_ARGSORT = ("single_argsort", "restore_ids is the sorting permutation itself; it is its "
                                     "inverse (argsort of the argsort)")
_RELATIVE = ("relative_threshold", "a threshold relative to the maximum (attention >= keep_mass "
                                   "x max) instead of the top patches holding keep_mass of the "
                                   "total")
_ABSOLUTE = ("absolute_mass", "the attention was not divided by each map's total (use "
                              "fractions of the total)")
_WHOLE_ARRAY = ("whole_array", "one threshold over all maps together instead of one per map "
                               "(the last two axes)")
_PATCH_ROW = ("patch_row", "you took the row of a patch token (row 1); the class token's "
                           "attention is row 0 (the class token as the query)")
_CLS_COLUMN = ("cls_column", "you took the attention the patches pay to the class token "
                             "(column 0); take what the class token pays to the patches (row 0)")
_KEEPS_CLS = ("keeps_cls_column", "the columns start one too early, keeping the class token's "
                                  "(or a register's) column and dropping the last patch; the "
                                  "patches are columns 1 + num_registers onwards")
_TRANSPOSED = ("transposed_grid", "the grid is transposed: patch i * width + j goes to row i, "
                                  "column j (fill the grid row by row)")
_QUERY_MEAN = ("query_mean", "you averaged over the query axis (the attention every token pays); "
                             "take only the class token's row")
_HEAD_MEAN = ("head_mean", "you averaged over the heads; return one map per head")
_RENORMALISED = ("renormalised", "the maps were renormalised to sum to 1; keep the attention "
                                 "probabilities as they are")
_IGNORES_REGISTERS = ("ignores_registers", "the register tokens were taken as patches; skip "
                                           "the num_registers columns after the class token")
_NOT_NORMALISED = ("not_normalised", "the attention on the mask was not divided by each map's "
                                     "total (class-token maps do not sum to 1)")
_MEAN_INSIDE = ("mean_inside", "you divided by the mask's area (the mean attention on the "
                               "object); divide by the map's total attention")
_INVERTED = ("inverted", "you measured the attention outside the mask")
_ALL_MAPS = ("all_maps", "one fraction for all maps together; return one per map (sum over "
                         "the last two axes only)")
_THRESHOLDED = ("thresholded", "the mask was thresholded; weight each patch by its mask value "
                               "(the fraction of the patch on the object)")

VISIBLE: dict[str, Case] = {
    # patchify
    "patchify_ramp": Case(
        task="patchify",
        inputs=lambda: [np.arange(1 * 4 * 4 * 1, dtype="float32").reshape(1, 4, 4, 1), 2],
        description="patchify of a 4x4 image with values 0..15 into 2x2 patches "
                    "(raster order)",
        mistakes=(_COLUMN_MAJOR,),
    ),
    "patchify_rgb": Case(
        task="patchify",
        inputs=lambda: normal(4, (2, 4, 6, 3)) + [2],
        description="patchify of RGB 4x6 images, patch_size=2: shape (2, 6, 12), each patch "
                    "flattened as (row, column, channel)",
        mistakes=(_CHANNELS_FIRST, _COLUMN_MAJOR),
    ),
    # random_masking
    "masking_tiny_visible": Case(
        task="random_masking",
        measure="visible_tokens",
        inputs=_tiny_masking,
        description="Visible tokens: the 2 patches with the smallest noise (1 then 3), in "
                    "noise order",
        mistakes=(_KEEP_HIGHEST,),
    ),
    "masking_tiny_mask": Case(
        task="random_masking",
        measure="mask",
        inputs=_tiny_masking,
        description="The mask (1 = masked) in the original patch order",
        mistakes=(_INVERTED_MASK, _KEEP_HIGHEST),
    ),
    "masking_tiny_restore": Case(
        task="random_masking",
        measure="restore_ids",
        inputs=_tiny_masking,
        description="restore_ids: the position of each patch in the noise-sorted order",
        mistakes=(_SINGLE_ARGSORT,),
    ),
    "masking_16_visible": Case(
        task="random_masking",
        measure="visible_tokens",
        inputs=_masking_16,
        description="visible tokens of 2 images with 16 patches, 75% masked",
        mistakes=(_KEEP_HIGHEST,),
    ),
    "masking_16_mask": Case(
        task="random_masking",
        measure="mask",
        inputs=_masking_16,
        description="mask of 2 images with 16 patches, 75% masked",
        mistakes=(_INVERTED_MASK, _KEEP_HIGHEST),
    ),
    "masking_16_restore": Case(
        task="random_masking",
        measure="restore_ids",
        inputs=_masking_16,
        description="restore_ids of 2 images with 16 patches, 75% masked",
        mistakes=(_SINGLE_ARGSORT, _KEEP_HIGHEST),
    ),
    # keep_mass_mask
    "keep_mass_two_by_two": Case(
        task="keep_mass_mask",
        inputs=_two_by_two,
        description="A 2x2 map: 0.5 + 0.3 >= 60% of the mass, so exactly those two patches",
    ),
    "keep_mass_half": Case(
        task="keep_mass_mask",
        inputs=_two_by_two,
        kwargs={"keep_mass": 0.5},
        description="keep_mass=0.5: the largest patch alone holds 50% of the mass",
        mistakes=(_RELATIVE,),
    ),
    "keep_mass_heads": Case(
        task="keep_mass_mask",
        inputs=lambda: uniform(7, (2, 3, 4, 4)),
        description="Masks of 2 images x 3 heads (one mask per 4x4 map, the last two axes)",
        mistakes=(_WHOLE_ARRAY, _ABSOLUTE, _RELATIVE),
    ),
    "keep_mass_scaled": Case(
        task="keep_mass_mask",
        inputs=lambda: [uniform(7, (2, 3, 4, 4))[0] * 1000.0],
        description="The mask must not depend on the scale of the attention (the maps "
                    "above x1000)",
        mistakes=(_ABSOLUTE, _WHOLE_ARRAY, _RELATIVE),
    ),
    # cls_attention_grid
    "cls_grid_readable": Case(
        task="cls_attention_grid",
        inputs=_readable_attention,
        description="An attention of 1 image, 1 head and 5 tokens (class token + 4 patches) "
                    "whose entry (query q, key k) is 10 q + k, on a 2x2 grid: the answer is "
                    "[[1, 2], [3, 4]]",
        mistakes=(_PATCH_ROW, _CLS_COLUMN, _KEEPS_CLS, _TRANSPOSED, _QUERY_MEAN, _HEAD_MEAN,
                  _RENORMALISED),
    ),
    "cls_grid_heads": Case(
        task="cls_attention_grid",
        inputs=lambda: [softmax_attention(24, 2, 3, 13), (3, 4)],
        description="Attention probabilities of 2 images, 3 heads, a class token and 12 "
                    "patches on a 3x4 grid (3 rows, 4 columns): shape (2, 3, 3, 4)",
        mistakes=(_TRANSPOSED, _HEAD_MEAN, _QUERY_MEAN, _KEEPS_CLS, _PATCH_ROW, _CLS_COLUMN,
                  _RENORMALISED),
    ),
    "cls_grid_registers": Case(
        task="cls_attention_grid",
        inputs=lambda: [softmax_attention(25, 2, 2, 1 + 4 + 9), (3, 3)],
        kwargs={"num_registers": 4},
        description="With 4 register tokens between the class token and the 9 patches "
                    "(DINOv2 with registers)",
        mistakes=(_IGNORES_REGISTERS, _TRANSPOSED, _KEEPS_CLS),
    ),
    # mass_inside_mask
    "mass_readable": Case(
        task="mass_inside_mask",
        inputs=lambda: [np.array([[0.4, 0.1], [0.2, 0.1]]), np.eye(2)],
        description="A 2x2 map [[0.4, 0.1], [0.2, 0.1]] (total 0.8) and the diagonal mask: "
                    "(0.4 + 0.1) / 0.8 = 0.625, a number (shape ())",
        mistakes=(_NOT_NORMALISED, _MEAN_INSIDE, _INVERTED),
    ),
    "mass_heads": Case(
        task="mass_inside_mask",
        inputs=_mass_heads,
        description="2 images x 3 heads of 4x4 class-token maps (each summing to 0.9) and "
                    "0/1 masks: one fraction per map, shape (2, 3)",
        mistakes=(_ALL_MAPS, _NOT_NORMALISED, _MEAN_INSIDE, _INVERTED),
    ),
    "mass_soft": Case(
        task="mass_inside_mask",
        inputs=_mass_soft,
        description="Masks with fractions in [0, 1] (the share of each patch on the object)",
        mistakes=(_THRESHOLDED, _NOT_NORMALISED, _MEAN_INSIDE),
    ),
}


# ------------------------------------------------------------------ visible checks


def check_patchify(patchify) -> None:
    """Visible checks of `patchify(images, patch_size) -> (N, num_patches, p * p * C)`."""
    _core.check(sys.modules[__name__], "patchify", patchify)


def check_random_masking(random_masking) -> None:
    """Visible checks of `random_masking(tokens, mask_ratio, noise)`."""
    _core.check(sys.modules[__name__], "random_masking", random_masking)


def check_keep_mass_mask(keep_mass_mask) -> None:
    """Visible checks of `keep_mass_mask(attention_maps, keep_mass=0.6)`."""
    _core.check(sys.modules[__name__], "keep_mass_mask", keep_mass_mask)


def check_cls_attention_grid(cls_attention_grid) -> None:
    """Visible checks of `cls_attention_grid(attention, grid_size, num_registers=0)`."""
    _core.check(sys.modules[__name__], "cls_attention_grid", cls_attention_grid)


def check_mass_inside_mask(mass_inside_mask) -> None:
    """Visible checks of `mass_inside_mask(attention_maps, masks)`."""
    _core.check(sys.modules[__name__], "mass_inside_mask", mass_inside_mask)
