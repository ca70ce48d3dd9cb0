"""Argument checks shared by the model builders (private)."""

import numbers


def check_positive_int(value, name: str) -> int:
    """Returns `value` as an `int`, or raises `ValueError` if it is not a positive integer."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"`{name}` should be a positive integer. Received: {name}={value}")
    return int(value)


def check_image_shape(input_shape) -> tuple:
    """Returns `input_shape` as a tuple, or raises `ValueError` if it is not rank 3."""
    if input_shape is None or len(tuple(input_shape)) != 3:
        raise ValueError(
            "`input_shape` should be (height, width, channels). "
            f"Received: input_shape={input_shape}"
        )
    return tuple(input_shape)
