"""A pretext task of one's own: the spec, the checks of its batches, and the two models.

Oracles: the batch function's own outputs (returned unchanged but for the labels' dtype),
closed forms (a zero head gives uniform logits, cross-entropy log(K); a zero regression
head predicts 0, loss mean(y^2)), and a NumPy loop for the regression loss.
"""

import keras
import numpy as np
import pytest

from ssl_keras.pretext import (
    PretextClassification,
    PretextRegression,
    PretextTask,
    pretext_regression_loss,
)
from tests.conftest import to_numpy
from tests.pretext.helpers import IMAGE_SHAPE, tiny_images, toy_encoder


def _flip(images, seed):
    flipped = np.random.default_rng(seed).integers(0, 2, size=len(images))
    return np.where(flipped[:, None, None, None] == 1, images[:, :, ::-1], images), flipped


def _corner(images, seed):
    """The top-left 2x2 corner, in [0, 1], hidden (set to 0) in the input."""
    inputs = np.array(images)
    inputs[:, :2, :2] = 0
    return inputs, (np.asarray(images)[:, :2, :2] / 255.0).astype("float32")


def test_a_classification_returns_the_batch_function_outputs():
    images = tiny_images(6)
    task = PretextTask("flip", _flip, num_classes=2)
    inputs, labels = task(images, seed=3)
    expected_inputs, expected_labels = _flip(images, 3)
    np.testing.assert_array_equal(inputs, expected_inputs)
    np.testing.assert_array_equal(labels, expected_labels)
    assert labels.dtype == np.int32 and inputs.dtype == np.uint8
    assert task.is_classification and task.metric_name == "pretext accuracy"
    assert "flip" in repr(task) and "num_classes=2" in repr(task)


def test_a_regression_returns_float32_targets():
    images = tiny_images(4)
    task = PretextTask("corner", _corner, target_shape=(2, 2, 3))
    inputs, targets = task(images)
    assert targets.shape == (4, 2, 2, 3) and targets.dtype == np.float32
    np.testing.assert_allclose(targets, images[:, :2, :2] / 255.0, rtol=1e-6)
    assert np.all(inputs[:, :2, :2] == 0)
    assert not task.is_classification and task.metric_name == "pretext MSE"


def _returning(inputs=None, targets=None):
    def batch(images, seed):
        default_inputs, default_targets = _flip(images, seed)
        return (default_inputs if inputs is None else inputs(images),
                default_targets if targets is None else targets(images))
    return batch


@pytest.mark.parametrize(
    "batch_function, message",
    [
        (lambda images, seed: images, "pair"),
        (_returning(inputs=lambda x: np.concatenate([x, x])), "one example per image"),
        (_returning(inputs=lambda x: x.astype("float64")), "uint8 or float32"),
        (_returning(inputs=lambda x: x.astype("float32") + 300), r"\[0, 255\]"),
        (_returning(targets=lambda x: np.zeros((len(x), 2), "int32")), "one integer"),
        (_returning(targets=lambda x: np.zeros(len(x), "float32")), "one integer"),
        (_returning(targets=lambda x: np.full(len(x), 2)), r"in \[0, 2\)"),
    ],
)
def test_malformed_classification_batches_raise(batch_function, message):
    task = PretextTask("flip", batch_function, num_classes=2)
    with pytest.raises(ValueError, match=message):
        task(tiny_images(3), seed=0)


@pytest.mark.parametrize(
    "targets, message",
    [
        (lambda x: np.zeros((len(x), 2, 2), "float32"), "shape"),
        (lambda x: np.zeros((len(x), 2, 2, 3), "int32"), "float"),
        (lambda x: np.full((len(x), 2, 2, 3), np.nan, "float32"), "NaN"),
    ],
)
def test_malformed_regression_batches_raise(targets, message):
    task = PretextTask("corner", _returning(targets=targets), target_shape=(2, 2, 3))
    with pytest.raises(ValueError, match=message):
        task(tiny_images(3), seed=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="", batch_function=_flip, num_classes=2), "name"),
        (dict(name=3, batch_function=_flip, num_classes=2), "name"),
        (dict(name="flip", batch_function="flip", num_classes=2), "batch_function"),
        (dict(name="flip", batch_function=_flip), "exactly one"),
        (dict(name="flip", batch_function=_flip, num_classes=2, target_shape=(2,)),
         "exactly one"),
        (dict(name="flip", batch_function=_flip, num_classes=1), "num_classes"),
        (dict(name="flip", batch_function=_flip, num_classes=True), "num_classes"),
        (dict(name="flip", batch_function=_flip, target_shape=(2, 0)), "target_shape"),
        (dict(name="flip", batch_function=_flip, target_shape=4), "target_shape"),
    ],
)
def test_bad_specs_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PretextTask(**kwargs)


