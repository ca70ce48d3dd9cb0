"""Patches for Vision Transformers: patchify / unpatchify, random masking, 2D sin-cos
position embeddings.

All functions are backend-agnostic (`keras.ops`, `keras.random`); the position
embedding is a NumPy constant computed once.
"""

import numbers

import keras
import numpy as np
from keras import ops

from ssl_keras.validation import check_positive_int


def _check_patch_size(patch_size) -> int:
    return check_positive_int(patch_size, "patch_size")


def _tensor_of_rank(value, name: str, axes: tuple[str, ...]):
    """`value` as a tensor, or `ValueError` unless its rank is `len(axes)`."""
    value = ops.convert_to_tensor(value)
    if len(value.shape) != len(axes):
        raise ValueError(
            f"`{name}` should be a rank-{len(axes)} tensor ({', '.join(axes)}). "
            f"Received: {name}.shape={tuple(value.shape)}"
        )
    return value


def patchify(images, patch_size: int):
    """Cuts images into non-overlapping square patches, flattened in raster order.

    Patches are numbered row by row (patch `i * grid_width + j` is the patch at row `i`,
    column `j`), and each patch is flattened as `(patch_row, patch_column, channel)`, as
    in the MAE reference implementation (`einsum('nchpwq->nhwpqc')`).

    Args:
        images: tensor of shape `(batch, height, width, channels)`; `height` and `width`
            must be multiples of `patch_size`.
        patch_size: side of the square patches, in pixels.

    Input shape:
        4D tensor `(batch, height, width, channels)`.

    Output shape:
        3D tensor `(batch, (height // patch_size) * (width // patch_size),
        patch_size * patch_size * channels)`.

    Returns:
        The patches, same dtype as `images`.

    Raises:
        ValueError: if `images` is not rank 4 or its size is not a multiple of
            `patch_size`.

    Example:
    >>> import numpy as np
    >>> tuple(patchify(np.zeros((2, 16, 16, 3)), 4).shape)
    (2, 16, 48)
    """
    patch_size = _check_patch_size(patch_size)
    images = _tensor_of_rank(images, "images", ("batch", "height", "width", "channels"))
    _, height, width, channels = images.shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            "The image height and width should be multiples of `patch_size`. "
            f"Received: images.shape={tuple(images.shape)}, patch_size={patch_size}"
        )
    grid_height, grid_width = height // patch_size, width // patch_size
    x = ops.reshape(images, (-1, grid_height, patch_size, grid_width, patch_size, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, grid_height * grid_width, patch_size * patch_size * channels))


def unpatchify(patches, patch_size: int, image_shape: tuple[int, int, int] | None = None):
    """Reassembles images from patches: the exact inverse of `patchify`.

    Args:
        patches: tensor of shape `(batch, num_patches, patch_size * patch_size *
            channels)`.
        patch_size: side of the square patches, in pixels.
        image_shape: `(height, width, channels)` of the images. `None` means square
            images: `num_patches` must be a perfect square and `channels` is inferred
            from the patch dimension.

    Input shape:
        3D tensor `(batch, num_patches, patch_size * patch_size * channels)`.

    Output shape:
        4D tensor `(batch, height, width, channels)`.

    Returns:
        The images, same dtype as `patches`.

    Raises:
        ValueError: if the shapes are inconsistent.

    Example:
    >>> import numpy as np
    >>> x = np.random.rand(2, 8, 12, 3)
    >>> bool(np.allclose(unpatchify(patchify(x, 4), 4, (8, 12, 3)), x))
    True
    """
    patch_size = _check_patch_size(patch_size)
    patches = _tensor_of_rank(patches, "patches", ("batch", "num_patches", "patch_dim"))
    _, num_patches, patch_dim = patches.shape
    if image_shape is None:
        grid = int(round(num_patches**0.5))
        channels = patch_dim // (patch_size * patch_size)
        if grid * grid != num_patches:
            raise ValueError(
                "`num_patches` is not a perfect square: pass `image_shape`. "
                f"Received: patches.shape={tuple(patches.shape)}"
            )
        image_shape = (grid * patch_size, grid * patch_size, channels)
    height, width, channels = (int(size) for size in image_shape)
    grid_height, grid_width = height // patch_size, width // patch_size
    if (
        height % patch_size
        or width % patch_size
        or grid_height * grid_width != num_patches
        or patch_size * patch_size * channels != patch_dim
    ):
        raise ValueError(
            "`patches` do not match `image_shape` and `patch_size`. Received: "
            f"patches.shape={tuple(patches.shape)}, image_shape={tuple(image_shape)}, "
            f"patch_size={patch_size}"
        )
    x = ops.reshape(patches, (-1, grid_height, grid_width, patch_size, patch_size, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, height, width, channels))


def num_masked_patches(num_patches: int, mask_ratio: float) -> int:
    """Number of patches that `random_masking` hides: `round(mask_ratio * num_patches)`.

    Python's `round` (ties to even). The MAE reference implementation keeps
    `int(num_patches * (1 - mask_ratio))` patches instead, which truncates; the two
    agree whenever `mask_ratio * num_patches` is an integer (e.g. 75% of 196 patches
    gives 147 masked both ways; 90% of 16 patches gives 14 masked here, 15 there).

    Raises:
        ValueError: if `mask_ratio` is not in `[0, 1)` or would hide every patch.
    """
    if (
        isinstance(mask_ratio, bool)
        or not isinstance(mask_ratio, numbers.Real)
        or not 0.0 <= mask_ratio < 1.0
    ):
        raise ValueError(f"`mask_ratio` should be in [0, 1). Received: mask_ratio={mask_ratio!r}")
    num_masked = int(round(float(mask_ratio) * int(num_patches)))
    if num_masked >= num_patches:
        raise ValueError(
            "`mask_ratio` should leave at least one visible patch. Received: "
            f"mask_ratio={mask_ratio}, num_patches={num_patches}"
        )
    return num_masked


