"""The embedded default dataset: scikit-learn's handwritten digits, rendered in colour."""

import numpy as np

DIGITS_CLASS_NAMES = tuple(str(digit) for digit in range(10))


def load_digits(
    image_size: int = 16,
    digit_size: int = 12,
    noise: float = 0.08,
    test_fraction: float = 0.3,
    seed: int = 0,
    plain: bool = False,
):
    """Loads the embedded dataset: 1,797 real handwritten digits as small colour images.

    The images are scikit-learn's 8x8 digits (UCI, 43 writers), which ship inside
    scikit-learn, so nothing is downloaded. Plain 8x8 digits are too easy to teach with: a
    linear probe on the features of a *random* CNN already reaches ~96-99%, leaving nothing
    for self-supervised learning to show. So each digit is resized to `digit_size` and
    drawn at a random position, with random gray levels for stroke and background (the
    stroke brighter), on a background with Gaussian noise. Position, contrast and noise are
    nuisances that dominate a random encoder's features and that SimCLR's augmentations
    (crop, colour jitter) teach the encoder to ignore. The images have 3 identical channels
    so that RGB encoders and augmentations apply unchanged. The rendering is deterministic
    for a `seed`, and the train/test split is stratified by class.

    Args:
        image_size: side of the square output images (at least `digit_size`).
        digit_size: side to which each 8x8 digit is resized before being placed.
        noise: standard deviation of the background's Gaussian noise, in [0, 1] units.
        test_fraction: fraction of each class held out for testing, in (0, 1).
        seed: seed of the rendering and of the split.
        plain: if True, return the original digits in gray, resized to `image_size`,
            centred, without colour, position or noise (for comparison).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape
        `(n, image_size, image_size, 3)` with values in [0, 255], and int64 labels in
        [0, 9]. With the defaults, 1,258 training and 539 test images.

    Raises:
        ValueError: for sizes or fractions out of range.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_digits()
    >>> x_train.shape, x_train.dtype  # ((1258, 16, 16, 3), dtype('uint8'))
    """
    if not 8 <= digit_size <= image_size:
        raise ValueError(
            "`digit_size` should be between 8 and `image_size`. Received: "
            f"digit_size={digit_size}, image_size={image_size}"
        )
    if not 0 < test_fraction < 1:
        raise ValueError(f"`test_fraction` should be in (0, 1). Received: {test_fraction}")
    if noise < 0:
        raise ValueError(f"`noise` should be >= 0. Received: noise={noise}")
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    digits = bunch.images.astype("float32") / 16.0
    labels = bunch.target.astype("int64")
    rng = np.random.default_rng(seed)
    if plain:
        images = np.repeat(_resize(digits, image_size)[..., None], 3, axis=-1)
    else:
        images = _render(_resize(digits, digit_size), image_size, noise, rng)
    images = np.round(np.clip(images, 0.0, 1.0) * 255).astype("uint8")
    train, test = _stratified_split(labels, test_fraction, rng)
    return (images[train], labels[train]), (images[test], labels[test])


def _resize(images, size):
    """Bilinear resize of `(n, h, w)` images with separable interpolation matrices."""
    height = images.shape[1]
    weights = _interpolation_matrix(height, size)
    return np.einsum("oh,nhw,pw->nop", weights, images, weights)


def _interpolation_matrix(in_size, out_size):
    centres = (np.arange(out_size) + 0.5) * in_size / out_size - 0.5
    centres = np.clip(centres, 0, in_size - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, in_size - 1)
    fraction = centres - low
    matrix = np.zeros((out_size, in_size), "float32")
    matrix[np.arange(out_size), low] += 1 - fraction
    matrix[np.arange(out_size), high] += fraction
    return matrix


def _render(digits, image_size, noise, rng):
    count, size = digits.shape[:2]
    foreground, background = _contrasting_colours(count, rng)
    images = np.broadcast_to(background[:, None, None, :], (count, image_size, image_size, 3))
    images = images + rng.normal(0.0, noise, (count, image_size, image_size, 1))
    offsets = rng.integers(0, image_size - size + 1, size=(count, 2))
    for i, (top, left) in enumerate(offsets):
        alpha = np.clip(digits[i], 0.0, 1.0)[..., None]
        patch = images[i, top : top + size, left : left + size]
        patch[...] = alpha * foreground[i] + (1 - alpha) * patch
    return images


def _contrasting_colours(count, rng):
    """Random gray levels: a stroke at least 0.4 brighter than its background.

    Gray, not colour, on purpose: a random colour per image would identify each image,
    and telling images apart by colour is the easiest way to solve SimCLR's
    instance-discrimination task, so the encoder would learn colour instead of shape (the
    colour shortcut of SimCLR's Sec. 3; colour jitter at the CIFAR strength does not remove
    it). For the same reason the polarity is fixed: no augmentation inverts an image, so
    with both polarities the encoder would split the data into light-on-dark and
    dark-on-light before anything else.
    """
    background = rng.uniform(0.0, 0.6, count)
    foreground = rng.uniform(background + 0.4, 1.0)
    return (np.repeat(foreground[:, None], 3, axis=1), np.repeat(background[:, None], 3, axis=1))


def _stratified_split(labels, test_fraction, rng):
    train, test = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        cut = int(round(len(members) * test_fraction))
        test.extend(members[:cut])
        train.extend(members[cut:])
    return np.sort(np.array(train)), np.sort(np.array(test))
