"""Figures for foundation models: MAE reconstructions, attention maps, PCA features, and a
side-by-side of two models' attention.

As in `ssl_keras.evaluation.plots`, figures are `matplotlib.figure.Figure` objects built
without `pyplot` (no global state, headless-safe); `path` saves a PNG.
"""


import keras
import numpy as np
from matplotlib.figure import Figure

from ssl_keras.evaluation.plots import save_figure

MAE_MASK_RATIOS = (0.25, 0.5, 0.75, 0.9)


def _as_display_image(image) -> np.ndarray:
    """A `[0, 255]` image as a float array in `[0, 1]` for `imshow` (gray if 1 channel)."""
    image = np.clip(np.asarray(image, dtype="float32") / 255.0, 0.0, 1.0)
    if image.shape[-1] == 1:
        image = image[..., 0]
    return image


def _off(axis) -> None:
    axis.set_xticks([])
    axis.set_yticks([])


def plot_mae_reconstructions(
    model,
    images,
    mask_ratios=MAE_MASK_RATIOS,
    path=None,
    paste_visible: bool = True,
    max_images: int = 8,
) -> Figure:
    """MAE reconstructions of the same images at several masking ratios.

    Rows: the original images; then, for each ratio, the masked input (masked patches
    in gray) and the reconstruction. Columns: images. Each ratio draws a new random
    mask per image.

    Args:
        model: a `MaskedAutoencoder` (anything with `reconstruct(images, mask_ratio,
            paste_visible)`).
        images: `(batch, height, width, channels)` in `[0, 255]`.
        mask_ratios: the masking ratios, each in `[0, 1)`.
        path: optional PNG path.
        paste_visible: show the original pixels on visible patches and the prediction
            on masked ones, as MAE's visualisation demo does ("reconstruction +
            visible"); False shows the raw output everywhere, as the paper's Fig. 2
            (no loss is computed on visible patches, so a small, briefly trained model
            outputs noise there).
        max_images: at most this many columns.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    images = np.asarray(images)[: int(max_images)]
    num_images = len(images)
    rows = 1 + 2 * len(mask_ratios)
    figure = Figure(figsize=(1.3 * num_images + 1.2, 1.3 * rows), layout="constrained")
    axes = figure.subplots(rows, num_images, squeeze=False)
    for column, image in enumerate(images):
        axes[0, column].imshow(_as_display_image(image), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_ylabel("original", fontsize=8)
    for index, ratio in enumerate(mask_ratios):
        reconstruction, mask = model.reconstruct(
            images, mask_ratio=ratio, paste_visible=paste_visible
        )
        masked = np.where(mask > 0.5, 127.5, images.astype("float32"))
        for column in range(num_images):
            axes[1 + 2 * index, column].imshow(
                _as_display_image(masked[column]), cmap="gray", vmin=0, vmax=1
            )
            axes[2 + 2 * index, column].imshow(
                _as_display_image(reconstruction[column]), cmap="gray", vmin=0, vmax=1
            )
        axes[1 + 2 * index, 0].set_ylabel(f"masked {ratio:.0%}", fontsize=8)
        axes[2 + 2 * index, 0].set_ylabel(f"reconstr. {ratio:.0%}", fontsize=8)
    for axis in axes.flat:
        _off(axis)
    figure.suptitle("Masked autoencoder reconstructions")
    save_figure(figure, path)
    return figure


def plot_attention_maps(
    images, attention_maps, path=None, max_images: int = 4, max_heads: int = 6
) -> Figure:
    """Images next to the class-token attention maps of each head and their mean.

    Args:
        images: `(batch, height, width, channels)` in `[0, 255]` (for display).
        attention_maps: `(batch, heads, grid_height, grid_width)` from
            `cls_attention_maps` / `dinov2_attention`.
        path: optional PNG path.
        max_images: at most this many rows.
        max_heads: at most this many head columns.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    images = np.asarray(images)[: int(max_images)]
    maps = np.asarray(keras.ops.convert_to_numpy(attention_maps), dtype="float32")
    maps = maps[: len(images)]
    num_heads = min(maps.shape[1], int(max_heads))
    columns = 2 + num_heads
    figure = Figure(figsize=(1.5 * columns, 1.5 * len(images)), layout="constrained")
    axes = figure.subplots(len(images), columns, squeeze=False)
    for row, image in enumerate(images):
        axes[row, 0].imshow(_as_display_image(image), cmap="gray", vmin=0, vmax=1)
        axes[row, 1].imshow(maps[row].mean(axis=0), cmap="inferno")
        for head in range(num_heads):
            axes[row, 2 + head].imshow(maps[row, head], cmap="inferno")
    axes[0, 0].set_title("image", fontsize=8)
    axes[0, 1].set_title("mean", fontsize=8)
    for head in range(num_heads):
        axes[0, 2 + head].set_title(f"head {head}", fontsize=8)
    for axis in axes.flat:
        _off(axis)
    save_figure(figure, path)
    return figure


def plot_pca_features(images, pca_images, path=None, max_images: int = 8) -> Figure:
    """Images (top row) and their patch-feature PCA in RGB (bottom row, `pca_rgb`)."""
    images = np.asarray(images)[: int(max_images)]
    pca_images = np.asarray(pca_images, dtype="float32")[: len(images)]
    figure = Figure(figsize=(1.5 * len(images), 3.2), layout="constrained")
    axes = figure.subplots(2, len(images), squeeze=False)
    for column in range(len(images)):
        axes[0, column].imshow(_as_display_image(images[column]), cmap="gray", vmin=0, vmax=1)
        pca = pca_images[column]
        axes[1, column].imshow(pca[..., 0] if pca.shape[-1] == 1 else pca, interpolation="nearest")
    for axis in axes.flat:
        _off(axis)
    axes[0, 0].set_ylabel("image", fontsize=8)
    axes[1, 0].set_ylabel("PCA (RGB)", fontsize=8)
    save_figure(figure, path)
    return figure


def plot_attention_comparison(images, attention_by_model: dict, path=None, max_images: int = 4):
    """Side by side: each image, then each model's class-token attention (head mean).

    Typical use: a self-supervised DINOv2 against a supervised ViT (any two or more
    backbones), with maps from `dinov2_attention` for each.

    Args:
        images: `(batch, height, width, channels)` in `[0, 255]`.
        attention_by_model: `{model_name: maps}`, maps of shape
            `(batch, heads, grid_height, grid_width)` or `(batch, grid_height,
            grid_width)`.
        path: optional PNG path.
        max_images: at most this many rows.

    Returns:
        The `matplotlib.figure.Figure`.
    """
    images = np.asarray(images)[: int(max_images)]
    names = list(attention_by_model)
    figure = Figure(figsize=(1.8 * (1 + len(names)), 1.8 * len(images)), layout="constrained")
    axes = figure.subplots(len(images), 1 + len(names), squeeze=False)
    for column, name in enumerate(names, start=1):
        maps = np.asarray(keras.ops.convert_to_numpy(attention_by_model[name]), "float32")
        if maps.ndim == 4:
            maps = maps.mean(axis=1)
        for row in range(len(images)):
            axes[row, column].imshow(maps[row], cmap="inferno")
        axes[0, column].set_title(str(name), fontsize=8)
    for row, image in enumerate(images):
        axes[row, 0].imshow(_as_display_image(image), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("image", fontsize=8)
    for axis in axes.flat:
        _off(axis)
    save_figure(figure, path)
    return figure
