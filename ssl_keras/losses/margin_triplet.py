"""Margin triplet loss, one of the alternatives to NT-Xent in SimCLR's Tables 1 and 2."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import (
    TwoViewLoss,
    mean_over_negatives,
    positive_values,
    two_view_similarities,
)


def _check_margin(margin) -> None:
    if not isinstance(margin, (int, float)) or margin < 0:
        raise ValueError(f"`margin` should be a number >= 0. Received: margin={margin}")


def margin_triplet_per_example(z_a, z_b, margin: float = 1.0, normalize: bool = True):
    """Per-anchor margin-triplet terms, anchors ordered as `[z_a; z_b]`; shape `(2N,)`."""
    _check_margin(margin)
    similarity, self_mask, positive_mask = two_view_similarities(z_a, z_b, normalize)
    positive = positive_values(similarity, positive_mask)
    hinge = ops.relu(similarity - positive[:, None] + margin)
    return mean_over_negatives(hinge, self_mask, positive_mask)


def margin_triplet(z_a, z_b, margin: float = 1.0, normalize: bool = True):
    """Margin triplet loss on cosine similarities (SimCLR, Table 1).

    SimCLR writes it as `max(u^T v- - u^T v+ + m, 0)` on L2-normalised `u, v`. Each of
    the 2N anchors is compared with its 2N-2 negatives and the hinge is averaged over them
    (the paper gives it for one negative and also reports semi-hard negative mining, which
    this function does not do). The paper does not give `m`; the default 1.0 asks each
    positive to be at least one unit of cosine closer than each negative.

        l_i = 1/(2N-2) sum_{k != i, j} max(s_ik - s_ij + m, 0)

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.
        margin: the margin `m >= 0`.
        normalize: whether the similarity is the cosine (`True`, the paper's definition)
            or the dot product of the raw embeddings (`False`: the "w/o l2 norm" rows of
            SimCLR's Tables 2 and 5).

    Returns:
        Scalar float32 tensor, the mean of `l_i` over the 2N anchors.

    Raises:
        ValueError: for a negative margin or embeddings of bad shapes.

    Reference:
        Chen et al., "A Simple Framework for Contrastive Learning of Visual
        Representations", ICML 2020, Table 1.
    """
    return ops.mean(margin_triplet_per_example(z_a, z_b, margin, normalize))


@keras.saving.register_keras_serializable(package="ssl_keras")
class MarginTriplet(TwoViewLoss):
    """`margin_triplet` as a `keras.losses.Loss` on stacked views `(2N, d)`.

    Args:
        margin: the margin `m >= 0`.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.
    """

    per_example_function = staticmethod(margin_triplet_per_example)
    config_arguments = ("margin",)

    def __init__(self, margin=1.0, reduction="sum_over_batch_size", name="margin_triplet",
                 dtype=None):
        _check_margin(margin)
        super().__init__(reduction, name, dtype, margin=margin)
