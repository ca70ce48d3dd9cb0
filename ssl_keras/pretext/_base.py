"""Pieces shared by the pretext-task models and transforms (private)."""

import numbers

import keras
import numpy as np


def check_images(images, name: str = "images") -> np.ndarray:
    """Returns `images` as a NumPy array, or raises `ValueError` if it is not rank 4."""
    if not isinstance(images, np.ndarray):
        images = np.asarray(keras.ops.convert_to_numpy(images))
    if images.ndim != 4:
        raise ValueError(
            f"`{name}` should be a rank-4 array of shape (num_images, height, width, "
            f"channels). Received: {name}.shape={images.shape}"
        )
    return images


def check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"`seed` should be an integer or None. Received: seed={seed!r}")
    return seed


def check_encoder(encoder) -> None:
    if not isinstance(encoder, keras.layers.Layer):
        raise ValueError(
            "`encoder` should be a Keras model or layer mapping images to (batch, dim) "
            f"features. Received: encoder={encoder!r}"
        )


def encoder_output_dim(encoder) -> int:
    """The feature dimension of an encoder built from an `Input` (e.g. `small_cnn_encoder`)."""
    try:
        shape = encoder.output_shape
    except (AttributeError, ValueError):
        shape = None
    if not isinstance(shape, tuple) or len(shape) != 2 or shape[-1] is None:
        raise ValueError(
            "`encoder` should be a functional model with a rank-2 output (batch, dim), such "
            f"as `small_cnn_encoder()`. Received: output_shape={shape}"
        )
    return int(shape[-1])


class EncoderTask(keras.Model):
    """Base of the pretext models: an `encoder` attribute, saved and loaded with the model.

    Subclasses override `compile` only to fill in their defaults; Keras skips an
    overridden `compile` when loading a saved model, so `compile_from_config` restores the
    saved optimizer, loss and metrics here.
    """

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def get_config(self):
        config = super().get_config()
        config["encoder"] = keras.saving.serialize_keras_object(self.encoder)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(
            config["encoder"], custom_objects=custom_objects
        )
        return cls(**config)


class PretextClassifier(EncoderTask):
    """An encoder followed by a linear head that classifies a pretext label.

    Subclasses fix `num_classes` (4 rotations, 24 permutations) or take it as an argument
    (`PretextClassification`). `compile()` defaults to Adam, sparse categorical
    cross-entropy on the logits and accuracy, as keras-hub's tasks do, so
    `model.compile()` then `model.fit(inputs, labels)` is enough.
    """

    num_classes = None

    def __init__(self, encoder, num_classes: int | None = None, **kwargs):
        check_encoder(encoder)
        num_classes = self.num_classes if num_classes is None else num_classes
        super().__init__(**kwargs)
        self.encoder = encoder
        self.num_classes = num_classes
        self.head = keras.layers.Dense(num_classes, name="head")

    def build(self, input_shape):
        if not self.encoder.built:
            self.encoder.build(input_shape)
        feature_shape = self.encoder.compute_output_shape(tuple(input_shape))
        if not self.head.built:
            self.head.build(feature_shape)
        self.built = True

    def call(self, inputs, training=None):
        if len(inputs.shape) != 4:
            raise ValueError(
                f"`{type(self).__name__}` expects images of shape (batch, height, width, "
                f"channels). Received: inputs.shape={tuple(inputs.shape)}"
            )
        features = self.encoder(inputs, training=training)
        return self.head(features)

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """`keras.Model.compile` with the task's defaults.

        Args:
            optimizer: defaults to `"adam"`.
            loss: defaults to `SparseCategoricalCrossentropy(from_logits=True)`.
            metrics: defaults to `["accuracy"]`.
            **kwargs: other `keras.Model.compile` arguments.
        """
        if loss is None:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if metrics is None:
            metrics = ["accuracy"]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)
