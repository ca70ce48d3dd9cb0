"""Softmax with a temperature."""

from keras import ops

from ssl_keras.validation import check_temperature


def softmax_with_temperature(logits, temperature: float = 1.0, axis: int = -1):
    """`softmax(logits / temperature)` along `axis`.

    softmax_tau(x_i) = exp(x_i / tau) / sum_j exp(x_j / tau). A low temperature sharpens
    the distribution towards the arg-max (tau -> 0 gives one-hot); a high one flattens it
    towards uniform (tau -> inf gives 1/n). Computed stably (the maximum is subtracted
    before `exp`), so tau = 1e-4 does not overflow.

    Args:
        logits: tensor of any rank (numpy arrays and lists are accepted).
        temperature: positive float.
        axis: the axis that sums to one.

    Returns:
        Tensor of the shape of `logits` whose slices along `axis` sum to 1.

    Raises:
        ValueError: if `temperature` is not > 0.

    Example:
    >>> softmax_with_temperature([1.0, 0.2, 0.1, -0.1, -0.3], temperature=0.1)
    """
    check_temperature(temperature)
    logits = ops.convert_to_tensor(logits)
    if not _is_floating(logits.dtype):
        logits = ops.cast(logits, "float32")
    return ops.softmax(logits / ops.cast(temperature, logits.dtype), axis=axis)


def _is_floating(dtype) -> bool:
    return "float" in str(dtype)
