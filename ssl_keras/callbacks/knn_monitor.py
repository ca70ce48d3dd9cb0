"""kNN accuracy of the encoder during training: the monitor of MoCo, lightly and solo-learn."""

import logging

import keras

from ssl_keras.evaluation.features import extract_features
from ssl_keras.evaluation.knn import knn_accuracy
from ssl_keras.validation import check_positive_float, check_positive_int

logger = logging.getLogger(__name__)


class KNNMonitor(keras.callbacks.Callback):
    """Measures the weighted kNN accuracy of the encoder every few epochs.

    At the end of every `every_n_epochs`-th epoch (epochs `every_n_epochs`,
    `2 * every_n_epochs`, ... counting from 1), the callback embeds the labelled
    `train_data` (the memory bank) and the held-out `validation_data` with the encoder
    in inference mode, `batch_size` images at a time (`ssl_keras.evaluation.
    extract_features`), and classifies each held-out feature by the weighted cosine
    kNN vote of `ssl_keras.evaluation.knn_accuracy` (Wu et al., 2018: `k` neighbours,
    votes `exp(cos / temperature)`). The accuracy is written into the epoch's `logs`
    under `name` (default `"knn_accuracy"`) and logged at INFO level.

    Because it is in `logs`, the value shows in `model.fit`'s progress bar and in the
    returned `History`, and can drive `keras.callbacks.ModelCheckpoint(monitor=
    "knn_accuracy", mode="max")`, `EarlyStopping` or `CSVLogger`: list those callbacks
    *after* the monitor, since callbacks see `logs` in order. On the other epochs the
    key is absent (not `NaN`), so `History.history[name]` holds one value per
    evaluation. `CSVLogger` fixes its columns at the first epoch: with
    `every_n_epochs > 1` it leaves the column out; use `every_n_epochs=1` there, or
    read `History` (`ModelCheckpoint` likewise warns on the epochs without the key).
    The values are also kept in `accuracies`, a dict from 0-based epoch
    index to accuracy.

    Evaluation runs between epochs, outside the training step, so training itself (and
    its jit compilation) is untouched: each evaluation costs one inference pass over
    both sets (`encoder.predict` for a model) and a NumPy kNN vote on the host.

    Args:
        train_data: tuple `(images, labels)`: the labelled memory bank, e.g. the
            CIFAR-10 training images without augmentation and their class ids.
        validation_data: tuple `(images, labels)`: the held-out images to classify.
        encoder: a `keras.Model`, a layer or a callable mapping a batch of images to
            features `(batch, dim)`; `None` uses `model.encoder` (as on
            `ssl_keras.models.SimCLR`), looked up at every evaluation so it always
            sees the current weights.
        k: number of neighbours. Defaults to 200 (MoCo's CIFAR-10 demo, lightly).
        temperature: temperature of the vote weights. Defaults to 0.1.
        every_n_epochs: evaluate every this many epochs. Defaults to 1.
        batch_size: images per forward pass when embedding. Defaults to 256.
        num_classes: number of classes; `None` takes `max(train labels) + 1`.
        name: key of the accuracy in `logs`. Defaults to `"knn_accuracy"`.

    Raises:
        ValueError: at construction, if `train_data` or `validation_data` is not a pair
            of equally long images and labels, `encoder` is neither `None` nor callable,
            or `k`, `temperature`, `every_n_epochs`, `batch_size` or `num_classes` is not
            positive; at an evaluation, if `encoder=None` and the model has no
            `encoder` attribute (and as `extract_features` / `knn_accuracy`).

    Example:
    >>> import numpy as np
    >>> x_train, y_train = np.zeros((100, 16, 16, 3), "uint8"), np.arange(100) % 10
    >>> x_test, y_test = np.zeros((20, 16, 16, 3), "uint8"), np.arange(20) % 10
    >>> monitor = KNNMonitor((x_train, y_train), (x_test, y_test), every_n_epochs=5)
    >>> history = simclr.fit(x_train, epochs=50, callbacks=[monitor])  # doctest: +SKIP
    >>> history.history["knn_accuracy"]  # 10 values  # doctest: +SKIP

    Reference:
        - [Wu et al., 2018, Unsupervised Feature Learning via Non-Parametric
          Instance Discrimination](https://arxiv.org/abs/1805.01978), Sec. 3.4.
        - [He et al., 2020, MoCo](https://arxiv.org/abs/1911.05722): the CIFAR-10 demo's
          kNN monitor (k = 200, temperature 0.1), also lightly's `knn_predict` and
          solo-learn's online kNN evaluation.
    """

    def __init__(
        self,
        train_data,
        validation_data,
        encoder=None,
        k: int = 200,
        temperature: float = 0.1,
        every_n_epochs: int = 1,
        batch_size: int = 256,
        num_classes: int | None = None,
        name: str = "knn_accuracy",
    ):
        super().__init__()
        self.train_data = _check_pair(train_data, "train_data")
        self.validation_data = _check_pair(validation_data, "validation_data")
        if encoder is not None and not callable(encoder):
            raise ValueError(
                f"`encoder` should be None or a callable. Received: encoder={encoder!r}"
            )
        self.encoder = encoder
        self.k = check_positive_int(k, "k")
        self.temperature = check_positive_float(temperature, "temperature")
        self.every_n_epochs = check_positive_int(every_n_epochs, "every_n_epochs")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.num_classes = check_positive_int(num_classes, "num_classes", allow_none=True)
        if not isinstance(name, str) or not name:
            raise ValueError(f"`name` should be a non-empty string. Received: name={name!r}")
        self.name = name
        self.accuracies = {}

    def resolve_encoder(self):
        """The encoder to embed with: `encoder`, or the model's `encoder` attribute."""
        if self.encoder is not None:
            return self.encoder
        encoder = getattr(self.model, "encoder", None)
        if encoder is None or not callable(encoder):
            raise ValueError(
                "KNNMonitor was given `encoder=None`, so it embeds with `model.encoder`, "
                f"but the model {type(self.model).__name__} has no callable `encoder` "
                "attribute. Pass `encoder=` (a model or a callable mapping images to "
                "features)."
            )
        return encoder

    def evaluate(self) -> float:
        """Embeds both sets with the current encoder; returns the kNN accuracy."""
        encoder = self.resolve_encoder()
        train_images, train_labels = self.train_data
        validation_images, validation_labels = self.validation_data
        train_features = extract_features(
            encoder, train_images, batch_size=self.batch_size, verbose=0
        )
        validation_features = extract_features(
            encoder, validation_images, batch_size=self.batch_size, verbose=0
        )
        return knn_accuracy(
            train_features,
            train_labels,
            validation_features,
            validation_labels,
            k=self.k,
            temperature=self.temperature,
            num_classes=self.num_classes,
            batch_size=self.batch_size,
        )

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs != 0:
            return
        accuracy = self.evaluate()
        self.accuracies[epoch] = accuracy
        if logs is not None:
            logs[self.name] = accuracy
        logger.info("Epoch %d: %s = %.4f", epoch + 1, self.name, accuracy)


def _check_pair(data, name: str) -> tuple:
    try:
        images, labels = data
        valid = hasattr(images, "shape") or hasattr(images, "__len__")
        valid = valid and len(images) == len(labels) and len(images) > 0
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"`{name}` should be a tuple (images, labels) of the same, nonzero length. "
            f"Received: {name} of type {type(data).__name__}"
        )
    return (images, labels)
