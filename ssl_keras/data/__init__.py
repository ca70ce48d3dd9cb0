"""Datasets: CIFAR-10 (download or local folder), the embedded default dataset, and a
folder of one's own images."""

from ssl_keras.data.cifar10 import CIFAR10_CLASS_NAMES, load_cifar10
from ssl_keras.data.digits import DIGITS_CLASS_NAMES, load_digits
from ssl_keras.data.image_folder import IMAGE_EXTENSIONS, load_image_folder

DATASETS = {
    "digits": (load_digits, DIGITS_CLASS_NAMES),
    "cifar10": (load_cifar10, CIFAR10_CLASS_NAMES),
}


def load_dataset(name: str, **kwargs):
    """Loads a dataset by name: `"digits"` (embedded, no download) or `"cifar10"`.

    Returns:
        `((x_train, y_train), (x_test, y_test)), class_names`.

    Raises:
        ValueError: for an unknown name.
    """
    if name not in DATASETS:
        raise ValueError(f"`name` should be one of {sorted(DATASETS)}. Received: name={name!r}")
    loader, class_names = DATASETS[name]
    return loader(**kwargs), class_names


__all__ = [
    "CIFAR10_CLASS_NAMES",
    "DIGITS_CLASS_NAMES",
    "IMAGE_EXTENSIONS",
    "load_cifar10",
    "load_dataset",
    "load_digits",
    "load_image_folder",
]
