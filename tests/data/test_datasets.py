import pickle

import keras
import numpy as np
import pytest

from ssl_keras.data import load_cifar10, load_dataset, load_digits


def test_digits_shapes_types_and_split():
    (x_train, y_train), (x_test, y_test) = load_digits()
    assert x_train.shape[1:] == (16, 16, 3) and x_train.dtype == np.uint8
    assert len(x_train) + len(x_test) == 1797
    assert abs(len(x_test) / 1797 - 0.3) < 0.01
    # Stratified: each class keeps ~30% of its images in the test split.
    for label in range(10):
        share = (y_test == label).sum() / ((y_test == label).sum() + (y_train == label).sum())
        assert abs(share - 0.3) < 0.02


def test_digits_are_deterministic_and_seed_dependent():
    (a, _), _ = load_digits(seed=3)
    (b, _), _ = load_digits(seed=3)
    (c, _), _ = load_digits(seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[:10], c[:10])


def test_digits_keep_the_handwritten_strokes():
    """The rendered image, in luminance, correlates with the original digit."""
    from sklearn.datasets import load_digits as sklearn_digits

    (x_train, y_train), _ = load_digits(image_size=8, digit_size=8, noise=0.0, plain=True)
    original = sklearn_digits()
    # In plain mode at 8x8 the gray image is the original digit (0..16 -> 0..255).
    matches = 0
    for image, label in zip(x_train[:50], y_train[:50]):
        scaled = image[..., 0].astype(float) / 255 * 16
        distances = np.abs(original.images - scaled).sum(axis=(1, 2))
        matches += original.target[distances.argmin()] == label and distances.min() < 1
    assert matches == 50


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="digit_size"):
        load_digits(image_size=16, digit_size=20)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.5)


def _write_fake_cifar(folder, per_batch=4):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    expected = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images = rng.integers(0, 256, size=(per_batch, 32, 32, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_batch).tolist()
        # The official layout: rows of 3072 bytes, channel-major (R plane, G, B).
        data = images.transpose(0, 3, 1, 2).reshape(per_batch, 3072)
        with open(folder / name, "wb") as handle:
            pickle.dump({b"data": data, b"labels": labels}, handle)
        expected[name] = (images, np.array(labels))
    return expected


def test_cifar10_from_folder_and_parent(tmp_path):
    expected = _write_fake_cifar(tmp_path / "cifar-10-batches-py")
    for path in (tmp_path, tmp_path / "cifar-10-batches-py"):
        (x_train, y_train), (x_test, y_test) = load_cifar10(path)
        assert x_train.shape == (20, 32, 32, 3) and x_train.dtype == np.uint8
        np.testing.assert_array_equal(x_train[:4], expected["data_batch_1"][0])
        np.testing.assert_array_equal(y_train[4:8], expected["data_batch_2"][1])
        np.testing.assert_array_equal(x_test, expected["test_batch"][0])
        np.testing.assert_array_equal(y_test, expected["test_batch"][1])


def test_cifar10_from_environment_variable(tmp_path, monkeypatch):
    _write_fake_cifar(tmp_path / "cifar-10-batches-py")
    monkeypatch.setenv("SSL_KERAS_CIFAR10_DIR", str(tmp_path))
    (x_train, _), (x_test, _) = load_cifar10()
    assert len(x_train) == 20 and len(x_test) == 4


def test_cifar10_missing_folder_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        load_cifar10(tmp_path)


def test_cifar10_offline_error_names_both_options(monkeypatch):
    monkeypatch.delenv("SSL_KERAS_CIFAR10_DIR", raising=False)

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    with pytest.raises(RuntimeError) as error:
        load_cifar10()
    message = str(error.value)
    assert "SSL_KERAS_CIFAR10_DIR" in message and "path=" in message
    assert "keras.datasets.cifar10.load_data" in message and "no network" in message


def test_load_dataset_by_name():
    ((x_train, _), _), class_names = load_dataset("digits")
    assert len(class_names) == 10 and x_train.ndim == 4
    with pytest.raises(ValueError, match="digits"):
        load_dataset("imagenet")


def test_digits_stroke_is_brighter_than_background():
    (x_train, _), _ = load_digits(noise=0.0)
    gray = x_train[..., 0].reshape(len(x_train), -1)
    # Without noise the most frequent value of an image is its background; the strokes
    # are brighter, so the background is also the minimum and the maximum is well above.
    background = np.array([np.bincount(row).argmax() for row in gray])
    np.testing.assert_array_equal(background, gray.min(axis=1))
    assert np.all(gray.max(axis=1) > background + 0.2 * 255)
    np.testing.assert_array_equal(x_train[..., 0], x_train[..., 2])


def test_digits_are_gray_with_noise_too():
    (x_train, _), _ = load_digits()
    np.testing.assert_array_equal(x_train[..., 0], x_train[..., 1])
    np.testing.assert_array_equal(x_train[..., 0], x_train[..., 2])
