"""KNNMonitor: the logged accuracy against an independent NumPy kNN, on the right epochs."""

import logging

import keras
import numpy as np
import pytest

from ssl_keras.callbacks import KNNMonitor

NUM_CLASSES = 3


def numpy_knn_accuracy(train_features, train_labels, test_features, test_labels, k, temperature):
    """Wu et al.'s weighted cosine kNN vote, one query at a time."""
    train = train_features / np.linalg.norm(train_features, axis=1, keepdims=True)
    correct = 0
    for query, label in zip(test_features, test_labels):
        similarities = train @ (query / np.linalg.norm(query))
        neighbours = np.argsort(-similarities, kind="stable")[:k]
        votes = np.zeros(NUM_CLASSES)
        for i in neighbours:
            votes[train_labels[i]] += np.exp(similarities[i] / temperature)
        correct += int(np.argmax(votes) == label)
    return correct / len(test_labels)


def toy_images(num, seed, noise=1.2):
    """Class c is a bright 2x2 patch at corner c of a 4x4 image, plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=num)
    images = rng.normal(scale=noise, size=(num, 4, 4, 1))
    corners = [(0, 0), (0, 2), (2, 0)]
    for i, label in enumerate(labels):
        row, column = corners[label]
        images[i, row:row + 2, column:column + 2, 0] += 2.0
    return images.astype("float32"), labels


PROJECTION = np.random.default_rng(7).normal(size=(16, 5)).astype("float32")


def fixed_encoder(images):
    flat = keras.ops.reshape(keras.ops.convert_to_tensor(images), (-1, 16))
    return keras.ops.matmul(flat, PROJECTION)


def fixed_features(images):
    return images.reshape(-1, 16) @ PROJECTION


class Classifier(keras.Model):
    """A model with an `encoder` attribute, like ssl_keras's SimCLR."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential(
            [keras.layers.Flatten(), keras.layers.Dense(5)], name="encoder"
        )
        self.head = keras.layers.Dense(NUM_CLASSES)

    def call(self, images):
        return self.head(self.encoder(images))


def fit(callbacks, epochs, model=None):
    x, y = toy_images(48, seed=2)
    model = model or Classifier()
    model.compile(
        optimizer=keras.optimizers.SGD(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model, model.fit(x, y, batch_size=16, epochs=epochs, callbacks=callbacks, verbose=0)


@pytest.mark.filterwarnings("ignore:Can save best model only")  # epochs without the key
def test_logged_value_equals_numpy_knn_on_the_right_epochs(tmp_path):
    train, test = toy_images(60, seed=0), toy_images(40, seed=1)
    expected = numpy_knn_accuracy(
        fixed_features(train[0]), train[1], fixed_features(test[0]), test[1], k=7,
        temperature=0.2,
    )
    assert 0.5 < expected < 1.0  # noisy enough that a wrong vote changes the figure
    monitor = KNNMonitor(train, test, encoder=fixed_encoder, k=7, temperature=0.2,
                         every_n_epochs=2, batch_size=16)
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "best.weights.h5"), monitor="knn_accuracy", mode="max",
        save_weights_only=True, save_best_only=True,
    )
    _, history = fit([monitor, checkpoint], epochs=5)
    assert history.history["knn_accuracy"] == pytest.approx([expected, expected], abs=1e-9)
    assert len(history.history["loss"]) == 5
    assert sorted(monitor.accuracies) == [1, 3]  # epochs 2 and 4, 0-based 1 and 3
    assert (tmp_path / "best.weights.h5").exists()


def test_default_encoder_is_model_encoder_with_current_weights(caplog):
    train, test = toy_images(30, seed=3), toy_images(20, seed=4)
    monitor = KNNMonitor(train, test, k=5, every_n_epochs=1, name="knn")
    with caplog.at_level(logging.INFO, logger="ssl_keras.callbacks.knn_monitor"):
        model, history = fit([monitor], epochs=2)
    assert len(history.history["knn"]) == 2
    features = lambda x: np.asarray(  # noqa: E731
        keras.ops.convert_to_numpy(model.encoder(x, training=False))
    )
    expected = numpy_knn_accuracy(features(train[0]), train[1], features(test[0]), test[1],
                                  k=5, temperature=0.1)
    assert history.history["knn"][-1] == pytest.approx(expected, abs=1e-9)
    assert "Epoch 2: knn = " in caplog.text


def test_model_without_encoder_attribute():
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(NUM_CLASSES)])
    monitor = KNNMonitor(toy_images(10, 0), toy_images(10, 1), k=3)
    with pytest.raises(ValueError, match="no callable `encoder`"):
        fit([monitor], epochs=1, model=model)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"train_data": np.zeros((4, 4, 4, 1))}, "train_data"),
        ({"validation_data": (np.zeros((4, 4, 4, 1)), np.zeros(3))}, "validation_data"),
        ({"encoder": "encoder"}, "encoder"),
        ({"k": 0}, "`k`"),
        ({"temperature": 0.0}, "temperature"),
        ({"every_n_epochs": 0}, "every_n_epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"num_classes": 0}, "num_classes"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_arguments(kwargs, message):
    arguments = {"train_data": toy_images(8, 0), "validation_data": toy_images(8, 1)}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        KNNMonitor(**arguments)
