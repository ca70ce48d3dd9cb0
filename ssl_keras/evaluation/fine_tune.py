"""Fine-tuning protocol: encoder + linear head, head warm-up, then a lower encoder rate."""

import dataclasses

import keras
import numpy as np

from ssl_keras.evaluation._arrays import check_labels, to_numpy
from ssl_keras.validation import (
    check_one_of,
    check_positive,
    check_positive_float,
    check_positive_int,
    check_probability,
)

OPTIMIZERS = ("adam", "sgd")


@dataclasses.dataclass
class FineTuneResult:
    """What `fine_tune` returns.

    Attributes:
        model: the fine-tuned `keras.Model`, images `(batch, H, W, C)` to class logits
            `(batch, num_classes)`; it holds `encoder` (trained in place) and the head.
        history: per-epoch lists of both phases, concatenated (`{"loss": [...],
            "accuracy": [...], "val_loss": [...], "val_accuracy": [...]}`), one entry per
            epoch, warm-up first.
        accuracy: top-1 accuracy on `validation_data` after training, or `None`
            without validation data.
    """

    model: keras.Model
    history: dict
    accuracy: float | None


def fine_tune(
    encoder,
    x_train,
    y_train,
    *,
    num_classes: int,
    epochs: int = 10,
    batch_size: int = 256,
    head_learning_rate: float = 1e-3,
    encoder_learning_rate: float = 1e-4,
    warmup_epochs: int = 1,
    validation_data=None,
    optimizer: str = "adam",
    momentum: float = 0.9,
    callbacks=None,
    verbose="auto",
) -> FineTuneResult:
    """Fine-tunes a pretrained encoder with a new linear head on labelled images.

    The model is `Dense(num_classes)(encoder(images))`, trained with the softmax
    cross-entropy in two phases of one `model.fit` each (epochs are numbered
    continuously, so callbacks see epochs `0 .. epochs - 1`):

    1. warm-up, `warmup_epochs` epochs: the encoder is frozen (`trainable=False`, so
       its batch normalization runs in inference mode), only the head trains, at
       `head_learning_rate`. A random head's large gradients would otherwise damage
       the pretrained features at the start of fine-tuning.
    2. the remaining `epochs - warmup_epochs` epochs: everything trains, the head at
       `head_learning_rate` and every trainable variable of the encoder at
       `encoder_learning_rate` (usually lower).

    The two rates are one optimizer with a per-variable learning-rate multiplier
    (`encoder_learning_rate / head_learning_rate` on the encoder's variables): a
    subclass of Keras's Adam or SGD whose `update_step` scales the learning rate it is
    given, so the update is exactly that optimizer's with the encoder's rate, on every
    backend and under jit, without a custom `train_step`. The phase-2 optimizer starts
    with fresh moments.

    The encoder is trained in place (pass `keras.models.clone_model(encoder)` with its
    weights copied to keep the original) and is left trainable. With
    `encoder_learning_rate=0` its weights never change, but its batch-norm statistics
    still follow the new data in phase 2; `warmup_epochs=epochs` freezes it
    completely (a linear probe trained through the encoder on the images).

    Args:
        encoder: a `keras.Model` or layer mapping images `(batch, H, W, C)` to features
            `(batch, dim)`, e.g. `simclr.encoder`.
        x_train: training images `(num_train, H, W, C)`, raw values as the encoder
            expects them (ssl_keras encoders take `[0, 255]`).
        y_train: integer class ids `(num_train,)` or `(num_train, 1)`.
        num_classes: number of classes of the head.
        epochs: total number of epochs, warm-up included.
        batch_size: batch size.
        head_learning_rate: learning rate of the head, > 0.
        encoder_learning_rate: learning rate of the encoder after the warm-up, >= 0.
        warmup_epochs: epochs with the encoder frozen, `0 <= warmup_epochs <= epochs`.
        validation_data: optional `(x_val, y_val)`: evaluated every epoch
            (`val_accuracy` in the history) and at the end (`accuracy`).
        optimizer: `"adam"` or `"sgd"` (with `momentum`, as SimCLR's fine-tuning).
        momentum: momentum of `"sgd"`, in [0, 1].
        callbacks: list of Keras callbacks passed to both `model.fit` calls.
        verbose: `model.fit`'s verbosity.

    Returns:
        A `FineTuneResult(model, history, accuracy)`.

    Raises:
        ValueError: if an argument is out of range, the labels do not match the images,
            or the encoder does not output rank-2 features.

    Example:
    >>> encoder = ssl_keras.models.small_cnn_encoder()  # doctest: +SKIP
    >>> result = fine_tune(encoder, x_train, y_train, num_classes=10, epochs=5,
    ...                    validation_data=(x_test, y_test))  # doctest: +SKIP
    >>> result.accuracy  # doctest: +SKIP

    Reference:
        Chen et al., 2020, SimCLR, appendix B.5 (fine-tuning the whole network, with a
        lower rate and no warm-up there); the head warm-up before unfreezing follows
        Kumar et al., 2022, "Fine-Tuning can Distort Pretrained Features and
        Underperform Out-of-Distribution" (LP-FT: linear probing, then fine-tuning).
    """
    if not isinstance(encoder, keras.layers.Layer):
        raise ValueError(
            "`encoder` should be a keras.Model or keras.layers.Layer. "
            f"Received: encoder={encoder!r}"
        )
    x_train = np.asarray(to_numpy(x_train))
    if x_train.ndim < 2 or x_train.shape[0] == 0:
        raise ValueError(
            "`x_train` should be a non-empty batch of images (num_train, H, W, C). "
            f"Received: x_train.shape={x_train.shape}"
        )
    y_train = check_labels(y_train, "y_train", x_train.shape[0])
    num_classes = check_positive_int(num_classes, "num_classes")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    head_learning_rate = check_positive_float(head_learning_rate, "head_learning_rate")
    encoder_learning_rate = float(
        check_positive(encoder_learning_rate, "encoder_learning_rate", allow_zero=True)
    )
    if not (isinstance(warmup_epochs, int) and not isinstance(warmup_epochs, bool)
            and 0 <= warmup_epochs <= epochs):
        raise ValueError(
            "`warmup_epochs` should be an integer in [0, epochs]. "
            f"Received: warmup_epochs={warmup_epochs!r}, epochs={epochs}"
        )
    check_one_of(optimizer, "optimizer", OPTIMIZERS)
    momentum = check_probability(momentum, "momentum")
    if y_train.max() >= num_classes:
        raise ValueError(
            f"`y_train` holds class {int(y_train.max())}, but num_classes={num_classes}."
        )
    if validation_data is not None:
        try:
            x_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError(
                "`validation_data` should be a tuple (x_val, y_val). "
                f"Received: validation_data of type {type(validation_data).__name__}"
            ) from None
        x_val = np.asarray(to_numpy(x_val))
        validation_data = (x_val, check_labels(y_val, "y_val", x_val.shape[0]))

    inputs = keras.Input(shape=x_train.shape[1:])
    features = encoder(inputs)
    if len(features.shape) != 2:
        raise ValueError(
            "`encoder` should return features of shape (batch, dim); pool feature maps "
            f"first. Received: features.shape={tuple(features.shape)}"
        )
    logits = keras.layers.Dense(num_classes, name="classifier")(features)
    model = keras.Model(inputs, logits, name="fine_tuned")

    fit_kwargs = {"batch_size": batch_size, "validation_data": validation_data,
                  "callbacks": callbacks, "verbose": verbose}
    histories = []
    if warmup_epochs > 0:
        encoder.trainable = False
        _compile(model, _make_optimizer(optimizer, head_learning_rate, momentum, {}, 1.0))
        histories.append(model.fit(x_train, y_train, epochs=warmup_epochs, **fit_kwargs))
    encoder.trainable = True
    if warmup_epochs < epochs:
        encoder_paths = {variable.path for variable in encoder.trainable_variables}
        multiplier = encoder_learning_rate / head_learning_rate
        _compile(
            model,
            _make_optimizer(optimizer, head_learning_rate, momentum, encoder_paths, multiplier),
        )
        histories.append(
            model.fit(x_train, y_train, epochs=epochs, initial_epoch=warmup_epochs,
                      **fit_kwargs)
        )
    history = {}
    for part in histories:
        for key, values in part.history.items():
            history.setdefault(key, []).extend(values)

    accuracy = None
    if validation_data is not None:
        results = model.evaluate(*validation_data, batch_size=batch_size, verbose=0,
                                 return_dict=True)
        accuracy = float(results["accuracy"])
    return FineTuneResult(model=model, history=history, accuracy=accuracy)