def test_regression_loss_is_the_per_example_mse(rng):
    y_true = rng.uniform(0, 1, (3, 2, 2, 3)).astype("float32")
    y_pred = rng.uniform(0, 1, (3, 2, 2, 3)).astype("float32")
    expected = []
    for t, p in zip(y_true, y_pred):
        values = [(a - b) ** 2 for a, b in zip(t.ravel().astype("float64"), p.ravel())]
        expected.append(sum(values) / len(values))
    np.testing.assert_allclose(to_numpy(pretext_regression_loss(y_true, y_pred)), expected,
                               rtol=1e-5)
    # One number per example: the loss of (batch,) targets is the squared error itself.
    np.testing.assert_allclose(
        to_numpy(pretext_regression_loss(np.array([1.0, 2.0]), np.array([0.0, 0.0]))),
        [1.0, 4.0], rtol=1e-6)


def test_classification_starts_at_log_k_and_trains_the_encoder():
    encoder = toy_encoder()
    task = PretextTask("flip", _flip, num_classes=3)
    model = task.build_model(encoder)
    assert isinstance(model, PretextClassification) and model.num_classes == 3
    x, y = task(tiny_images(8), seed=0)
    model(x)
    model.head.set_weights([np.zeros_like(w) for w in model.head.get_weights()])
    model.compile()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0)[0], np.log(3.0), rtol=1e-5)
    # (a zero head passes no gradient to the encoder: train a fresh model)
    encoder = toy_encoder()
    model = task.build_model(encoder)
    before = [to_numpy(w).copy() for w in encoder.trainable_weights]
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and model.encoder is encoder
    after = [to_numpy(w) for w in encoder.trainable_weights]
    assert any(not np.allclose(b, a) for b, a in zip(before, after)), "encoder not trained"


@pytest.mark.parametrize("target_shape", [(2, 2, 3), ()])
def test_regression_with_a_zero_head_has_loss_mean_square_targets(target_shape):
    def batch(images, seed):
        values = (np.asarray(images)[:, :2, :2] / 255.0).astype("float32")
        return images, values.mean(axis=(1, 2, 3)) if target_shape == () else values

    task = PretextTask("corner", batch, target_shape=target_shape)
    model = task.build_model(toy_encoder())
    assert isinstance(model, PretextRegression)
    x, y = task(tiny_images(8), seed=0)
    assert tuple(model(x).shape) == (8,) + target_shape
    model.head.set_weights([np.zeros_like(w) for w in model.head.get_weights()])
    model.compile()
    expected = np.mean(np.square(y.reshape(8, -1).astype("float64")))
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    assert np.isfinite(model.fit(x, y, batch_size=8, epochs=1, verbose=0).history["loss"][0])
    with pytest.raises(ValueError, match="inputs.shape"):
        model(x[0])


def test_bad_model_arguments_raise():
    with pytest.raises(ValueError, match="num_classes"):
        PretextClassification(toy_encoder(), num_classes=1)
    with pytest.raises(ValueError, match="target_shape"):
        PretextRegression(toy_encoder(), target_shape=(0,))
    with pytest.raises(ValueError, match="encoder"):
        PretextRegression("not a model", target_shape=(2,))


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_config_and_saving_round_trip(tmp_path, kind):
    if kind == "classification":
        model, key, value = PretextClassification(toy_encoder(), 5, name="mine"), "num_classes", 5
    else:
        model, key, value = PretextRegression(toy_encoder(), (2, 3), name="mine"), \
            "target_shape", [2, 3]
    x = tiny_images(4)
    expected = to_numpy(model(x))
    config = model.get_config()
    assert config[key] == value
    clone = type(model).from_config(config)
    assert clone.name == "mine"
    clone(x)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(to_numpy(clone(x)), expected, rtol=1e-5, atol=1e-5)

    model.compile(optimizer="adam")
    model.optimizer.build(model.trainable_variables)
    path = tmp_path / f"{kind}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, type(model))
    assert tuple(loaded.encoder.input_shape[1:]) == IMAGE_SHAPE
    np.testing.assert_allclose(to_numpy(loaded(x)), expected, rtol=1e-5, atol=1e-5)
