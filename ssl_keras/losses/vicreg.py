"""VICReg: variance-invariance-covariance regularisation of two views' embeddings."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import TwoViewLoss, check_pair, check_positive


def _check_vicreg_parameters(lambda_param, mu_param, nu_param, eps) -> None:
    check_positive(lambda_param, "lambda_param", allow_zero=True)
    check_positive(mu_param, "mu_param", allow_zero=True)
    check_positive(nu_param, "nu_param", allow_zero=True)
    check_positive(eps, "eps")


def vicreg_terms(z_a, z_b, eps: float = 1e-4):
    """The three unweighted VICReg terms `(invariance, variance, covariance)`.

    `vicreg_loss = lambda * invariance + mu * variance + nu * covariance`; see
    `vicreg_loss` for their definitions. Useful to log each term during training.

    Args:
        z_a: `(N, d)` embeddings of the first views, N >= 2.
        z_b: `(N, d)` embeddings of the second views.
        eps: positive float added to the variance before the square root.

    Returns:
        Tuple of three scalar float32 tensors.
    """
    check_positive(eps, "eps")
    z_a, z_b = check_pair(z_a, z_b, reason="an unbiased variance over the batch")
    invariance = ops.mean(ops.square(z_a - z_b))
    variance = (_variance_hinge(z_a, eps) + _variance_hinge(z_b, eps)) / 2.0
    covariance = _covariance_penalty(z_a) + _covariance_penalty(z_b)
    return invariance, variance, covariance


def _centered_and_n_minus_one(z):
    centered = z - ops.mean(z, axis=0, keepdims=True)
    return centered, ops.cast(ops.shape(z)[0] - 1, "float32")


def _variance_hinge(z, eps):
    """`1/d sum_j max(0, 1 - sqrt(Var(z^j) + eps))`, unbiased variance."""
    centered, n_minus_one = _centered_and_n_minus_one(z)
    std = ops.sqrt(ops.sum(ops.square(centered), axis=0) / n_minus_one + eps)
    return ops.mean(ops.relu(1.0 - std))


def _covariance_penalty(z):
    """`1/d sum_{i != j} Cov(z)_ij^2`, covariance with 1/(N-1)."""
    centered, n_minus_one = _centered_and_n_minus_one(z)
    covariance = ops.matmul(ops.transpose(centered), centered) / n_minus_one
    d = ops.shape(covariance)[0]
    off_diagonal_mask = 1.0 - ops.eye(d, dtype="float32")
    return ops.sum(ops.square(covariance) * off_diagonal_mask) / ops.cast(d, "float32")


def vicreg_loss(
    z_a,
    z_b,
    lambda_param: float = 25.0,
    mu_param: float = 25.0,
    nu_param: float = 1.0,
    eps: float = 1e-4,
):
    """VICReg loss (Bardes, Ponce, LeCun, 2022), as in the authors' code.

    With `S(x, eps) = sqrt(Var(x) + eps)` the regularised standard deviation of one
    dimension over the batch (unbiased variance, 1/(N-1)) and `C(Z)` the covariance
    matrix of Z (also 1/(N-1)):

        s(Z, Z') = 1/(N d) sum_b ||z_b - z'_b||^2                    (invariance, MSE)
        v(Z)     = 1/d sum_j max(0, 1 - S(z^j, eps))                 (variance hinge)
        c(Z)     = 1/d sum_{i != j} C(Z)_ij^2                        (covariance)
        L = lambda s(Z, Z') + mu (v(Z) + v(Z')) / 2 + nu (c(Z) + c(Z'))

    Paper: VICReg "explicitly avoids the collapse problem with a simple regularization
    term on the variance of the embeddings along each dimension individually", combined
    with the invariance (MSE) term and a covariance term that decorrelates dimensions.
    Departure from the paper's formula `lambda s + mu [v(Z) + v(Z')] + nu [c(Z) + c(Z')]`:
    the variance terms of the two branches are averaged, not summed, as in the authors'
    code (`std_loss = mean(relu(1 - std_x)) / 2 + mean(relu(1 - std_y)) / 2`) and in
    lightly; the covariance terms are summed everywhere. The hinge target gamma is 1.
    This matches lightly 1.6's `VICRegLoss(lambda_param, mu_param, nu_param, eps=eps)`
    with its default `gather_distributed=False` (statistics of the local batch only) on
    rank-2 inputs; lightly also accepts `(N, ..., d)`, this function does not.

    Closed forms: identical views give invariance 0; a dimension whose standard
    deviation is below 1 is pushed up by the hinge (a collapsed, constant batch has
    variance term `1 - sqrt(eps)`), one whose standard deviation is >= 1 contributes 0.

    Args:
        z_a: `(N, d)` embeddings of the first views, N >= 2.
        z_b: `(N, d)` embeddings of the second views.
        lambda_param: weight >= 0 of the invariance term (paper: 25).
        mu_param: weight >= 0 of the variance term (paper: 25).
        nu_param: weight >= 0 of the covariance term (paper: 1). Zero weights give the
            paper's ablations.
        eps: positive float added to the variance before the square root (paper: 1e-4).

    Returns:
        Scalar float32 tensor.

    Raises:
        ValueError: if a weight is < 0, `eps <= 0`, the embeddings are not rank 2, their
            shapes differ, or N < 2.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(32, 8)).astype("float32")
    >>> float(vicreg_loss(z, z + 0.1))  # doctest: +SKIP

    Reference:
        Bardes, Ponce, LeCun. VICReg: Variance-Invariance-Covariance Regularization for
        Self-Supervised Learning. ICLR 2022, Section 3 and Algorithm 1.
    """
    _check_vicreg_parameters(lambda_param, mu_param, nu_param, eps)
    invariance, variance, covariance = vicreg_terms(z_a, z_b, eps)
    return lambda_param * invariance + mu_param * variance + nu_param * covariance


@keras.saving.register_keras_serializable(package="ssl_keras")
class VICRegLoss(TwoViewLoss):
    """`vicreg_loss` as a `keras.losses.Loss` on stacked views `(2N, d)`.

    `y_pred = concatenate([z_a, z_b], axis=0)`; `y_true` is ignored. The loss is a
    function of batch statistics, not a mean over images, so the scalar is returned and
    the reduction leaves it unchanged (`sample_weight` cannot weight single images).

    Args:
        lambda_param: weight >= 0 of the invariance term.
        mu_param: weight >= 0 of the variance term.
        nu_param: weight >= 0 of the covariance term.
        eps: positive float added to the variance before the square root.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.

    Raises:
        ValueError: for a negative weight, `eps <= 0`, or an odd number of rows.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    >>> float(VICRegLoss()(np.zeros(64), z))  # doctest: +SKIP

    Reference:
        Bardes, Ponce, LeCun. VICReg: Variance-Invariance-Covariance Regularization for
        Self-Supervised Learning. ICLR 2022.
    """

    per_example_function = staticmethod(vicreg_loss)
    config_arguments = ("lambda_param", "mu_param", "nu_param", "eps")

    def __init__(
        self,
        lambda_param: float = 25.0,
        mu_param: float = 25.0,
        nu_param: float = 1.0,
        eps: float = 1e-4,
        reduction: str = "sum_over_batch_size",
        name: str = "vicreg",
        dtype=None,
    ):
        _check_vicreg_parameters(lambda_param, mu_param, nu_param, eps)
        super().__init__(
            reduction,
            name,
            dtype,
            lambda_param=lambda_param,
            mu_param=mu_param,
            nu_param=nu_param,
            eps=eps,
        )
