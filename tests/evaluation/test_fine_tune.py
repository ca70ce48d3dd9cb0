"""fine_tune: the encoder is frozen in the warm-up, then trains at its own learning rate."""

import keras
import numpy as np
import pytest

from ssl_keras.evaluation import FineTuneResult, fine_tune
from tests.conftest import to_numpy

NUM_CLASSES = 3


def toy_images(num, seed, noise=0.5):
    """Class c is a bright 2x2 patch at corner c of a 4x4 image, plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=num)
    images = rng.normal(scale=noise, size=(num, 4, 4, 1))
    for i, (row, column) in enumerate([(0, 0), (0, 2), (2, 0)][label] for label in labels):
        images[i, row:row + 2, column:column + 2, 0] += 2.0
    return images.astype("float32"), labels


def make_encoder(seed=0):
    encoder = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(6, activation="tanh")],
        name="encoder",
    )
    rng = np.random.default_rng(seed)
    encoder.set_weights([rng.normal(scale=0.5, size=v.shape).astype("float32")
                         for v in encoder.weights])
    return encoder


def weights(layer_or_model):
    return [to_numpy(v).copy() for v in layer_or_model.trainable_weights]


class Snapshots(keras.callbacks.Callback):
    """Encoder and head weights at the end of every epoch (epoch numbers as seen)."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.encoder_weights = {}
        self.head_weights = {}

    def on_epoch_end(self, epoch, logs=None):
        self.encoder_weights[epoch] = [to_numpy(v).copy() for v in self.encoder.weights]
        self.head_weights[epoch] = weights(self.model.get_layer("classifier"))


def changed(before, after):
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def test_encoder_frozen_in_warmup_then_trained_and_accuracy_beats_chance():
    x, y = toy_images(120, seed=3)
    x_val, y_val = toy_images(60, seed=4)
    encoder = make_encoder()
    initial = weights(encoder)
    snapshots = Snapshots(encoder)
    result = fine_tune(encoder, x, y, num_classes=NUM_CLASSES, epochs=4, warmup_epochs=2,
                       batch_size=16, head_learning_rate=0.05, encoder_learning_rate=0.005,
                       validation_data=(x_val, y_val), callbacks=[snapshots], verbose=0)
    assert isinstance(result, FineTuneResult)
    assert sorted(snapshots.encoder_weights) == [0, 1, 2, 3]  # epochs numbered across phases
    for epoch in (0, 1):
        assert not changed(initial, snapshots.encoder_weights[epoch])
    for epoch in (2, 3):
        assert changed(initial, snapshots.encoder_weights[epoch])
    assert changed(snapshots.head_weights[0], snapshots.head_weights[1])  # the head trains
    assert encoder.trainable
    assert result.accuracy > 0.7  # chance is 1/3
    assert len(result.history["loss"]) == len(result.history["val_accuracy"]) == 4
    assert result.history["val_accuracy"][-1] == pytest.approx(result.accuracy, abs=1e-6)


def test_zero_encoder_learning_rate_never_moves_the_encoder():
    x, y = toy_images(48, seed=1)
    encoder = make_encoder()
    initial = weights(encoder)
    result = fine_tune(encoder, x, y, num_classes=NUM_CLASSES, epochs=2, warmup_epochs=1,
                       batch_size=16, head_learning_rate=0.05, encoder_learning_rate=0.0,
                       verbose=0)
    assert not changed(initial, weights(encoder))
    assert result.accuracy is None


def one_sgd_step(encoder_learning_rate, head_learning_rate=0.1):
    """One full-batch SGD step of phase 2 (no warm-up); returns the weight changes."""
    x, y = toy_images(16, seed=2)
    encoder = make_encoder()
    before = weights(encoder)
    keras.utils.set_random_seed(7)  # same head initialisation in every call
    result = fine_tune(encoder, x, y, num_classes=NUM_CLASSES, epochs=1, warmup_epochs=0,
                       batch_size=16, head_learning_rate=head_learning_rate,
                       encoder_learning_rate=encoder_learning_rate, optimizer="sgd",
                       momentum=0.0, verbose=0)
    encoder_step = [a - b for a, b in zip(weights(encoder), before)]
    return encoder_step, weights(result.model.get_layer("classifier")), (x, y)


def test_encoder_learning_rate_scales_the_encoder_step_exactly():
    # Oracle: with plain SGD, one step at the same starting point is linear in the
    # learning rate; with both rates equal it is Keras's own SGD step on the whole model.
    full_step, head_full, (x, y) = one_sgd_step(encoder_learning_rate=0.1)
    quarter_step, head_quarter, _ = one_sgd_step(encoder_learning_rate=0.025)
    for full, quarter in zip(full_step, quarter_step):
        assert np.abs(full).max() > 1e-4
        np.testing.assert_allclose(quarter, full / 4, rtol=1e-4, atol=1e-7)
    for a, b in zip(head_full, head_quarter):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)

    encoder = make_encoder()
    before = weights(encoder)
    keras.utils.set_random_seed(7)
    inputs = keras.Input((4, 4, 1))
    model = keras.Model(inputs, keras.layers.Dense(NUM_CLASSES)(encoder(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for ours, reference in zip(full_step, [a - b for a, b in zip(weights(encoder), before)]):
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_classes": 0}, "num_classes"),
        ({"epochs": 0}, "epochs"),
        ({"warmup_epochs": 3}, "warmup_epochs"),
        ({"head_learning_rate": 0.0}, "head_learning_rate"),
        ({"encoder_learning_rate": -1e-3}, "encoder_learning_rate"),
        ({"optimizer": "lamb"}, "optimizer"),
        ({"y_train": np.zeros(5, "int64")}, "y_train"),
        ({"num_classes": 2}, "num_classes=2"),
        ({"encoder": lambda x: x}, "encoder"),
    ],
)
def test_bad_arguments(kwargs, message):
    x, y = toy_images(8, seed=5)
    arguments = dict(encoder=make_encoder(), x_train=x, y_train=y, num_classes=NUM_CLASSES,
                     epochs=2)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        fine_tune(**arguments)
