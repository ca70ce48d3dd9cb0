"""The positives-only loss: SimCLR without negatives, to watch representations collapse."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import TwoViewLoss, check_pair
from ssl_keras.ops.similarity import l2_normalize


def positives_only_loss(z_a, z_b):
    """Negative mean cosine similarity of the positive pairs: `-1/N sum_i sim(z_a_i, z_b_i)`.

    This is the alignment term of NT-Xent alone. With nothing pushing different images
    apart, its global minimum (-1) is reached by mapping every image to the same vector:
    training with it is the course's representation-collapse experiment (watch the
    embedding-std monitor of `SimCLR` fall towards 0).

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.

    Returns:
        Scalar float32 tensor in `[-1, 1]`.

    Raises:
        ValueError: if the embeddings are not rank 2, their shapes differ, or N < 2.

    Example:
    >>> import numpy as np
    >>> z = np.ones((4, 3), "float32")
    >>> float(positives_only_loss(z, z))  # -1.0: perfectly "aligned", fully collapsed
    """
    return ops.mean(_per_example(z_a, z_b))


def _per_example(z_a, z_b):
    z_a, z_b = check_pair(z_a, z_b)
    cosine = ops.sum(l2_normalize(z_a) * l2_normalize(z_b), axis=-1)
    # Each pair counted once per direction, so the per-anchor terms average to the loss.
    return -ops.concatenate([cosine, cosine], axis=0)


@keras.saving.register_keras_serializable(package="ssl_keras")
class PositivesOnlyLoss(TwoViewLoss):
    """`positives_only_loss` as a `keras.losses.Loss` on stacked views `(2N, d)`.

    Args:
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.
    """

    per_example_function = staticmethod(_per_example)

    def __init__(self, reduction="sum_over_batch_size", name="positives_only", dtype=None):
        super().__init__(reduction, name, dtype)
