"""NT-Xent computed block by block: memory O(N * chunk_size) instead of O(N^2)."""


import keras
from keras import ops

from ssl_keras.losses._contrastive import TwoViewLoss, check_pair, check_temperature
from ssl_keras.ops.similarity import l2_normalize
from ssl_keras.validation import check_positive_int

DEFAULT_CHUNK_SIZE = 1024


def chunked_nt_xent_per_example(z_a, z_b, temperature: float = 0.5,
                                 chunk_size: int = DEFAULT_CHUNK_SIZE):
    """The 2N per-anchor terms of NT-Xent, computed `chunk_size` anchors at a time.

    Same values as `nt_xent_per_example` (anchors ordered as `[z_a; z_b]`) and the same
    gradients, with the `(2N, 2N)` similarity matrix never held in memory: anchors are
    processed in row blocks of `chunk_size`, each block's `(chunk_size, 2N)` logits
    reduced to its log-sum-exp at once. See `chunked_nt_xent`.

    Args:
        z_a: embeddings of the first views, shape `(N, d)`, N >= 2.
        z_b: embeddings of the second views, shape `(N, d)`.
        temperature: the softmax temperature tau > 0 (a float or a scalar tensor, e.g. a
            learned temperature; gradients flow to it).
        chunk_size: anchors per block, a positive integer. Peak memory of the loss and
            of its gradient grows as `chunk_size * 2N`.

    Returns:
        float32 tensor of shape `(2N,)`.

    Raises:
        ValueError: as `chunked_nt_xent`.
    """
    check_temperature(temperature)
    chunk_size = _check_chunk_size(chunk_size)
    z_a, z_b = check_pair(z_a, z_b)
    # Normalising is O(N d): plain autodiff takes the gradient through it; only the
    # O(N^2) part below has a hand-written, blockwise gradient.
    z = l2_normalize(ops.concatenate([z_a, z_b], axis=0), axis=-1)
    inverse_temperature = 1.0 / ops.cast(ops.convert_to_tensor(temperature), "float32")
    return _blockwise_terms(chunk_size)(z, inverse_temperature)


def chunked_nt_xent(z_a, z_b, temperature: float = 0.5, chunk_size: int = DEFAULT_CHUNK_SIZE):
    """NT-Xent (SimCLR's loss) with the similarity matrix computed in row blocks.

    The value is `nt_xent(z_a, z_b, temperature)`: the mean over the 2N anchors `i` of
    `log sum_{k != i} exp(s_ik / tau) - s_ij / tau` (cosine similarities `s`, positive
    `j`). `nt_xent` builds the whole `(2N, 2N)` matrix, and automatic differentiation
    keeps it (and its exponential) alive for the backward pass: at batch N = 8192 that
    is two 16384 x 16384 float32 matrices, 2 GiB. Here both passes go through the anchors
    `chunk_size` at a time:

    - forward: for each block of anchors, its `(chunk_size, 2N)` logits and their
      log-sum-exp (shifted by the largest kept logit, anchor excluded by a mask, as in
      `nt_xent`); only the 2N log-sum-exps are kept for the backward pass;
    - backward (a custom gradient, `keras.ops.custom_gradient`): the block's logits are
      recomputed, its softmax `P` rebuilt from the saved log-sum-exps, and with
      `G = (P - onehot(positive)) * upstream / ...` the gradient is accumulated as
      `dz += (G z + G^T z_block) / tau` and `d(1/tau) = sum(G * s)`.

    Peak memory is therefore O(N * chunk_size + N * d) in both passes, at the price of
    computing the block logits twice (once more in the backward pass; the matrix
    products are 3 instead of 2 `2N x 2N x d` products). With `chunk_size >= 2N` it is
    one block: the same memory as `nt_xent`.

    The full blocks run in a loop op (`keras.ops.fori_loop`: a `while` loop under XLA,
    so the compiler cannot schedule all blocks at once and keep every block's
    temporaries alive; a Python loop on torch), and a last, smaller block takes the
    remaining rows. The block sizes are static, so the batch size must be known when
    the function is traced; with an unknown batch size (a `None` dimension) everything
    is one block.

    Args:
        z_a: embeddings of the first views, shape `(N, d)`, N >= 2.
        z_b: embeddings of the second views, shape `(N, d)`; row `i` is the positive of
            row `i` of `z_a`.
        temperature: the softmax temperature tau > 0, a float or a scalar tensor.
        chunk_size: anchors per block (positive integer). Defaults to 1024.

    Returns:
        Scalar float32 tensor.

    Raises:
        ValueError: if `temperature <= 0`, `chunk_size` is not a positive integer, the
            embeddings are not rank 2, their shapes differ, or the batch holds fewer than
            2 images.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    >>> loss = chunked_nt_xent(z, z + 0.1, temperature=0.5, chunk_size=4)
    >>> # equals nt_xent(z, z + 0.1, temperature=0.5)

    Reference:
        Chen, Kornblith, Norouzi, Hinton. A Simple Framework for Contrastive Learning of
        Visual Representations. ICML 2020, Algorithm 1. The blockwise log-sum-exp with
        recomputation in the backward pass is the memory-saving pattern of
        FlashAttention (Dao et al., 2022), applied to the rows of the similarity matrix.
    """
    return ops.mean(chunked_nt_xent_per_example(z_a, z_b, temperature, chunk_size))


