"""Attention of Vision Transformers: capturing attention probabilities, class-token
attention maps per head, foreground masks (DINO's 60%-of-the-mass threshold), and how much
of a map falls on an object (`attention_mass_inside`, with masks put on the patch grid by
`patch_mask_fractions`; `bright_object_masks` for the embedded digits).

These work on the outputs of any ViT-like model (keras-hub's `DINOV2Backbone` and
`ViTBackbone`, the `MaskedAutoencoder.token_encoder` of this package, or synthetic
tensors), so they are testable without pretrained weights. Results are NumPy arrays.
"""

import numbers

import keras
import numpy as np


def _walk_layers(root):
    """Yields `root` and every `keras.layers.Layer` reachable through its attributes."""
    seen = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, keras.layers.Layer):
            yield item
            children = list(vars(item).values())
        elif isinstance(item, (list, tuple)):
            children = list(item)
        elif isinstance(item, dict):
            children = list(item.values())
        else:
            continue
        for child in reversed(children):
            if isinstance(child, (keras.layers.Layer, list, tuple, dict)):
                stack.append(child)


def attention_scores(model, inputs, training: bool = False) -> list[np.ndarray]:
    """Runs `model` once and returns the attention probabilities of its attention layers.

    Every `keras.layers.MultiHeadAttention` inside `model` (found through its
    attributes, however deeply nested) is asked for `return_attention_scores=True` for
    the duration of this call; the probabilities are collected in the order the layers
    run, so `attention_scores(model, x)[-1]` is the last block's. The model's own output
    is unchanged, and the layers are restored afterwards. This covers keras-hub's
    `DINOV2Backbone` and `ViTBackbone` (whose blocks call `MultiHeadAttention` without
    returning scores) without rebuilding them.

    Args:
        model: a `keras.Model` or layer containing `keras.layers.MultiHeadAttention`
            layers, e.g. a keras-hub backbone.
        inputs: what `model` takes (images, or keras-hub's `{"images": images}`).
        training: passed to the model call (default inference mode).

    Returns:
        A list with one float32 NumPy array per attention call, each of shape
        `(batch, num_heads, num_query_tokens, num_key_tokens)`; rows sum to 1.

    Raises:
        ValueError: if `model` contains no `MultiHeadAttention` layer.

    Example:
    >>> import keras, numpy as np
    >>> inputs = keras.Input((5, 8))
    >>> model = keras.Model(inputs, keras.layers.MultiHeadAttention(2, 4)(inputs, inputs))
    >>> [s.shape for s in attention_scores(model, np.zeros((3, 5, 8)))]
    [(3, 2, 5, 5)]
    """
    layers = [
        layer for layer in _walk_layers(model) if isinstance(layer, keras.layers.MultiHeadAttention)
    ]
    if not layers:
        raise ValueError(
            "`model` should contain at least one `keras.layers.MultiHeadAttention` layer. "
            f"Received: model={getattr(model, 'name', model)!r}"
        )
    captured = []

    def capture(layer):
        original_call = layer.call

        def call_with_scores(*args, **kwargs):
            kwargs["return_attention_scores"] = True
            output, scores = original_call(*args, **kwargs)
            captured.append(scores)
            return output

        return call_with_scores

    for layer in layers:
        layer.call = capture(layer)
    try:
        model(inputs, training=training)
    finally:
        for layer in layers:
            del layer.call
    return [np.asarray(keras.ops.convert_to_numpy(s), dtype="float32") for s in captured]


def _grid(num_patches: int, grid_size) -> tuple[int, int]:
    if grid_size is None:
        side = int(round(num_patches**0.5))
        if side * side != num_patches:
            raise ValueError(
                f"Cannot infer a square grid from {num_patches} patch tokens: pass "
                "`grid_size=(height, width)`."
            )
        return side, side
    if isinstance(grid_size, numbers.Integral):
        return int(grid_size), int(grid_size)
    height, width = (int(size) for size in grid_size)
    return height, width


