"""Pretext-task models: an encoder and a head trained on targets made from the images.

`PretextModel` is their base, `PretextClassifier` that of the classifiers (rotation,
jigsaw, `PretextClassification`); `PretextRegression` regresses real-valued targets. The
targets themselves are made by the batch functions of `ssl_keras.pretext`.
"""

import keras
import numpy as np
from keras import ops

from ssl_keras.distributed.collectives import unscale_loss_for_replicas
from ssl_keras.models._checks import check_encoder, encoder_output_dim
from ssl_keras.models.pretraining_model import PretrainingModel
from ssl_keras.validation import is_positive_int


class PretextModel(PretrainingModel):
    """Base of the pretext-task models: the encoder, a head, and the loss given to `compile`.

    A pretext model is trained as a supervised model on the pretext targets:
    `model.compile()` (Adam and the task's loss by default, as keras-hub's tasks do), then
    `model.fit(inputs, targets)`. The objective (`ssl_loss`) is the loss given to
    `compile()`, with its sample weights; `PretrainingModel` adds the regularisation losses.

    A subclass implements `head_outputs(features, training)` (what the head makes of the
    encoder's features) and `default_loss()`, and optionally `default_metrics()`.

    Example (every pretext task trains this way; here rotation prediction):
    >>> import numpy as np
    >>> from ssl_keras.models import RotationPrediction, small_cnn_encoder
    >>> from ssl_keras.pretext import rotation_dataset
    >>> images = np.random.randint(0, 256, (32, 16, 16, 3)).astype("uint8")
    >>> x, y = rotation_dataset(images)  # the inputs and their pretext targets
    >>> model = RotationPrediction(small_cnn_encoder((16, 16, 3), width=8))
    >>> model.compile()  # Adam and the task's loss and metrics
    >>> history = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    >>> features = model.encoder.predict(images, verbose=0)  # the representation
    """

    def call(self, inputs, training=None):
        if len(inputs.shape) != 4:
            raise ValueError(
                f"`{type(self).__name__}` expects images of shape (batch, height, width, "
                f"channels). Received: inputs.shape={tuple(inputs.shape)}"
            )
        return self.head_outputs(self.encoder(inputs, training=training), training=training)

    def head_outputs(self, features, training=None):
        """The model's outputs from the encoder's `features`."""
        raise NotImplementedError(f"{type(self).__name__} should implement `head_outputs`.")

    def default_loss(self):
        """The loss `compile()` uses when none is given."""
        raise NotImplementedError(f"{type(self).__name__} should implement `default_loss`.")

    def default_metrics(self):
        """The metrics `compile()` uses when none are given (default: none)."""
        return None

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """`keras.Model.compile` with the task's defaults.

        Args:
            optimizer: defaults to `"adam"`.
            loss: defaults to the task's loss (`default_loss()`).
            metrics: defaults to the task's metrics (`default_metrics()`).
            **kwargs: other `keras.Model.compile` arguments.
        """
        if loss is None:
            loss = self.default_loss()
        if metrics is None:
            metrics = self.default_metrics()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compute_objective(self, x, y, y_pred, sample_weight=None, training=True):
        """The loss given to `compile()` of the targets `y` and the predictions."""
        del x, training
        loss = self.loss
        if not isinstance(loss, keras.losses.Loss):
            loss = keras.losses.get(loss)
        if not isinstance(loss, keras.losses.Loss):
            loss = _FunctionLoss(loss)
        # A Keras loss already divides by the number of tf.distribute replicas; the base
        # scales the total loss once.
        return unscale_loss_for_replicas(loss(y, y_pred, sample_weight))


class _FunctionLoss(keras.losses.Loss):
    """A loss function `(y_true, y_pred) -> per-example values` as a `keras.losses.Loss`,
    which reduces them with the sample weights, as `compile()` does with a function."""

    def __init__(self, function):
        # A fixed name: the function's own may not be a valid TensorFlow scope ("<lambda>").
        super().__init__(name="pretext_loss")
        self.function = function

    def call(self, y_true, y_pred):
        return self.function(y_true, y_pred)


class PretextClassifier(PretextModel):
    """An encoder followed by a linear head that classifies a pretext label.

    Subclasses fix `num_classes` (4 rotations, 24 permutations) or take it as an argument
    (`PretextClassification`). `compile()` defaults to Adam, sparse categorical
    cross-entropy on the logits and accuracy, so `model.compile()` then
    `model.fit(inputs, labels)` is enough.
    """

    num_classes = None

    def __init__(self, encoder, num_classes: int | None = None, **kwargs):
        num_classes = self.num_classes if num_classes is None else num_classes
        super().__init__(encoder, **kwargs)
        self.num_classes = num_classes
        self.head = keras.layers.Dense(num_classes, name="head")

    def build_heads(self, image_shape, feature_shape):
        del image_shape
        if not self.head.built:
            self.head.build(feature_shape)

    def head_outputs(self, features, training=None):
        return self.head(features)

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def default_metrics(self):
        return ["accuracy"]


