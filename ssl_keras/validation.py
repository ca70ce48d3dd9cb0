"""Argument validation shared by every part of ssl_keras.

One place for the checks that losses, layers, models, evaluation and the jobs run on
their arguments, so that the same mistake gets the same message everywhere, in the Keras
wording: "`temperature` should be > 0. Received: temperature=0".

Tensors (a learned temperature, a scheduled weight) are never checked by value: that
would need a Python `if` on a tensor, which breaks `jit`. Only Python and NumPy numbers
are.

Example:

>>> from ssl_keras import validation
>>> validation.check_positive_int(3, "epochs")
3
>>> validation.check_positive_int(0, "epochs")
Traceback (most recent call last):
    ...
ValueError: `epochs` should be a positive integer. Received: epochs=0
"""

from __future__ import annotations

import numbers


def is_number(value) -> bool:
    """True for Python and NumPy real numbers; booleans are not numbers here."""
    return isinstance(value, numbers.Real) and not _is_bool(value)


def is_positive_int(value) -> bool:
    """True for Python and NumPy integers >= 1; booleans are not integers here."""
    return isinstance(value, numbers.Integral) and not _is_bool(value) and value >= 1


def check_positive_int(value, name: str, allow_none: bool = False) -> int | None:
    """Returns `value` as an `int`, or raises `ValueError` if it is not an integer >= 1.

    Args:
        value: the argument.
        name: its name, for the message.
        allow_none: accept `None` (and return it), for optional sizes.
    """
    if value is None and allow_none:
        return None
    if not is_positive_int(value):
        what = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"`{name}` should be {what}. Received: {name}={value!r}")
    return int(value)


def check_positive(value, name: str, allow_zero: bool = False):
    """Returns `value` unchanged, or raises `ValueError` for a number that is not > 0.

    With `allow_zero`, the bound is >= 0. Anything that is not a Python or NumPy number
    (a tensor, a schedule) is returned unchecked; a boolean is refused.
    """
    if _is_bool(value):
        raise ValueError(f"`{name}` should be a number. Received: {name}={value!r}")
    if not is_number(value):
        return value
    if allow_zero and not value >= 0:
        raise ValueError(f"`{name}` should be >= 0. Received: {name}={value!r}")
    if not allow_zero and not value > 0:
        raise ValueError(f"`{name}` should be > 0. Received: {name}={value!r}")
    return value


def check_positive_float(value, name: str) -> float:
    """Returns `value` as a `float`, or raises `ValueError` unless it is a number > 0."""
    if not is_number(value) or not value > 0:
        raise ValueError(f"`{name}` should be > 0. Received: {name}={value!r}")
    return float(value)


def check_temperature(temperature):
    """Returns `temperature`, or raises `ValueError` for a number that is not > 0."""
    return check_positive(temperature, "temperature")


def check_probability(value, name: str) -> float:
    """Returns `value` as a float, or raises if it is not a probability in [0, 1]."""
    if not is_number(value) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` should be a float in [0, 1]. Received: {name}={value!r}")
    return float(value)


def check_interval(value, name: str, high: float | None = None) -> tuple:
    """Returns `value` as a `(min, max)` tuple of floats with `0 < min <= max (<= high)`.

    Raises:
        ValueError: if `value` is not a pair of numbers satisfying these bounds.
    """
    condition = "0 < min <= max" + ("" if high is None else f" <= {high:g}")
    try:
        lower, upper = value
        valid = is_number(lower) and is_number(upper)
    except (TypeError, ValueError):
        valid = False
    if valid:
        valid = 0 < lower <= upper and (high is None or upper <= high)
    if not valid:
        raise ValueError(
            f"`{name}` should be a tuple (min, max) with {condition}. Received: {name}={value!r}"
        )
    return (float(lower), float(upper))


def check_one_of(value, name: str, choices) -> str:
    """Returns `value`, or raises `ValueError` naming the choices if it is not one of them."""
    if value not in choices:
        names = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"`{name}` should be one of {names}. Received: {name}={value!r}")
    return value


def _is_bool(value) -> bool:
    return isinstance(value, bool) or type(value).__name__ == "bool_"