def cls_attention_maps(attention, grid_size=None, num_registers: int = 0) -> np.ndarray:
    """Attention of the class token to the patches, per head, as images.

    The ViT token order is `[CLS, register_1..register_R, patch_1..patch_HW]` (DINOv2
    with registers; `num_registers=0` for DINO, DINOv2 without registers, ViT and the
    MAE). Row 0 of the attention probabilities (the class token as query) restricted to
    the patch columns is reshaped to the patch grid: DINO's "self-attention of the
    [CLS] token on the heads of the last layer". Maps are not renormalised (they sum to
    the class token's attention mass on patches, at most 1).

    Args:
        attention: attention probabilities `(batch, heads, tokens, tokens)` (e.g.
            `attention_scores(model, images)[-1]`).
        grid_size: patch grid `(height, width)` or an int; `None` infers a square grid.
        num_registers: number of register tokens between the class token and patches.

    Returns:
        float32 NumPy array `(batch, heads, grid_height, grid_width)`.

    Raises:
        ValueError: if the attention is not rank 4 or the token count does not match
            `1 + num_registers + grid_height * grid_width`.

    Reference:
        Caron et al., Emerging Properties in Self-Supervised Vision Transformers
        (DINO), ICCV 2021; Darcet et al., Vision Transformers Need Registers, 2023.
    """
    attention = np.asarray(keras.ops.convert_to_numpy(attention), dtype="float32")
    if attention.ndim != 4:
        raise ValueError(
            "`attention` should have shape (batch, heads, tokens, tokens). "
            f"Received: attention.shape={attention.shape}"
        )
    num_registers = int(num_registers)
    num_patches = attention.shape[-1] - 1 - num_registers
    height, width = _grid(num_patches, grid_size)
    if num_patches <= 0 or height * width != num_patches:
        raise ValueError(
            "The number of tokens should be 1 + num_registers + grid_height * grid_width. "
            f"Received: attention.shape={attention.shape}, num_registers={num_registers}, "
            f"grid_size={grid_size}"
        )
    maps = attention[:, :, 0, 1 + num_registers :]
    return maps.reshape(attention.shape[0], attention.shape[1], height, width)


def foreground_masks(attention_maps, keep_mass: float | None = 0.6, threshold=None):
    """Binary foreground masks from attention maps.

    With `keep_mass` (DINO's method: "We threshold the self-attention maps to keep 60%
    of the mass"), each map keeps its smallest set of highest-attention patches whose
    attention sums to at least `keep_mass` of the map's total, as DINO's
    `visualize_attention.py` does (ascending sort, cumulative sum, keep where the
    cumulative mass exceeds `1 - keep_mass`). With `threshold` instead, a patch is kept
    when its attention is at least `threshold` times the map's maximum.

    Args:
        attention_maps: non-negative array `(..., height, width)`, e.g. the output of
            `cls_attention_maps` (one mask per head) or its mean over heads.
        keep_mass: fraction of the attention mass to keep, in `(0, 1]`.
        threshold: relative threshold in `[0, 1]`; when given, `keep_mass` is ignored.

    Returns:
        Boolean NumPy array of the same shape, True on the foreground.

    Raises:
        ValueError: for out-of-range arguments or maps of rank < 2.
    """
    maps = np.asarray(keras.ops.convert_to_numpy(attention_maps), dtype="float64")
    if maps.ndim < 2:
        raise ValueError(
            "`attention_maps` should have shape (..., height, width). "
            f"Received: attention_maps.shape={maps.shape}"
        )
    flat = maps.reshape(-1, maps.shape[-2] * maps.shape[-1])
    if threshold is not None:
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"`threshold` should be in [0, 1]. Received: threshold={threshold}")
        keep = flat >= float(threshold) * flat.max(axis=1, keepdims=True)
        return keep.reshape(maps.shape)
    if keep_mass is None or not 0.0 < float(keep_mass) <= 1.0:
        raise ValueError(f"`keep_mass` should be in (0, 1]. Received: keep_mass={keep_mass}")
    order = np.argsort(flat, axis=1, kind="stable")
    sorted_values = np.take_along_axis(flat, order, axis=1)
    total = np.maximum(sorted_values.sum(axis=1, keepdims=True), 1e-12)
    cumulative = np.cumsum(sorted_values / total, axis=1)
    keep_sorted = cumulative > 1.0 - float(keep_mass) + 1e-9
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return keep.reshape(maps.shape)


def _overlap_matrix(num_pixels: int, num_cells: int) -> np.ndarray:
    """`(num_cells, num_pixels)`: the fraction of cell `i` that pixel `y` covers.

    Cell `i` spans `[i * num_pixels / num_cells, (i + 1) * num_pixels / num_cells)` in
    pixel units; rows sum to 1.
    """
    cell = num_pixels / num_cells
    starts = np.arange(num_cells)[:, None] * cell
    pixels = np.arange(num_pixels)[None, :]
    overlap = np.clip(np.minimum(pixels + 1, starts + cell) - np.maximum(pixels, starts), 0, None)
    return overlap / cell