def _blockwise_terms(chunk_size: int):
    """The `(z, 1/tau) -> (2N,)` terms with their blockwise custom gradient."""

    @ops.custom_gradient
    def terms(z, inverse_temperature):
        blocks = _blocks(z, chunk_size)

        def forward_block(start, size, state):
            log_sum_exp, positive = state
            logits, self_mask, positive_mask = _block_logits(z, inverse_temperature, start, size)
            block_positive = ops.sum(
                ops.where(positive_mask, logits, ops.zeros_like(logits)), axis=-1
            )
            return (
                _update_rows(log_sum_exp, start, _masked_logsumexp(logits, self_mask)),
                _update_rows(positive, start, block_positive),
            )

        rows = ops.zeros((ops.shape(z)[0],), "float32")
        log_sum_exp, positive = _loop_over_blocks(blocks, forward_block, (rows, rows))

        def grad(*args, upstream=None):
            # jax and tensorflow pass the upstream gradient positionally, torch by name.
            if upstream is None:
                (upstream,) = args
            upstream = ops.cast(upstream, "float32")

            def backward_block(start, size, state):
                gradient_z, gradient_inverse_temperature = state
                block = _rows(z, start, size)
                cosines = ops.matmul(block, ops.transpose(z))
                logits = cosines * inverse_temperature
                self_mask, positive_mask = _block_masks(z, start, size)
                lse = ops.expand_dims(_rows(log_sum_exp, start, size), -1)
                # exp(logit - lse) is the softmax over the kept candidates; the anchor's
                # own logit is swapped for lse first so that exp never overflows.
                exponent = ops.where(self_mask, lse, logits) - lse
                probabilities = ops.where(self_mask, ops.zeros_like(logits), ops.exp(exponent))
                g = (probabilities - ops.cast(positive_mask, "float32")) * ops.expand_dims(
                    _rows(upstream, start, size), -1
                )
                # d/dz of sum_ik g_ik z_i.z_k / tau: rows i get g z, every row k gets g^T z_i.
                gradient_z = gradient_z + ops.matmul(ops.transpose(g), block) * (
                    inverse_temperature
                )
                gradient_z = _update_rows(
                    gradient_z,
                    start,
                    _rows(gradient_z, start, size) + ops.matmul(g, z) * inverse_temperature,
                )
                return gradient_z, gradient_inverse_temperature + ops.sum(g * cosines)

            return _loop_over_blocks(
                blocks, backward_block, (ops.zeros_like(z), ops.zeros((), "float32"))
            )

        return log_sum_exp - positive, grad

    return terms


def _blocks(z, chunk_size: int):
    """`(full_blocks, chunk_size, remainder)`: the row blocks of the 2N anchors.

    With an unknown (None) batch size: one block of all rows, `(1, None, 0)`.
    """
    total = z.shape[0]
    if total is None:
        return 1, None, 0
    chunk_size = min(chunk_size, total)
    return total // chunk_size, chunk_size, total % chunk_size


