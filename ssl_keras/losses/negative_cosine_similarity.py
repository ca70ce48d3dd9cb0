"""Negative cosine similarity, the loss of SimSiam (and, up to an affine map, of BYOL)."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import TwoViewLoss, check_pair
from ssl_keras.ops.similarity import l2_normalize


def negative_cosine_similarity_per_example(p, z):
    """The N terms `-sim(p_i, z_i)` whose mean is `negative_cosine_similarity`; `(N,)`."""
    p, z = check_pair(p, z, names=("p", "z"), minimum_batch_size=1)
    return -ops.sum(l2_normalize(p) * l2_normalize(z), axis=-1)


def negative_cosine_similarity(p, z):
    """Negative cosine similarity of predictions and targets (SimSiam, Eq. 1).

    SimSiam: "we minimize their negative cosine similarity"

        D(p, z) = - p / ||p||_2 . z / ||z||_2,

    averaged over the batch. Here `L = -1/N sum_i sim(p_i, z_i)`, a value in `[-1, 1]`
    (-1 when every prediction points the same way as its target). Matches lightly 1.6's
    `NegativeCosineSimilarity()` (the mean over the batch of minus
    `torch.nn.functional.cosine_similarity`), except that norms are clamped at 1e-6
    instead of 1e-8: the values differ only for rows of norm below 1e-6, and a zero row
    gets similarity 0 in both.

    Stop-gradient: this function does NOT stop gradients, neither does lightly's. SimSiam's
    loss is `D(p1, stopgrad(z2)) / 2 + D(p2, stopgrad(z1)) / 2`: applying
    `keras.ops.stop_gradient` to the targets `z` (and symmetrising over the two views) is
    the model's job. BYOL takes its targets from a momentum encoder, which receives no
    gradient anyway; its paper writes the loss as `||p / ||p|| - z / ||z|| ||^2 =
    2 - 2 sim(p, z)`, i.e. `2 + 2 * negative_cosine_similarity(p, z)`: the same minimiser
    and gradients twice as large.

    Args:
        p: `(N, d)` predictions (the predictor's output for one view).
        z: `(N, d)` targets (the projection of the other view).

    Returns:
        Scalar float32 tensor in `[-1, 1]`.

    Raises:
        ValueError: if `p` and `z` are not rank 2, their shapes differ, or N < 1.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    >>> float(negative_cosine_similarity(z, 3 * z))  # -1.0 (up to rounding)

    Reference:
        Chen, He. Exploring Simple Siamese Representation Learning. CVPR 2021, Eq. (1)-(3)
        and Algorithm 1. Grill et al. Bootstrap Your Own Latent. NeurIPS 2020, Eq. (2).
    """
    return ops.mean(negative_cosine_similarity_per_example(p, z))


@keras.saving.register_keras_serializable(package="ssl_keras")
class NegativeCosineSimilarity(TwoViewLoss):
    """`negative_cosine_similarity` as a `keras.losses.Loss`; see it for the definition.

    `y_pred` stacks the predictions and the targets on the batch axis:
    `concatenate([p, z], axis=0)` of shape `(2N, d)`, predictions first. Stop the
    targets' gradient before stacking (`keras.ops.stop_gradient(z)`) for SimSiam; the
    loss itself does not, like lightly 1.6's `NegativeCosineSimilarity`. `y_true` is
    ignored; the N per-pair terms are returned, so the default `"sum_over_batch_size"`
    reduction gives `negative_cosine_similarity(p, z)`.

    Args:
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.

    Raises:
        ValueError: if `y_pred` is not rank 2 or has an odd number of rows.

    Example:
    >>> import numpy as np
    >>> p, z = np.random.default_rng(0).normal(size=(2, 8, 16)).astype("float32")
    >>> loss = NegativeCosineSimilarity()
    >>> float(loss(np.zeros(16), np.concatenate([p, z])))  # doctest: +SKIP

    Reference:
        Chen, He. Exploring Simple Siamese Representation Learning. CVPR 2021.
    """

    per_example_function = staticmethod(negative_cosine_similarity_per_example)

    def __init__(
        self,
        reduction: str = "sum_over_batch_size",
        name: str = "negative_cosine_similarity",
        dtype=None,
    ):
        super().__init__(reduction, name, dtype)
