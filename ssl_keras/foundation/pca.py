"""PCA of patch features mapped to RGB, as in DINOv2's feature visualisations."""

import keras
import numpy as np

from ssl_keras.foundation.attention import _grid


def pca_rgb(patch_features, grid_size=None, n_components: int = 3, foreground=None):
    """Projects patch features on their first principal components and scales them to RGB.

    DINOv2 (Fig. 1 and Sec. 7): "We compute a PCA between the patches of the images
    [...] and show their first 3 components [...] each component is matched to a
    different color channel." One PCA is fitted on the patches of all images together,
    so that matching parts of different images get matching colours. With
    `foreground`, the PCA is fitted on the foreground patches only (DINOv2 first
    separates foreground by thresholding the first component; here any mask, e.g.
    `foreground_masks` of the attention, can be used) and background patches are black.
    Each component is min-max scaled to `[0, 1]` over the fitted patches.

    The PCA is computed in NumPy (centred SVD); component signs follow scikit-learn's
    convention (the largest absolute loading of each component is positive), but a
    sign flip only inverts a colour channel.

    Args:
        patch_features: `(batch, num_patches, dim)` patch tokens (class and register
            tokens removed), or `(num_patches, dim)` for one image.
        grid_size: patch grid `(height, width)` or an int; `None` infers a square grid.
        n_components: number of components, 1 to 3 for an image (3 = RGB).
        foreground: optional boolean mask `(batch, num_patches)` or
            `(batch, grid_height, grid_width)`.

    Returns:
        float32 NumPy array `(batch, grid_height, grid_width, n_components)` in `[0, 1]`.

    Raises:
        ValueError: for inconsistent shapes, an `n_components` larger than the number of
            features or of fitted patches, or an empty foreground.

    Reference:
        Oquab et al., DINOv2: Learning Robust Visual Features without Supervision,
        TMLR 2024.
    """
    features = np.asarray(keras.ops.convert_to_numpy(patch_features), dtype="float64")
    if features.ndim == 2:
        features = features[None]
    if features.ndim != 3:
        raise ValueError(
            "`patch_features` should have shape (batch, num_patches, dim). "
            f"Received: patch_features.shape={features.shape}"
        )
    batch, num_patches, dim = features.shape
    height, width = _grid(num_patches, grid_size)
    if height * width != num_patches:
        raise ValueError(f"`grid_size` {grid_size} does not match {num_patches} patches per image.")
    if foreground is None:
        selected = np.ones((batch, num_patches), dtype=bool)
    else:
        selected = np.asarray(foreground, dtype=bool).reshape(batch, num_patches)
    flat = features.reshape(-1, dim)
    fitted = flat[selected.reshape(-1)]
    n_components = int(n_components)
    if not 1 <= n_components <= min(dim, len(fitted)):
        raise ValueError(
            "`n_components` should be between 1 and min(dim, number of fitted patches) = "
            f"{min(dim, len(fitted))}. Received: n_components={n_components}"
        )
    mean = fitted.mean(axis=0)
    _, _, components = np.linalg.svd(fitted - mean, full_matrices=False)
    components = components[:n_components]
    largest = np.argmax(np.abs(components), axis=1)
    components *= np.sign(components[np.arange(n_components), largest])[:, None]
    projected = (flat - mean) @ components.T
    fitted_projection = projected[selected.reshape(-1)]
    low = fitted_projection.min(axis=0)
    span = np.maximum(fitted_projection.max(axis=0) - low, 1e-12)
    rgb = np.clip((projected - low) / span, 0.0, 1.0)
    rgb[~selected.reshape(-1)] = 0.0
    return rgb.reshape(batch, height, width, n_components).astype("float32")
