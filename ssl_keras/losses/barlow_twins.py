"""Barlow Twins: make the cross-correlation of the two views' embeddings the identity."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import TwoViewLoss, check_pair, check_positive

# Added to the batch variance before the square root, as `BatchNorm1d`'s default `eps`
# in the authors' code and in lightly 1.6 (`F.batch_norm`).
BATCH_NORM_EPSILON = 1e-5


def standardize_over_batch(z, epsilon: float = BATCH_NORM_EPSILON):
    """`(z - mean) / sqrt(var + epsilon)` per dimension, with the biased variance (1/N).

    This is a training-mode batch normalisation without scale and shift
    (`BatchNorm1d(affine=False)`), which is how the Barlow Twins code standardises.

    Args:
        z: `(N, d)` tensor.
        epsilon: added to the variance.

    Returns:
        Tensor of the shape of `z` with zero mean over the batch axis.
    """
    centered = z - ops.mean(z, axis=0, keepdims=True)
    variance = ops.mean(ops.square(centered), axis=0, keepdims=True)
    return centered / ops.sqrt(variance + epsilon)


def cross_correlation(z_a, z_b):
    """Barlow Twins' `(d, d)` matrix `C = z_a_norm^T z_b_norm / N` of standardised views."""
    z_a, z_b = check_pair(z_a, z_b, reason="batch statistics")
    n = ops.cast(ops.shape(z_a)[0], "float32")
    return ops.matmul(ops.transpose(standardize_over_batch(z_a)), standardize_over_batch(z_b)) / n


def barlow_twins_loss(z_a, z_b, lambda_param: float = 0.005):
    """Barlow Twins loss (Zbontar et al., 2021), as in the authors' code.

    Each embedding dimension is standardised over the batch, then

        C_ij = 1/N sum_b z_a_norm[b, i] z_b_norm[b, j]
        L = sum_i (1 - C_ii)^2 + lambda * sum_i sum_{j != i} C_ij^2

    Paper: "The invariance term of the objective, by trying to equate the diagonal
    elements of the cross-correlation matrix to 1, makes the embedding invariant to the
    distortions applied. The redundancy reduction term, by trying to equate the
    off-diagonal elements of the cross-correlation matrix to 0, decorrelates the different
    vector components of the embedding."

    Standardisation: a training-mode batch norm without affine parameters, i.e. the biased
    (1/N) variance plus eps = 1e-5 under the square root, as the authors' code
    (`BatchNorm1d(affine=False)`) and lightly 1.6's `BarlowTwinsLoss()` do; C is divided
    by N. Up to that eps, C is the Pearson correlation of the paper's Eq. (2); the
    paper's Algorithm 1 divides by `z.std(0)`, the unbiased (1/(N-1)) standard deviation,
    which scales C by (N-1)/N and gives a different value at small N. This matches
    lightly 1.6's `BarlowTwinsLoss(lambda_param, gather_distributed=False)` (its default):
    statistics of the local batch only. The sum (not mean) over dimensions makes the
    value grow with d. Default lambda 0.005 is lightly's; the paper uses 0.0051.

    Closed forms: if the two views are equal and their dimensions are uncorrelated over
    the batch (e.g. `z_a = z_b` with orthogonal centered columns), C is the identity up
    to the eps and the loss is ~0. A constant view gives C = 0 and L = d.

    Args:
        z_a: `(N, d)` embeddings of the first views, N >= 2.
        z_b: `(N, d)` embeddings of the second views.
        lambda_param: weight lambda >= 0 of the redundancy-reduction (off-diagonal) term
            (0: the paper's ablation without it).

    Returns:
        Scalar float32 tensor >= 0.

    Raises:
        ValueError: if `lambda_param < 0`, the embeddings are not rank 2, their shapes
            differ, or N < 2.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(32, 8)).astype("float32")
    >>> float(barlow_twins_loss(z, z + 0.1))  # doctest: +SKIP

    Reference:
        Zbontar, Jing, Misra, LeCun, Deny. Barlow Twins: Self-Supervised Learning via
        Redundancy Reduction. ICML 2021, Eq. (1), (2) and Algorithm 1.
    """
    check_positive(lambda_param, "lambda_param", allow_zero=True)
    c = cross_correlation(z_a, z_b)
    diagonal = ops.diagonal(c)
    off_diagonal_mask = 1.0 - ops.eye(ops.shape(c)[0], dtype="float32")
    invariance = ops.sum(ops.square(1.0 - diagonal))
    redundancy_reduction = ops.sum(ops.square(c) * off_diagonal_mask)
    return invariance + lambda_param * redundancy_reduction


@keras.saving.register_keras_serializable(package="ssl_keras")
class BarlowTwinsLoss(TwoViewLoss):
    """`barlow_twins_loss` as a `keras.losses.Loss` on stacked views `(2N, d)`.

    `y_pred = concatenate([z_a, z_b], axis=0)`; `y_true` is ignored. The loss is a
    function of batch statistics, not a mean over images, so the scalar is returned and
    the reduction leaves it unchanged (`sample_weight` cannot weight single images).

    Args:
        lambda_param: weight lambda >= 0 of the off-diagonal term.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.

    Raises:
        ValueError: if `lambda_param < 0`, or `y_pred` has an odd number of rows.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    >>> float(BarlowTwinsLoss()(np.zeros(64), z))  # doctest: +SKIP

    Reference:
        Zbontar et al. Barlow Twins: Self-Supervised Learning via Redundancy Reduction.
        ICML 2021.
    """

    per_example_function = staticmethod(barlow_twins_loss)
    config_arguments = ("lambda_param",)

    def __init__(
        self,
        lambda_param: float = 0.005,
        reduction: str = "sum_over_batch_size",
        name: str = "barlow_twins",
        dtype=None,
    ):
        check_positive(lambda_param, "lambda_param", allow_zero=True)
        super().__init__(reduction, name, dtype, lambda_param=lambda_param)