@keras.saving.register_keras_serializable(package="ssl_keras")
class PretextClassification(PretextClassifier):
    """An encoder and a linear head that classify the labels of a pretext task.

    The model of a `PretextTask` with `num_classes`: the `encoder` followed by
    `Dense(num_classes)`, trained with softmax cross-entropy, as `RotationPrediction` and
    `JigsawPrediction` are with their fixed numbers of classes. After training,
    `model.encoder` is the representation to evaluate.

    `compile()` defaults to Adam, `SparseCategoricalCrossentropy(from_logits=True)` and
    accuracy.

    Args:
        encoder: a Keras model mapping images `(batch, height, width, channels)` in
            `[0, 255]` to features `(batch, dim)`, e.g. `small_cnn_encoder()`. Trained in
            place, exposed as `model.encoder`.
        num_classes: the number of pretext classes, an integer >= 2.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Input shape:
        `(batch, height, width, channels)` images, values in `[0, 255]`.

    Output shape:
        `(batch, num_classes)` logits.

    Raises:
        ValueError: if `encoder` is not a Keras layer or model, `num_classes` is not an
            integer >= 2, or the inputs are not rank 4.

    Example:
    >>> import numpy as np
    >>> from ssl_keras.models import small_cnn_encoder
    >>> x = np.random.randint(0, 256, (8, 16, 16, 3)).astype("uint8")
    >>> model = PretextClassification(small_cnn_encoder((16, 16, 3), width=8), num_classes=3)
    >>> tuple(model(x[:2]).shape)
    (2, 3)
    """

    config_arguments = ("num_classes",)

    def __init__(self, encoder, num_classes: int, **kwargs):
        if not (is_positive_int(num_classes) and num_classes >= 2):
            raise ValueError(
                f"`num_classes` should be an integer >= 2. Received: num_classes={num_classes!r}"
            )
        super().__init__(encoder, num_classes=int(num_classes), **kwargs)


@keras.saving.register_keras_serializable(package="ssl_keras")
def pretext_regression_loss(y_true, y_pred):
    """Mean squared error per example, over all of its target's values.

    Args:
        y_true: targets `(batch,) + target_shape`.
        y_pred: predictions of the same shape.

    Returns:
        Per-example loss, shape `(batch,)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    error = ops.reshape(y_true - y_pred, (ops.shape(y_pred)[0], -1))
    return ops.mean(ops.square(error), axis=1)


@keras.saving.register_keras_serializable(package="ssl_keras")
class PretextRegression(PretextModel):
    """An encoder and a linear head that regress the targets of a pretext task.

    The model of a `PretextTask` with `target_shape`: the `encoder` followed by
    `Dense(prod(target_shape))` (a linear head, like the classifiers'), reshaped to
    `(batch,) + target_shape`, trained with the mean squared error
    (`pretext_regression_loss`). After training, `model.encoder` is the representation to
    evaluate.

    `compile()` defaults to Adam and `pretext_regression_loss`.

    Args:
        encoder: a Keras model with a rank-2 output `(batch, dim)`, e.g.
            `small_cnn_encoder()`. Trained in place, exposed as `model.encoder`.
        target_shape: the shape of one target, a tuple of positive integers (`()` for one
            number).
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Input shape:
        `(batch, height, width, channels)` images, values in `[0, 255]`.

    Output shape:
        `(batch,) + target_shape` predictions.

    Raises:
        ValueError: if `encoder` is not a functional model with a rank-2 output,
            `target_shape` is not a tuple of positive integers, or the inputs are not
            rank 4.

    Example:
    >>> import numpy as np
    >>> from ssl_keras.models import small_cnn_encoder
    >>> x = np.random.randint(0, 256, (8, 16, 16, 3)).astype("uint8")
    >>> model = PretextRegression(small_cnn_encoder((16, 16, 3), width=8), (4, 4, 3))
    >>> tuple(model(x[:2]).shape)
    (2, 4, 4, 3)
    """

    config_arguments = ("target_shape",)

    def __init__(self, encoder, target_shape, **kwargs):
        check_encoder(encoder)
        if not isinstance(target_shape, (tuple, list)) or not all(
            is_positive_int(size) for size in target_shape
        ):
            raise ValueError(
                "`target_shape` should be a tuple of positive integers (`()` for one number). "
                f"Received: target_shape={target_shape!r}"
            )
        dim = encoder_output_dim(encoder)
        super().__init__(encoder, **kwargs)
        self.target_shape = tuple(int(size) for size in target_shape)
        self.head = keras.layers.Dense(int(np.prod(self.target_shape)), name="head")
        self.head.build((None, dim))

    def build_heads(self, image_shape, feature_shape):
        del image_shape, feature_shape  # the head is built in __init__

    def head_outputs(self, features, training=None):
        return ops.reshape(self.head(features), (-1,) + self.target_shape)

    def default_loss(self):
        return pretext_regression_loss
