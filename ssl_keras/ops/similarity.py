"""Cosine similarities that never divide by zero."""

from keras import ops

# Norms are clamped at this value before dividing, so a zero vector gets similarity 0
# with everything instead of NaN. 1e-6 matches `torch.nn.functional.cosine_similarity`'s
# spirit (eps on the norm) and is representable in float16.
EPSILON = 1e-6


def l2_normalize(x, axis: int = -1, epsilon: float = EPSILON):
    """Divides `x` by its L2 norm along `axis`, with the norm clamped at `epsilon`.

    Unlike `keras.ops.normalize`, the clamp is on the norm itself, so the gradient at
    a zero vector is finite and a zero vector stays zero.

    Args:
        x: tensor of any rank.
        axis: the axis along which to normalise.
        epsilon: lower bound on the norm.

    Returns:
        A tensor of the shape and dtype of `x` whose slices along `axis` have norm 1
        (or are zero where the input slice was zero).
    """
    x = ops.convert_to_tensor(x)
    squared = ops.sum(ops.square(x), axis=axis, keepdims=True)
    # Clamping the squared norm (not the norm) keeps sqrt away from 0, whose derivative
    # is infinite: this is what makes the gradient at a zero vector finite.
    norm = ops.sqrt(ops.maximum(squared, ops.cast(epsilon**2, x.dtype)))
    return x / norm


def _check_embeddings(a, b, name_a: str, name_b: str, same_batch: bool):
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise ValueError(
            f"`{name_a}` and `{name_b}` should be rank-2 tensors of shape "
            f"(batch, dim). Received: {name_a}.shape={tuple(a.shape)}, "
            f"{name_b}.shape={tuple(b.shape)}"
        )
    if a.shape[-1] is not None and b.shape[-1] is not None and a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"`{name_a}` and `{name_b}` should have the same embedding size. Received: "
            f"{name_a}.shape={tuple(a.shape)}, {name_b}.shape={tuple(b.shape)}"
        )
    if same_batch and a.shape[0] is not None and b.shape[0] is not None:
        if a.shape[0] != b.shape[0]:
            raise ValueError(
                f"`{name_a}` and `{name_b}` should have the same batch size. Received: "
                f"{name_a}.shape={tuple(a.shape)}, {name_b}.shape={tuple(b.shape)}"
            )


def cosine_similarity(a, b, epsilon: float = EPSILON):
    """Row-wise cosine similarity `sim(a_i, b_i) = a_i . b_i / (|a_i| |b_i|)`.

    Args:
        a: tensor of shape `(batch, dim)`.
        b: tensor of shape `(batch, dim)`.
        epsilon: lower bound on each norm; a zero row gets similarity 0, not NaN.

    Returns:
        Tensor of shape `(batch,)` with values in `[-1, 1]`.

    Raises:
        ValueError: if `a` and `b` are not rank 2 or their shapes differ.

    Example:
    >>> import numpy as np
    >>> cosine_similarity(np.array([[1.0, 0.0]]), np.array([[1.0, 1.0]]))  # ~[0.7071]
    """
    a = ops.convert_to_tensor(a)
    b = ops.convert_to_tensor(b)
    _check_embeddings(a, b, "a", "b", same_batch=True)
    return ops.sum(l2_normalize(a, epsilon=epsilon) * l2_normalize(b, epsilon=epsilon), axis=-1)


def pairwise_cosine_similarity(a, b=None, epsilon: float = EPSILON):
    """All-pairs cosine similarity: entry `(i, j)` is `sim(a_i, b_j)`.

    One matrix product of the L2-normalised rows, no Python loop.

    Args:
        a: tensor of shape `(batch_a, dim)`.
        b: tensor of shape `(batch_b, dim)`; defaults to `a`.
        epsilon: lower bound on each norm; zero rows give zero similarities.

    Returns:
        Tensor of shape `(batch_a, batch_b)` with values in `[-1, 1]`.

    Raises:
        ValueError: if the inputs are not rank 2 or their embedding sizes differ.
    """
    a = ops.convert_to_tensor(a)
    b = a if b is None else ops.convert_to_tensor(b)
    _check_embeddings(a, b, "a", "b", same_batch=False)
    a_unit = l2_normalize(a, epsilon=epsilon)
    b_unit = l2_normalize(b, epsilon=epsilon)
    return ops.matmul(a_unit, ops.transpose(b_unit))