def patch_mask_fractions(masks, grid_size) -> np.ndarray:
    """Fraction of each patch of a grid that a pixel mask covers (exact area overlap).

    Puts an object mask drawn at image resolution on the patch grid of a ViT, whatever
    the two sizes: patch `(i, j)` of a `grid_height x grid_width` grid covers the
    rectangle `[i H / grid_height, (i + 1) H / grid_height) x [j W / grid_width,
    (j + 1) W / grid_width)` of an `H x W` mask, and its value is the mean of the mask
    over that rectangle, pixels cut by a boundary counting for the part inside. With a
    grid that divides the image (4x4 patches of a 16x16 digit) this is the mean over
    each patch's pixels; with a 14x14 grid over a 16x16 image, patches straddle pixels.

    Args:
        masks: `(..., H, W)` booleans or values in `[0, 1]`.
        grid_size: patch grid `(grid_height, grid_width)` or an int for a square grid.

    Returns:
        float64 NumPy array `(..., grid_height, grid_width)` with values in `[0, 1]`.

    Raises:
        ValueError: for masks of rank < 2 or a grid size < 1.

    Example:
    >>> mask = np.zeros((4, 4), bool)
    >>> mask[:2, :1] = True
    >>> patch_mask_fractions(mask, 2)
    array([[0.5, 0. ],
           [0. , 0. ]])
    """
    masks = np.asarray(keras.ops.convert_to_numpy(masks), dtype="float64")
    if masks.ndim < 2:
        raise ValueError(
            f"`masks` should have shape (..., height, width). Received: masks.shape={masks.shape}"
        )
    height, width = _grid(0, grid_size) if grid_size is not None else (0, 0)
    if height < 1 or width < 1:
        raise ValueError(f"`grid_size` should be positive. Received: grid_size={grid_size}")
    rows = _overlap_matrix(masks.shape[-2], height)
    columns = _overlap_matrix(masks.shape[-1], width)
    return np.einsum("ih,...hw,jw->...ij", rows, masks, columns)


def attention_mass_inside(attention_maps, masks) -> np.ndarray:
    """Fraction of each attention map's mass that falls on an object mask.

    `sum(a * m) / sum(a)` over the last two axes, for an attention map `a` (e.g. the
    class token's attention to the patches, `cls_attention_maps`, which sums to less
    than 1 since the class token also attends to itself) and a mask `m` on the same grid
    (booleans, or the fraction of each patch on the object, `patch_mask_fractions`).
    Uniform attention gives the mask's mean (its area fraction), the chance level; 1 means
    every bit of attention is on the object.

    Args:
        attention_maps: non-negative `(..., height, width)`, each map with a positive sum.
        masks: values in `[0, 1]` of the same shape as `attention_maps` (or one that
            broadcasts to it).

    Returns:
        float64 NumPy array of shape `attention_maps.shape[:-2]` (a 0-d array for a
        single map).

    Raises:
        ValueError: for maps of rank < 2 or masks that do not broadcast to them.

    Example:
    >>> maps = np.array([[0.4, 0.1], [0.2, 0.1]])
    >>> float(attention_mass_inside(maps, np.eye(2)))
    0.625
    """
    maps = np.asarray(keras.ops.convert_to_numpy(attention_maps), dtype="float64")
    masks = np.asarray(keras.ops.convert_to_numpy(masks), dtype="float64")
    if maps.ndim < 2:
        raise ValueError(
            "`attention_maps` should have shape (..., height, width). "
            f"Received: attention_maps.shape={maps.shape}"
        )
    try:
        masks = np.broadcast_to(masks, maps.shape)
    except ValueError as error:
        raise ValueError(
            "`masks` should have the shape of `attention_maps`. Received: "
            f"masks.shape={masks.shape}, attention_maps.shape={maps.shape}"
        ) from error
    inside = (maps * masks).sum(axis=(-2, -1))
    return inside / maps.sum(axis=(-2, -1))


def bright_object_masks(images, percentile: float = 99.0) -> np.ndarray:
    """Pixel masks of a bright object on a darker, mostly uniform background.

    For images such as the embedded digits (`ssl_keras.data.load_digits`: a stroke at
    least 0.4 brighter than a noisy uniform background, covering a minority of the
    pixels): the background level is each image's median gray value, the object level its
    `percentile`-th percentile, and a pixel belongs to the object when it is brighter than
    their midpoint. An approximation of the object (noise can flip single pixels), made
    to compare attention maps with, not a segmentation method.

    Args:
        images: `(batch, height, width, channels)` (or `(batch, height, width)`), any
            value range; channels are averaged.
        percentile: the object's level, in `(50, 100]`.

    Returns:
        Boolean NumPy array `(batch, height, width)`.

    Raises:
        ValueError: for a percentile out of range or images of rank < 3.
    """
    if not 50.0 < float(percentile) <= 100.0:
        raise ValueError(f"`percentile` should be in (50, 100]. Received: percentile={percentile}")
    images = np.asarray(keras.ops.convert_to_numpy(images), dtype="float64")
    if images.ndim == 4:
        images = images.mean(axis=-1)
    if images.ndim != 3:
        raise ValueError(
            "`images` should have shape (batch, height, width[, channels]). "
            f"Received: images.shape={images.shape}"
        )
    flat = images.reshape(len(images), -1)
    background = np.median(flat, axis=1)
    foreground = np.percentile(flat, float(percentile), axis=1)
    return images > ((background + foreground) / 2)[:, None, None]
