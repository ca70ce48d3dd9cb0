"""The shared argument checks: what they accept, what they refuse, and the message."""

import doctest

import keras
import numpy as np
import pytest

from ssl_keras import validation


@pytest.mark.parametrize("value", [1, 7, np.int32(3), np.int64(10**12)])
def test_check_positive_int_accepts_python_and_numpy_integers(value):
    result = validation.check_positive_int(value, "epochs")
    assert result == int(value) and type(result) is int


@pytest.mark.parametrize("value", [0, -3, 2.0, 2.5, True, np.bool_(True), "3", None, [1]])
def test_check_positive_int_refuses_everything_else(value):
    with pytest.raises(ValueError) as error:
        validation.check_positive_int(value, "epochs")
    assert str(error.value) == (
        f"`epochs` should be a positive integer. Received: epochs={value!r}"
    )


def test_check_positive_int_allow_none():
    assert validation.check_positive_int(None, "height", allow_none=True) is None
    with pytest.raises(ValueError, match="a positive integer or None"):
        validation.check_positive_int(0, "height", allow_none=True)


@pytest.mark.parametrize("value", [0.5, 3, np.float32(0.1), np.float64(1e-9)])
def test_check_positive_accepts_positive_numbers(value):
    assert validation.check_positive(value, "temperature") is value


@pytest.mark.parametrize("value", [0, 0.0, -1e-9, float("nan"), np.float32(-1)])
def test_check_positive_refuses_non_positive_numbers_nan_included(value):
    with pytest.raises(ValueError, match=r"`temperature` should be > 0\. Received"):
        validation.check_temperature(value)


def test_check_positive_allow_zero():
    assert validation.check_positive(0.0, "weight_decay", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="should be >= 0"):
        validation.check_positive(-0.1, "weight_decay", allow_zero=True)


def test_check_positive_leaves_tensors_and_schedules_unchecked():
    # A learned temperature is a tensor: checking its value would need a Python `if` on it.
    tensor = keras.ops.convert_to_tensor(-1.0)
    assert validation.check_temperature(tensor) is tensor
    schedule = keras.optimizers.schedules.CosineDecay(0.1, 10)
    assert validation.check_positive(schedule, "learning_rate") is schedule


def test_check_positive_refuses_booleans():
    with pytest.raises(ValueError, match="should be a number"):
        validation.check_positive(True, "margin")


def test_check_positive_float():
    assert validation.check_positive_float(np.int64(2), "perplexity") == 2.0
    for value in (0, -1.0, "1", None, True):
        with pytest.raises(ValueError, match="`perplexity` should be > 0"):
            validation.check_positive_float(value, "perplexity")


def test_check_probability_bounds_are_inclusive():
    assert validation.check_probability(0, "p") == 0.0
    assert validation.check_probability(1, "p") == 1.0
    for value in (-0.01, 1.01, float("nan"), "0.5", True):
        with pytest.raises(ValueError, match=r"`p` should be a float in \[0, 1\]"):
            validation.check_probability(value, "p")


def test_check_interval():
    assert validation.check_interval((0.08, 1), "scale", high=1.0) == (0.08, 1.0)
    for value in ((0.5, 0.2), (0, 1), (0.2, 1.5), (0.1,), 0.3, ("a", "b")):
        with pytest.raises(ValueError, match="`scale` should be a tuple"):
            validation.check_interval(value, "scale", high=1.0)


def test_check_one_of_names_the_choices():
    assert validation.check_one_of("byol", "method", ("simclr", "byol")) == "byol"
    with pytest.raises(ValueError, match="should be one of 'simclr', 'byol'. Received: method='x'"):
        validation.check_one_of("x", "method", ("simclr", "byol"))


def test_one_message_for_the_same_mistake_across_the_package():
    # Before the shared module, these four said "an integer >= 1", "a positive integer"
    # or nothing at all for a float.
    from ssl_keras import evaluation, layers, models
    from ssl_keras.losses import ChunkedNTXent

    calls = [
        lambda: evaluation.knn_accuracy(np.ones((4, 2)), [0, 1, 0, 1], np.ones((2, 2)), [0, 1],
                                        k=0),
        lambda: layers.RandomResizedCrop(height=0, width=8),
        lambda: models.small_cnn_encoder(input_shape=(8, 8, 3), width=0),
        lambda: ChunkedNTXent(chunk_size=0),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"should be a positive integer( or None)?\. Received"):
            call()


def test_docstring_examples():
    results = doctest.testmod(validation, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0 and results.failed == 0