def _compile(model, optimizer):
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


class _LearningRateMultiplier:
    """Mixin: scales the learning rate of the variables in `scaled_paths`."""

    def build(self, variables):
        if self.built:
            return
        # Decided from the Keras paths here: inside the update, the tensorflow backend
        # passes the underlying tf.Variable, which has no path.
        self._scaled = [variable.path in self.scaled_paths for variable in variables]
        super().build(variables)

    def update_step(self, gradient, variable, learning_rate):
        if self._scaled[self._get_variable_index(variable)]:
            learning_rate = learning_rate * self.multiplier
        return super().update_step(gradient, variable, learning_rate)


class _MultipliedAdam(_LearningRateMultiplier, keras.optimizers.Adam):
    pass


class _MultipliedSGD(_LearningRateMultiplier, keras.optimizers.SGD):
    pass


def _make_optimizer(name: str, learning_rate: float, momentum: float, scaled_paths, multiplier):
    if name == "adam":
        optimizer = _MultipliedAdam(learning_rate=learning_rate, name="fine_tune_adam")
    else:
        optimizer = _MultipliedSGD(
            learning_rate=learning_rate, momentum=momentum, name="fine_tune_sgd"
        )
    optimizer.scaled_paths = frozenset(scaled_paths)
    optimizer.multiplier = float(multiplier)
    return optimizer
