"""The base of every trainable model of the package: building, loss, `ssl_loss`, saving."""

import keras
from keras import ops

from ssl_keras.distributed.collectives import scale_loss_for_replicas
from ssl_keras.models._checks import check_encoder


class PretrainingModel(keras.Model):
    """Base class of the models that train an encoder with an objective of their own.

    Every trainable model of the package subclasses it: the two-view methods through
    `SelfSupervisedModel` (SimCLR, MoCo, BYOL, SimSiam, Barlow Twins, VICReg), the masked
    autoencoder, the mini-CLIP and the pretext-task models (rotation, jigsaw,
    colorization, a task of one's own). A subclass says what its objective is; this class
    does the rest, the same way for every model:

    - **Building** from the input shape: the encoder on the images
      (`image_input_shape(input_shape)`), then the subclass's other layers
      (`build_heads(image_shape, feature_shape)`).
    - **Loss.** `compute_loss` = the subclass's `compute_objective(...)` + its
      `compute_auxiliary_loss(...)` (e.g. an online probe; default none) + the
      regularisation losses of every sublayer (`kernel_regularizer`, `add_loss`),
      scaled for `tf.distribute` replicas. Training is `model.fit` on every backend.
    - **Metric** `ssl_loss`: the objective alone (the logs' `loss` also counts the
      auxiliary and regularisation terms).
    - **Saving:** `get_config` serialises the layer arguments named by
      `layer_arguments()` (`encoder` and `serialized_layers` by default) and the scalar
      arguments named in `config_arguments` (tuples saved as lists); `from_config`
      deserialises the layers. `compile_from_config` restores the saved `compile()`
      arguments even when a subclass overrides `compile` to fill in defaults (Keras
      skips an overridden `compile` when loading a model).

    A subclass implements:
    - `__init__`: validate and keep its arguments (attributes of the same names), call
      `super().__init__(encoder, **kwargs)` (or without an encoder and set `self.encoder`
      itself, when it builds its encoder from its own layers), create its layers.
    - `call(inputs, training)`.
    - `compute_objective(x, y, y_pred, sample_weight, training)`: a float32 scalar.
    - optionally `build_heads` (default: the `serialized_layers` chained after the
      features), `image_input_shape` (default: the input shape itself),
      `compute_auxiliary_loss`, and `get_config` for arguments that need more than
      `config_arguments`.

    Args:
        encoder: a Keras model (or layer) mapping images to `(batch, dim)` features,
            trained in place and exposed as `model.encoder`; `None` if the subclass sets
            `self.encoder` itself.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Raises:
        ValueError: if `encoder` is given and is not a Keras layer or model.
    """

    # Layer arguments of the subclass (attributes of the same names) saved by get_config.
    serialized_layers: tuple[str, ...] = ()
    # Scalar arguments of the subclass (attributes of the same names) saved by get_config.
    config_arguments: tuple[str, ...] = ()

    def __init__(self, encoder: keras.layers.Layer | None = None, **kwargs):
        if encoder is not None:
            check_encoder(encoder)
        super().__init__(**kwargs)
        if encoder is not None:
            self.encoder = encoder
        self.ssl_loss_tracker = keras.metrics.Mean(name="ssl_loss")

    # -- building ---------------------------------------------------------------------

    def build(self, input_shape=None):
        image_shape = tuple(self.image_input_shape(input_shape))
        if not self.encoder.built:
            self.encoder.build(image_shape)
        self.build_heads(image_shape, self.encoder_output_shape(image_shape))
        self.built = True

    def image_input_shape(self, input_shape) -> tuple:
        """The shape of the images the encoder takes, from `build`'s `input_shape`."""
        return tuple(input_shape)

    def build_heads(self, image_shape, feature_shape):
        """Builds the subclass's layers. Default: the `serialized_layers`, chained."""
        del image_shape
        build_chain([getattr(self, name) for name in self.serialized_layers], feature_shape)

    def encoder_output_shape(self, image_shape, encoder=None):
        """`(batch, dim)`, the shape of `encoder` (default: `self.encoder`) features."""
        encoder = self.encoder if encoder is None else encoder
        # A functional encoder knows its output shape; that also covers augmentations
        # that change the image size (the encoder's input, not the raw images, counts).
        try:
            shape = encoder.output_shape
            if isinstance(shape, tuple) and len(shape) == 2:
                return shape
        except (AttributeError, ValueError):
            pass
        return tuple(encoder.compute_output_shape(tuple(image_shape)))

    # -- loss -------------------------------------------------------------------------

    def compute_objective(self, x, y, y_pred, sample_weight=None, training=True):
        """The model's training objective, a float32 scalar (the `ssl_loss` metric)."""
        raise NotImplementedError(f"{type(self).__name__} should implement `compute_objective`.")

    def compute_auxiliary_loss(self, x, y, y_pred, training=True):
        """Terms added to the objective in the total loss, e.g. an online probe's. Default: 0."""
        del x, y, y_pred, training
        return 0.0

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Objective + auxiliary terms + regularisation; updates `ssl_loss`.

        Backend-agnostic: Keras calls it inside the train/test step of every backend.
        """
        objective = ops.cast(
            self.compute_objective(x, y, y_pred, sample_weight=sample_weight, training=training),
            "float32",
        )
        self.ssl_loss_tracker.update_state(ops.stop_gradient(objective))
        total_loss = objective + self.compute_auxiliary_loss(x, y, y_pred, training=training)
        # Regularisation losses of the encoder/heads (kernel_regularizer, add_loss).
        for extra_loss in self.losses:
            total_loss = total_loss + ops.cast(ops.sum(extra_loss), "float32")
        # tf.distribute sums the replicas' gradients: Keras expects a loss scaled by
        # 1 / num_replicas (a no-op on one device, JAX and PyTorch).
        return scale_loss_for_replicas(total_loss)

    # -- saving -----------------------------------------------------------------------

    @classmethod
    def layer_arguments(cls) -> tuple[str, ...]:
        """Names of the `__init__` arguments that are layers, saved by `get_config`."""
        return ("encoder",) + tuple(cls.serialized_layers)

    def get_config(self):
        config = super().get_config()
        for name in self.layer_arguments():
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        for name in self.config_arguments:
            value = getattr(self, name)
            config[name] = list(value) if isinstance(value, tuple) else value
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for name in cls.layer_arguments():
            config[name] = keras.saving.deserialize_keras_object(
                config[name], custom_objects=custom_objects
            )
        return cls(**config)

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)


def build_chain(layers, input_shape):
    """Builds `layers` applied one after the other to `input_shape`; returns the output shape."""
    shape = tuple(input_shape)
    for layer in layers:
        if not layer.built:
            layer.build(shape)
        shape = tuple(layer.compute_output_shape(shape))
    return shape
