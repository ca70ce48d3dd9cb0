"""NT-Logistic loss, one of the alternatives to NT-Xent in SimCLR's Tables 1 and 2."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import (
    TwoViewLoss,
    check_temperature,
    mean_over_negatives,
    positive_values,
    two_view_similarities,
)


def nt_logistic_per_example(z_a, z_b, temperature: float = 0.5, normalize: bool = True):
    """Per-anchor NT-Logistic terms, anchors ordered as `[z_a; z_b]`; shape `(2N,)`."""
    check_temperature(temperature)
    similarity, self_mask, positive_mask = two_view_similarities(z_a, z_b, normalize)
    logits = similarity / ops.cast(temperature, "float32")
    # -log(sigmoid(x)) = softplus(-x), stable for large |x|.
    positive_term = ops.softplus(-positive_values(logits, positive_mask))
    return positive_term + mean_over_negatives(ops.softplus(logits), self_mask, positive_mask)


def nt_logistic(z_a, z_b, temperature: float = 0.5, normalize: bool = True):
    """Normalized temperature-scaled logistic loss (SimCLR, Table 1).

    SimCLR defines it as `-log sigma(u^T v+ / tau) - log sigma(-u^T v- / tau)` on
    L2-normalised `u, v`. Here each of the 2N anchors has one positive and 2N-2 negatives;
    the negative term is averaged over the negatives so that positives and negatives
    weigh the same whatever the batch size (a stated choice: the paper gives the loss for
    one negative). SimCLR's Table 2 also reports it with semi-hard negative mining, which
    this function does not do.

        l_i = softplus(-s_ij / tau) + 1/(2N-2) sum_{k != i, j} softplus(s_ik / tau)

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.
        temperature: positive float.
        normalize: whether the similarity is the cosine (`True`, the paper's definition)
            or the dot product of the raw embeddings (`False`: the "w/o l2 norm" rows of
            SimCLR's Tables 2 and 5).

    Returns:
        Scalar float32 tensor, the mean of `l_i` over the 2N anchors.

    Raises:
        ValueError: for `temperature <= 0` or embeddings of bad shapes.

    Reference:
        Chen et al., "A Simple Framework for Contrastive Learning of Visual
        Representations", ICML 2020, Table 1.
    """
    return ops.mean(nt_logistic_per_example(z_a, z_b, temperature, normalize))


@keras.saving.register_keras_serializable(package="ssl_keras")
class NTLogistic(TwoViewLoss):
    """`nt_logistic` as a `keras.losses.Loss` on stacked views `(2N, d)`.

    Args:
        temperature: positive float.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.
    """

    per_example_function = staticmethod(nt_logistic_per_example)
    config_arguments = ("temperature",)

    def __init__(self, temperature=0.5, reduction="sum_over_batch_size", name="nt_logistic",
                 dtype=None):
        check_temperature(temperature)
        super().__init__(reduction, name, dtype, temperature=temperature)
