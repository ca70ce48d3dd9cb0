"""CIFAR-10: from Keras's download when online, or from a local `cifar-10-batches-py`."""

import logging
import os
import pickle
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

CIFAR10_ENVIRONMENT_VARIABLE = "SSL_KERAS_CIFAR10_DIR"
CIFAR10_CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)


def load_cifar10(path: str | os.PathLike | None = None):
    """Loads CIFAR-10 as uint8 images `(n, 32, 32, 3)` and int64 labels.

    Where the data comes from, in order:
    1. `path`, if given: a folder holding the official python release
       (`data_batch_1` ... `data_batch_5`, `test_batch`), or its parent containing a
       `cifar-10-batches-py` folder;
    2. the environment variable `SSL_KERAS_CIFAR10_DIR`, read the same way;
    3. `keras.datasets.cifar10.load_data()`, which downloads the data once (needs
       internet) and caches it under `~/.keras/datasets`.

    Args:
        path: optional folder, as above.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: 50,000 and 10,000 images in [0, 255],
        labels of shape `(n,)` in [0, 9] (names in `CIFAR10_CLASS_NAMES`).

    Raises:
        FileNotFoundError: if a given folder holds no CIFAR-10 batches.
        RuntimeError: if no folder is given and the download fails; the message names both
            ways to provide the data.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_cifar10("~/data")  # doctest: +SKIP
    """
    if path is None:
        path = os.environ.get(CIFAR10_ENVIRONMENT_VARIABLE) or None
    if path is not None:
        return _load_batches(_find_batches_folder(Path(path).expanduser()))
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    except Exception as error:  # the download raises many types (URLError, OSError, ...)
        raise RuntimeError(
            "Could not load CIFAR-10. Either pass the folder of the official python "
            "release, `load_cifar10(path=...)` (the folder `cifar-10-batches-py` or its "
            f"parent), or set the environment variable {CIFAR10_ENVIRONMENT_VARIABLE} to it; "
            "or go online so that `keras.datasets.cifar10.load_data()` can download it. "
            f"The download failed with: {type(error).__name__}: {error}"
        ) from error
    return (x_train, y_train.reshape(-1).astype("int64")), (
        x_test,
        y_test.reshape(-1).astype("int64"),
    )


def _find_batches_folder(path: Path) -> Path:
    for candidate in (path, path / "cifar-10-batches-py"):
        if (candidate / "data_batch_1").is_file() and (candidate / "test_batch").is_file():
            return candidate
    raise FileNotFoundError(
        f"No CIFAR-10 batches in {path}: expected the official python release, a folder "
        "with data_batch_1 ... data_batch_5 and test_batch (`cifar-10-batches-py`), or its "
        "parent. Download it from the CIFAR-10 page, or unset "
        f"{CIFAR10_ENVIRONMENT_VARIABLE} and let Keras download it."
    )


def _read_batch(file: Path):
    with open(file, "rb") as handle:
        batch = pickle.load(handle, encoding="bytes")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    images = np.asarray(data, dtype="uint8").reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(labels, dtype="int64")


def _load_batches(folder: Path):
    train_files = sorted(folder.glob("data_batch_*"))
    logger.info("Reading CIFAR-10 from %s (%d training batches)", folder, len(train_files))
    parts = [_read_batch(file) for file in train_files]
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts])
    x_test, y_test = _read_batch(folder / "test_batch")
    return (x_train, y_train), (x_test, y_test)