def _loop_over_blocks(blocks, body, state):
    """Runs `body(start, size, state)` over the full blocks with a loop op (so that a
    compiler runs them one after the other instead of holding every block's
    temporaries at once), then once over the remainder block."""
    full_blocks, chunk_size, remainder = blocks
    if chunk_size is None:
        return body(0, None, state)
    if full_blocks == 1:
        state = body(0, chunk_size, state)
    else:
        state = ops.fori_loop(
            0, full_blocks, lambda index, value: body(index * chunk_size, chunk_size, value),
            state,
        )
    if remainder:
        state = body(full_blocks * chunk_size, remainder, state)
    return state


def _rows(x, start, size):
    """Rows `start : start + size` of `x` (`start` may be a traced loop index)."""
    if size is None:
        return x
    return ops.slice(x, [start] + [0] * (len(x.shape) - 1), [size, *x.shape[1:]])


def _update_rows(x, start, rows):
    if rows.shape[0] is None or rows.shape[0] == x.shape[0]:
        return rows
    return ops.slice_update(x, [start] + [0] * (len(x.shape) - 1), rows)


def _block_masks(z, start, size):
    """Boolean `(size, 2N)` masks of the anchors themselves and of their positives."""
    two_n = ops.shape(z)[0]
    columns = ops.arange(two_n)
    rows = columns if size is None else ops.arange(size) + start
    positive = (rows + two_n // 2) % two_n
    self_mask = ops.equal(rows[:, None], columns[None, :])
    positive_mask = ops.equal(positive[:, None], columns[None, :])
    return self_mask, positive_mask


def _block_logits(z, inverse_temperature, start, size):
    logits = ops.matmul(_rows(z, start, size), ops.transpose(z)) * inverse_temperature
    return (logits, *_block_masks(z, start, size))


def _masked_logsumexp(logits, exclude_mask):
    # As `_contrastive.masked_logsumexp` (no large constants, shift by the largest kept
    # logit); repeated here without the stop_gradient, which a custom gradient makes moot.
    row_min = ops.min(logits, axis=-1, keepdims=True)
    kept = ops.where(exclude_mask, row_min, logits)
    shift = ops.max(kept, axis=-1, keepdims=True)
    keep = ops.cast(ops.logical_not(exclude_mask), logits.dtype)
    total = ops.sum(ops.exp(kept - shift) * keep, axis=-1)
    return ops.log(total) + ops.squeeze(shift, axis=-1)


def _check_chunk_size(chunk_size) -> int:
    return check_positive_int(chunk_size, "chunk_size")


@keras.saving.register_keras_serializable(package="ssl_keras")
class ChunkedNTXent(TwoViewLoss):
    """Blockwise NT-Xent as a `keras.losses.Loss`; see `chunked_nt_xent`.

    Same inputs and values as `NTXent` (`y_pred` is `[z_a; z_b]` stacked, `(2N, d)`;
    `y_true` is ignored), with memory O(N * chunk_size) in the loss and its gradient.

    Args:
        temperature: the softmax temperature tau > 0.
        chunk_size: anchors per block. Defaults to 1024.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.

    Raises:
        ValueError: if `temperature <= 0`, `chunk_size` is not a positive integer, or
            `y_pred` has an odd batch size.

    Example:
    >>> import numpy as np
    >>> loss = ChunkedNTXent(temperature=0.5, chunk_size=4)
    >>> z = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    >>> float(loss(np.zeros(8), z))  # doctest: +SKIP
    """

    per_example_function = staticmethod(chunked_nt_xent_per_example)
    config_arguments = ("temperature", "chunk_size")

    def __init__(
        self,
        temperature: float = 0.5,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        reduction: str = "sum_over_batch_size",
        name: str = "chunked_nt_xent",
        dtype=None,
    ):
        check_temperature(temperature)
        chunk_size = _check_chunk_size(chunk_size)
        super().__init__(reduction, name, dtype, temperature=temperature, chunk_size=chunk_size)