def random_masking(tokens, mask_ratio: float, seed=None, noise=None):
    """Per-image random masking of patch tokens, as in MAE's reference implementation.

    For each image, uniform noise is drawn for every patch, the patches are sorted by
    their noise (`argsort`), the first `num_patches - round(mask_ratio * num_patches)`
    are kept and the others are masked. Every image gets its own random subset of
    exactly `round(mask_ratio * num_patches)` masked patches (see
    `num_masked_patches`).

    Args:
        tokens: tensor `(batch, num_patches, dim)` (patch embeddings, with position
            embeddings already added, and no class token).
        mask_ratio: fraction of patches to hide, in `[0, 1)`.
        seed: `None`, an integer or a `keras.random.SeedGenerator` (pass the
            layer's generator inside a model: the JAX backend needs it under `jit`).
        noise: optional `(batch, num_patches)` tensor used instead of the uniform noise
            drawn with `seed` (the patches with the smallest noise are kept): makes the
            masking deterministic, e.g. to compare implementations in tests and
            assignments.

    Returns:
        A tuple `(visible_tokens, mask, restore_ids)`:
        - `visible_tokens`: `(batch, num_kept, dim)`, the kept tokens in noise order;
        - `mask`: float32 `(batch, num_patches)`, 1 for masked patches, 0 for visible
          ones, in the original patch order;
        - `restore_ids`: int32 `(batch, num_patches)`, the permutation that puts
          `concatenate([visible_tokens, masked_tokens], axis=1)` back in patch order.

    Raises:
        ValueError: if `tokens` is not rank 3 or `mask_ratio` is out of range.

    Example:
    >>> import numpy as np
    >>> visible, mask, restore = random_masking(np.zeros((2, 16, 8)), 0.75, seed=0)
    >>> tuple(visible.shape), tuple(mask.shape)
    ((2, 4, 8), (2, 16))

    Reference:
        He, Chen, Xie, Li, Dollar, Girshick. Masked Autoencoders Are Scalable Vision
        Learners. CVPR 2022. "we randomly sample a subset of patches without
        replacement, following a uniform distribution".
    """
    tokens = _tensor_of_rank(tokens, "tokens", ("batch", "num_patches", "dim"))
    num_patches = int(tokens.shape[1])
    num_kept = num_patches - num_masked_patches(num_patches, mask_ratio)
    batch_size = ops.shape(tokens)[0]
    if noise is None:
        noise = keras.random.uniform((batch_size, num_patches), seed=seed)
    else:
        noise = ops.cast(ops.convert_to_tensor(noise), "float32")
        expected = tuple(tokens.shape[:2])
        if None not in expected and tuple(noise.shape) != expected:
            raise ValueError(
                "`noise` should have shape (batch, num_patches) = "
                f"{expected}. Received: noise.shape={tuple(noise.shape)}"
            )
    shuffle_ids = ops.cast(ops.argsort(noise, axis=1), "int32")
    restore_ids = ops.cast(ops.argsort(shuffle_ids, axis=1), "int32")
    keep_ids = shuffle_ids[:, :num_kept]
    visible_tokens = ops.take_along_axis(tokens, ops.expand_dims(keep_ids, -1), axis=1)
    # 0 for the first `num_kept` positions of the shuffled order, then back to patch order.
    shuffled_mask = ops.cast(ops.arange(num_patches) >= num_kept, "float32")
    shuffled_mask = ops.zeros_like(noise) + shuffled_mask[None, :]
    mask = ops.take_along_axis(shuffled_mask, restore_ids, axis=1)
    return visible_tokens, mask, restore_ids


def sincos_position_embedding_2d(hidden_dim: int, grid_size) -> np.ndarray:
    """Fixed 2D sine-cosine position embeddings, as in MAE (from MoCo v3).

    Half of the channels encode the patch's column and half its row, each with the 1D
    sin-cos embedding of the Transformer (`omega_d = 1 / 10000^(d / (D/4))`,
    `[sin(pos * omega), cos(pos * omega)]`). Rows are in `patchify` order.

    Args:
        hidden_dim: embedding size, a multiple of 4.
        grid_size: int or `(grid_height, grid_width)`.

    Returns:
        float32 NumPy array `(grid_height * grid_width, hidden_dim)`.

    Raises:
        ValueError: if `hidden_dim` is not a positive multiple of 4.
    """
    if (
        isinstance(hidden_dim, bool)
        or not isinstance(hidden_dim, numbers.Integral)
        or (hidden_dim < 4 or hidden_dim % 4)
    ):
        raise ValueError(
            f"`hidden_dim` should be a positive multiple of 4. Received: hidden_dim={hidden_dim}"
        )
    if isinstance(grid_size, numbers.Integral):
        grid_size = (int(grid_size), int(grid_size))
    grid_height, grid_width = grid_size
    rows, columns = np.meshgrid(
        np.arange(grid_height, dtype="float64"),
        np.arange(grid_width, dtype="float64"),
        indexing="ij",
    )

    def embed_1d(dim, positions):
        omega = 1.0 / 10000 ** (np.arange(dim // 2, dtype="float64") / (dim / 2.0))
        out = positions.reshape(-1)[:, None] * omega[None, :]
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    # As in MAE's get_2d_sincos_pos_embed: the first half encodes the column (w).
    embedding = np.concatenate(
        [embed_1d(hidden_dim // 2, columns), embed_1d(hidden_dim // 2, rows)], axis=1
    )
    return embedding.astype("float32")
