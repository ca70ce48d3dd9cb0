"""Few-label subsets for semi-supervised evaluation (SimCLR's 1% and 10% settings)."""

import math
import numbers

import numpy as np

from ssl_keras.evaluation._arrays import to_numpy


def stratified_subset(labels, fraction: float, seed: int | None = None) -> np.ndarray:
    """Indices of a class-stratified random subset holding `fraction` of each class.

    SimCLR's semi-supervised evaluation samples "1% or 10% of the labeled ILSVRC-12
    training datasets in a class-balanced way" (Sec. 4.2). Here every class `c` with `n_c`
    examples contributes `max(1, round(fraction * n_c))` examples (rounding half up,
    never more than `n_c`) drawn without replacement, so the class proportions of
    `labels` are kept and no class is left out: 1% of CIFAR-10's training set is
    exactly 50 images per class. Because of the per-class rounding, the subset size
    can differ slightly from `fraction * len(labels)` when classes are small.

    Departure: SimCLR released fixed lists of ImageNet images for its subsets; this
    draws a subset from `seed` (the same seed and labels always give the same subset).

    Args:
        labels: class labels of shape `(num_samples,)` or `(num_samples, 1)` (any
            values NumPy can sort: ints, strings).
        fraction: float in `(0, 1]`, e.g. `0.01` or `0.1`. `1.0` returns every index.
        seed: integer seed of the draw (`numpy.random.default_rng(seed)`); `None`
            draws a different subset each call.

    Returns:
        NumPy int64 array of sorted indices into `labels`.

    Raises:
        ValueError: if `fraction` is not in `(0, 1]`, or `labels` is empty or not of
            shape `(num_samples,)` / `(num_samples, 1)`.

    Example:
    >>> import numpy as np
    >>> labels = np.repeat(np.arange(10), 500)  # 10 classes x 500 examples
    >>> indices = stratified_subset(labels, 0.01, seed=0)
    >>> len(indices), np.bincount(labels[indices]).tolist()
    (50, [5, 5, 5, 5, 5, 5, 5, 5, 5, 5])

    Reference:
        - [Chen et al., 2020, A Simple Framework for Contrastive Learning of Visual
          Representations](https://arxiv.org/abs/2002.05709), Sec. 4.2.
    """
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, numbers.Real)
        or not 0 < fraction <= 1
    ):
        raise ValueError(f"`fraction` should be in (0, 1]. Received: fraction={fraction!r}")
    labels = to_numpy(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.shape[0] == 0:
        raise ValueError(
            "`labels` should be a non-empty array of shape (num_samples,) or "
            f"(num_samples, 1). Received: labels.shape={labels.shape}"
        )
    rng = np.random.default_rng(seed)
    # np.unique sorts the classes, so the draw order (and the result) depends only on
    # the labels and the seed.
    classes, class_ids = np.unique(labels, return_inverse=True)
    chosen = []
    for class_id in range(len(classes)):
        members = np.flatnonzero(class_ids == class_id)
        count = min(members.size, max(1, math.floor(fraction * members.size + 0.5)))
        chosen.append(rng.choice(members, size=count, replace=False))
    return np.sort(np.concatenate(chosen)).astype("int64")
