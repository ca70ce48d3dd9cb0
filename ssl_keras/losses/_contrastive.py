"""Shared pieces of the two-view losses, contrastive and non-contrastive (private)."""

import keras
from keras import ops

from ssl_keras.ops.similarity import _check_embeddings, pairwise_cosine_similarity
from ssl_keras.validation import check_positive, check_temperature  # noqa: F401


def check_pair(
    z_a,
    z_b,
    names: tuple[str, str] = ("z_a", "z_b"),
    minimum_batch_size: int = 2,
    reason: str = "one positive and at least one negative per anchor",
):
    """Converts two views' embeddings to float32 tensors and checks their shapes.

    The losses are computed in float32 whatever the compute dtype (`mixed_float16`,
    `mixed_bfloat16`): cosine similarities divided by a small temperature and their
    exponentials need float32's range and precision, and so do batch statistics.

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.
        names: the two arguments' names, for the error messages.
        minimum_batch_size: the smallest N the loss is defined for.
        reason: why, for the error message.
    """
    z_a = ops.cast(ops.convert_to_tensor(z_a), "float32")
    z_b = ops.cast(ops.convert_to_tensor(z_b), "float32")
    _check_embeddings(z_a, z_b, *names, same_batch=True)
    if z_a.shape[0] is not None and z_a.shape[0] < minimum_batch_size:
        raise ValueError(
            f"This loss needs a batch of at least {minimum_batch_size} images ({reason}). "
            f"Received: {names[0]}.shape={tuple(z_a.shape)}"
        )
    return z_a, z_b


def two_view_similarities(z_a, z_b, normalize: bool = True):
    """Cosine similarities of the 2N views of a batch, and the masks that index them.

    Follows SimCLR's Algorithm 1: the views are stacked as `z = [z_a; z_b]`, so the
    positive of anchor `i` is `i + N` for `i < N` and `i - N` otherwise. With
    `normalize=False` the similarity is the dot product of the raw embeddings instead
    (SimCLR's "w/o l2 norm" rows of Tables 2 and 5).

    Returns:
        `(similarity, self_mask, positive_mask)`: a float32 `(2N, 2N)` matrix of cosine
        similarities and two boolean `(2N, 2N)` masks, of the diagonal and of the
        positives. Built from `arange` comparisons, so a dynamic batch size works.
    """
    z_a, z_b = check_pair(z_a, z_b)
    z = ops.concatenate([z_a, z_b], axis=0)
    similarity = pairwise_cosine_similarity(z, z) if normalize else ops.matmul(z, ops.transpose(z))
    two_n = ops.shape(z)[0]
    index = ops.arange(two_n)
    n = two_n // 2
    positive_index = (index + n) % two_n
    self_mask = ops.equal(index[:, None], index[None, :])
    positive_mask = ops.equal(positive_index[:, None], index[None, :])
    return similarity, self_mask, positive_mask


def masked_logsumexp(logits, exclude_mask):
    """Row-wise `log sum_{k: not exclude[i, k]} exp(logits[i, k])`, stable and NaN-free.

    No infinite or huge constant is used to remove the excluded entries (such constants
    overflow in float16 and turn `0 * inf` into NaN in gradients). Instead the excluded
    entries are first replaced by the row minimum, which keeps every `exp` finite, then
    multiplied by zero. The stabilising shift is the maximum over the kept entries only, so
    the sum is >= 1 and its log is finite even when tau is tiny and the diagonal dominates.
    """
    row_min = ops.min(logits, axis=-1, keepdims=True)
    kept = ops.where(exclude_mask, row_min, logits)
    shift = ops.stop_gradient(ops.max(kept, axis=-1, keepdims=True))
    keep = ops.cast(ops.logical_not(exclude_mask), logits.dtype)
    total = ops.sum(ops.exp(kept - shift) * keep, axis=-1)
    return ops.log(total) + ops.squeeze(shift, axis=-1)


def negatives_mask(self_mask, positive_mask):
    """float32 `(2N, 2N)` mask of each anchor's 2N - 2 negatives (not itself, not its positive)."""
    return ops.cast(ops.logical_not(ops.logical_or(self_mask, positive_mask)), "float32")


def mean_over_negatives(matrix, self_mask, positive_mask):
    """Each row's mean over its anchor's 2N - 2 negatives: `(2N, 2N)` -> `(2N,)`."""
    negatives = negatives_mask(self_mask, positive_mask)
    return ops.sum(matrix * negatives, axis=-1) / ops.sum(negatives, axis=-1)


def positive_values(matrix, positive_mask):
    """Picks each row's positive entry: `(2N, 2N)` -> `(2N,)`."""
    return ops.sum(ops.where(positive_mask, matrix, ops.zeros_like(matrix)), axis=-1)


class TwoViewLoss(keras.losses.Loss):
    """Base of the two-view loss classes: `y_pred` is `[z_a; z_b]` stacked, `(2N, d)`.

    Every loss of the package is a readable function and a class that wraps it; this base
    is the one wrapper. A subclass names what it wraps:
    - `per_example_function` (a `staticmethod`): `(z_a, z_b, *arguments)` -> per-anchor
      terms whose mean is the loss, so the default `"sum_over_batch_size"` reduction
      gives the function's value. A loss that is not a mean over examples (Barlow
      Twins, VICReg: functions of batch statistics) returns the scalar loss itself,
      which every reduction leaves unchanged.
    - `config_arguments`: the names of those arguments, in the function's order. They
      are given to `__init__` as keywords, kept as attributes of the same names, passed
      to the function and saved by `get_config`.
    Its `__init__` keeps the loss's signature and defaults, validates the arguments and
    calls `super().__init__(reduction, name, dtype, **arguments)`. A loss that
    combines functions overrides `per_example(z_a, z_b)` instead. `y_true` is ignored.
    """

    per_example_function = None
    config_arguments: tuple[str, ...] = ()

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **arguments):
        if set(arguments) != set(self.config_arguments):
            raise TypeError(
                f"{type(self).__name__} takes the arguments {self.config_arguments}. "
                f"Received: {tuple(arguments)}"
            )
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        for key, value in arguments.items():
            setattr(self, key, value)

    def call(self, y_true, y_pred):
        z_a, z_b = split_views(y_pred)
        return self.per_example(z_a, z_b)

    def per_example(self, z_a, z_b):
        """The per-anchor terms (or the scalar loss) of the two views' embeddings."""
        arguments = [getattr(self, name) for name in self.config_arguments]
        return self.per_example_function(z_a, z_b, *arguments)

    def get_config(self):
        config = super().get_config()
        config.update({name: getattr(self, name) for name in self.config_arguments})
        return config


def split_views(y_pred):
    """Splits stacked views `(2N, d)` into `z_a, z_b` of shape `(N, d)` each."""
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) != 2:
        raise ValueError(
            "`y_pred` should be the two views' embeddings stacked on the batch axis, of "
            f"shape (2N, d). Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_pred.shape[0] is not None and y_pred.shape[0] % 2:
        raise ValueError(
            "`y_pred` should hold an even number of rows (two views per image). "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    z_a, z_b = ops.split(y_pred, 2, axis=0)
    return z_a, z_b
