"""Apply a layer to a random subset of the images of a batch."""

import keras
from keras import ops

from ssl_keras.layers._augmentation_base import (
    per_image_mask,
)
from ssl_keras.validation import (
    check_probability,
)


@keras.saving.register_keras_serializable(package="ssl_keras")
class RandomApply(keras.layers.Layer):
    """Applies `layer` to each image with probability `probability`, else keeps it.

    torchvision's `RandomApply`, per image and jit-friendly: the wrapped layer runs on
    the whole batch, then a `(batch, 1, ..., 1)` random mask picks, per image, the
    transformed or the original image with `ops.where`. (Computing the layer for every
    image costs the work of the skipped ones too; in exchange there is no Python `if`
    on tensor values, so it compiles under XLA and `torch.compile`.)

    The wrapped layer must map a batch to a batch of the same shape. At inference
    (`training=False`) the input is returned unchanged (cast to the compute dtype) and
    the wrapped layer is not called.

    Args:
        layer: a `keras.layers.Layer` (serializable, e.g. an ssl_keras layer or a
            registered custom layer) taking `(batch, ...)` and returning the same shape.
        probability: probability of applying `layer` to an image. Defaults to 0.8,
            SimCLR's probability for colour jitter (torchvision's `RandomApply`
            defaults to 0.5).
        seed: integer seed for the layer's `keras.random.SeedGenerator`, or `None`.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        A batch `(batch, ...)`: the first axis indexes the images.

    Output shape:
        Same as the input, in the layer's compute dtype (float32 by default).

    Raises:
        ValueError: at construction if `layer` is not a Keras layer or `probability` is
            outside [0, 1].

    Example:
    >>> import numpy as np
    >>> from ssl_keras.layers import RandomColorJitter
    >>> images = np.random.randint(0, 256, size=(4, 32, 32, 3)).astype("uint8")
    >>> jitter = RandomApply(RandomColorJitter(strength=0.5), probability=0.8, seed=0)
    >>> jitter(images).shape  # (4, 32, 32, 3)

    Reference:
        Chen et al., 2020, SimCLR, appendix A:
        "rnd_color_jitter = transforms.RandomApply([color_jitter], p=0.8)".
    """

    def __init__(self, layer, probability: float = 0.8, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, keras.layers.Layer):
            raise ValueError(
                f"`layer` should be a keras.layers.Layer. Received: layer={layer!r}"
            )
        self.layer = layer
        self.probability = check_probability(probability, "probability")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        self.built = True

    def call(self, inputs, training=True):
        inputs = ops.cast(inputs, self.compute_dtype)
        if not training:
            return inputs
        transformed = ops.cast(self.layer(inputs, training=training), self.compute_dtype)
        mask = per_image_mask(
            self.seed_generator, ops.shape(inputs)[0], self.probability, len(inputs.shape)
        )
        return ops.where(mask, transformed, inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layer": keras.saving.serialize_keras_object(self.layer),
                "probability": self.probability,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
