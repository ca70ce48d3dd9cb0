"""Visible checks of the foundation_models assignment: patchify, MAE's random masking (with
given noise) and DINO's keep-60%-of-the-mass foreground mask.

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
