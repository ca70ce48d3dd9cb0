"""NT-Xent, the normalized temperature-scaled cross-entropy loss of SimCLR."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import (
    TwoViewLoss,
    check_temperature,
    masked_logsumexp,
    negatives_mask,
    positive_values,
    two_view_similarities,
)


def nt_xent_per_example(z_a, z_b, temperature: float = 0.5, normalize: bool = True):
    """The 2N per-anchor terms `l(i, j)` of NT-Xent, anchors ordered as `[z_a; z_b]`.

    Args:
        z_a: embeddings of the first views, shape `(N, d)`.
        z_b: embeddings of the second views, shape `(N, d)`; row `i` is the positive of
            row `i` of `z_a`.
        temperature: positive float (or a scalar tensor, e.g. a learned temperature).
        normalize: whether the similarity is the cosine (`True`, the paper's definition)
            or the dot product of the raw embeddings (`False`: the "w/o l2 norm" rows of
            SimCLR's Tables 2 and 5).

    Returns:
        float32 tensor of shape `(2N,)`.
    """
    check_temperature(temperature)
    similarity, self_mask, positive_mask = two_view_similarities(z_a, z_b, normalize)
    logits = similarity / ops.cast(temperature, "float32")
    return masked_logsumexp(logits, self_mask) - positive_values(logits, positive_mask)


def nt_xent(z_a, z_b, temperature: float = 0.5, normalize: bool = True):
    """NT-Xent loss of SimCLR (Chen et al., 2020), exactly as in its Algorithm 1.

    For a batch of N images, each augmented twice, the 2N embeddings are L2-normalised and
    every view `i` is an anchor whose positive `j` is the other view of the same image and
    whose 2N-2 negatives are the views of the other images:

        l(i, j) = -log( exp(sim(z_i, z_j) / tau) / sum_{k != i} exp(sim(z_i, z_k) / tau) )
        L = 1 / (2N) * sum_{k=1..N} [ l(2k-1, 2k) + l(2k, 2k-1) ]

    Paper: "the final loss is computed across all positive pairs, both (i, j) and (j, i),
    in a mini-batch". The loss is the mean over the 2N anchors, both directions.

    Numerics: computed in float32 whatever the input dtype (mixed precision safe); the
    log-sum-exp excludes the anchor itself with a mask, not with a large negative
    constant, and shifts by the largest kept logit, so tiny temperatures neither overflow
    nor produce NaN; zero embeddings give similarity 0 and finite gradients.

    Conventions elsewhere: keras-cv's `SimCLRLoss` and TF Similarity's contrastive loss
    sum the two directions instead of averaging them, so they return twice this value.
    Closed forms: if all 2N embeddings are equal the loss is `log(2N - 1)`; if each image's
    two views are equal and the images are orthonormal it is
    `log(1 + (2N - 2) * exp(-1 / tau))`.

    Args:
        z_a: embeddings of the first views, shape `(N, d)`, N >= 2.
        z_b: embeddings of the second views, shape `(N, d)`.
        temperature: the softmax temperature tau > 0 (SimCLR: 0.5 for CIFAR-10, 0.1
            for ImageNet with large batches). A scalar tensor is accepted (learned tau).
        normalize: whether the similarity is the cosine (`True`, the paper's definition)
            or the dot product of the raw embeddings (`False`: the "w/o l2 norm" rows of
            SimCLR's Tables 2 and 5).

    Returns:
        Scalar float32 tensor.

    Raises:
        ValueError: if `temperature <= 0`, the embeddings are not rank 2, their shapes
            differ, or the batch holds fewer than 2 images.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    >>> float(nt_xent(z, z + 0.1, temperature=0.5))  # doctest: +SKIP

    Reference:
        Chen, Kornblith, Norouzi, Hinton. A Simple Framework for Contrastive Learning of
        Visual Representations. ICML 2020, Algorithm 1 and Eq. (1).
    """
    return ops.mean(nt_xent_per_example(z_a, z_b, temperature, normalize))


def positive_rank(z_a, z_b):
    """Expected rank of each anchor's positive among its 2N-1 candidates (1 is best).

    With `g` candidates strictly more similar to the anchor than its positive and `t`
    other candidates exactly as similar, the rank with ties broken uniformly at random
    is `1 + g + t / 2` in expectation. Without ties this is the plain rank; for a
    collapsed representation (all similarities equal) it is N, chance level, not 1.

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.

    Returns:
        float32 tensor of shape `(2N,)` with values in `[1, 2N - 1]`.
    """
    similarity, self_mask, positive_mask = two_view_similarities(z_a, z_b)
    positive = positive_values(similarity, positive_mask)[:, None]
    candidates = negatives_mask(self_mask, positive_mask)
    greater = ops.cast(ops.greater(similarity, positive), "float32") * candidates
    tied = ops.cast(ops.equal(similarity, positive), "float32") * candidates
    return 1.0 + ops.sum(greater, axis=-1) + 0.5 * ops.sum(tied, axis=-1)


def nt_xent_logits(z_a, z_b, temperature: float = 0.5):
    """The NT-Xent classification problem: logits of each anchor over its candidates.

    Anchor `i` (of the 2N views stacked as `[z_a; z_b]`) is scored against the 2N-1
    other views; the anchor itself is removed, not masked, so a softmax cross-entropy
    with `positive_index` as label gives exactly `nt_xent_per_example`.

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.
        temperature: positive float or scalar tensor.

    Returns:
        `(logits, positive_index)`: float32 `(2N, 2N - 1)` and int32 `(2N,)`.
    """
    check_temperature(temperature)
    similarity, self_mask, _ = two_view_similarities(z_a, z_b)
    logits = similarity / ops.cast(temperature, "float32")
    two_n = ops.shape(logits)[0]
    # Dropping the diagonal of an (M, M) matrix: flatten, drop the first entry, view as
    # (M - 1, M + 1); each row then starts with an off-diagonal run and ends with the next
    # diagonal entry, which the last column holds.
    flat = ops.reshape(logits, (-1,))[1:]
    off_diagonal = ops.reshape(flat, (two_n - 1, two_n + 1))[:, :-1]
    off_diagonal = ops.reshape(off_diagonal, (two_n, two_n - 1))
    index = ops.arange(two_n)
    n = two_n // 2
    positive = (index + n) % two_n
    # Removing column i shifts every later column one to the left.
    positive_index = ops.cast(positive - ops.cast(positive > index, positive.dtype), "int32")
    return off_diagonal, positive_index


@keras.saving.register_keras_serializable(package="ssl_keras")
class NTXent(TwoViewLoss):
    """NT-Xent loss (SimCLR) as a `keras.losses.Loss`; see `nt_xent` for the definition.

    Use it when a model outputs both views' projections stacked on the batch axis:
    `y_pred = concatenate([z_a, z_b], axis=0)` of shape `(2N, d)`. `y_true` is ignored
    (pass anything with a leading dimension of 2N, e.g. zeros); the per-anchor terms are
    returned, so the default `"sum_over_batch_size"` reduction gives `nt_xent`.

    Args:
        temperature: the softmax temperature tau > 0.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.

    Raises:
        ValueError: if `temperature <= 0`, or `y_pred` has an odd batch size.

    Example:
    >>> import numpy as np
    >>> loss = NTXent(temperature=0.5)
    >>> z = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    >>> float(loss(np.zeros(8), z))  # doctest: +SKIP

    Reference:
        Chen et al., "A Simple Framework for Contrastive Learning of Visual
        Representations", ICML 2020.
    """

    per_example_function = staticmethod(nt_xent_per_example)
    config_arguments = ("temperature",)

    def __init__(
        self,
        temperature: float = 0.5,
        reduction: str = "sum_over_batch_size",
        name: str = "nt_xent",
        dtype=None,
    ):
        check_temperature(temperature)
        super().__init__(reduction, name, dtype, temperature=temperature)
