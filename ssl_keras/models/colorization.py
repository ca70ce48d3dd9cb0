"""The colorization model: an encoder and a small decoder that paint colours back from gray."""

import keras
import numpy as np
from keras import ops

from ssl_keras.models._checks import check_encoder, encoder_output_dim
from ssl_keras.models.pretext_model import PretextModel


@keras.saving.register_keras_serializable(package="ssl_keras")
def colorization_loss(y_true, y_pred):
    """Mean squared error between colour images, measured in `[0, 1]` units.

    Both images have values in `[0, 255]`; the error is `mean(((y_true - y_pred) / 255)^2)`
    over height, width and channels, so its scale does not depend on the value range.

    Args:
        y_true: target images `(batch, height, width, 3)` in `[0, 255]`.
        y_pred: predicted images of the same shape.

    Returns:
        Per-image loss, shape `(batch,)`.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    error = (y_true - y_pred) / 255.0
    return ops.mean(ops.square(error), axis=(1, 2, 3))


@keras.saving.register_keras_serializable(package="ssl_keras")
class Colorization(PretextModel):
    """Colorization: an encoder and a small decoder that predict colours from grayscale.

    The encoder sees the grayscale version of an image (its luma copied into 3 channels,
    `colorization_dataset`) and must produce a representation from which a small decoder
    can paint the colours back; the loss is the mean squared error to the original image
    (`colorization_loss`). After training, `model.encoder` is the representation to
    evaluate.

    The decoder starts from the encoder's pooled representation `(batch, dim)` (the
    ssl_keras encoders end with global pooling, and the encoder's interface stays
    unchanged): `Dense` to a `(height / 2^k, width / 2^k, decoder_filters[0])` map, then
    `k = len(decoder_filters)` blocks `Conv2DTranspose(stride 2)-ReLU` that double the
    size, and a `Conv2D(3)` with a sigmoid scaled to `[0, 255]`. Because the decoder sees
    nothing but the representation, all the image's content (not only its colours) must
    pass through it.

    Departures from Zhang et al. (2016): they predict the ab chroma channels of Lab colour
    space as a classification over 313 quantised colours with class rebalancing (MSE
    gives desaturated averages), from a fully convolutional network that keeps the
    spatial layout. The course's version, followed here, regresses RGB with MSE through a
    small decoder. On images that are already gray (the embedded digits) the target equals
    the input and the task reduces to an autoencoder.

    Args:
        encoder: a functional Keras model with a static input size, mapping images
            `(batch, height, width, 3)` in `[0, 255]` to features `(batch, dim)`, e.g.
            `small_cnn_encoder((32, 32, 3))`. Trained in place, exposed as `model.encoder`.
        decoder_filters: channels of the upsampling blocks, one block (x2 size) each.
            Defaults to `(128, 64, 32)`: 3 blocks, so the image sides must be divisible
            by 8.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Input shape:
        `(batch, height, width, 3)` grayscale images (3 identical channels), `[0, 255]`.

    Output shape:
        `(batch, height, width, 3)` predicted colour images, values in `[0, 255]`.

    Raises:
        ValueError: if `encoder` is not a functional model with a static input size and a
            rank-2 output, the image sides are not divisible by `2 ** len(decoder_filters)`,
            `decoder_filters` is not a non-empty sequence of positive integers, or the
            inputs are not rank 4.

    Example (training: `compile()` and `fit(gray, targets)`, see `PretextModel`):
    >>> import numpy as np
    >>> from ssl_keras.models import small_cnn_encoder
    >>> from ssl_keras.pretext import colorization_dataset
    >>> gray, targets = colorization_dataset(np.full((2, 16, 16, 3), (255, 0, 0), "uint8"))
    >>> model = Colorization(small_cnn_encoder((16, 16, 3), width=8), decoder_filters=(16, 8))
    >>> tuple(model(gray).shape)  # two x2 blocks from a 4x4 map: the image size
    (2, 16, 16, 3)
    >>> loss = keras.ops.convert_to_numpy(colorization_loss(targets, model(gray)))
    >>> bool(np.all((loss >= 0.0) & (loss <= 1.0)))  # per image, in [0, 1] units
    True

    Reference:
        Zhang, Isola, Efros. Colorful Image Colorization. ECCV 2016.
        https://arxiv.org/abs/1603.08511
    """

    config_arguments = ("decoder_filters",)

    def __init__(self, encoder, decoder_filters=(128, 64, 32), **kwargs):
        check_encoder(encoder)
        if (
            not isinstance(decoder_filters, (list, tuple))
            or not decoder_filters
            or any(
                isinstance(f, bool) or not isinstance(f, (int, np.integer)) or f <= 0
                for f in decoder_filters
            )
        ):
            raise ValueError(
                "`decoder_filters` should be a non-empty sequence of positive integers. "
                f"Received: decoder_filters={decoder_filters!r}"
            )
        height, width = _static_image_size(encoder)
        factor = 2 ** len(decoder_filters)
        if height % factor or width % factor:
            raise ValueError(
                f"The decoder's {len(decoder_filters)} upsampling blocks need image sides "
                f"divisible by {factor}. Received: image size {height}x{width}, "
                f"decoder_filters={decoder_filters}"
            )
        dim = encoder_output_dim(encoder)
        super().__init__(encoder, **kwargs)
        self.decoder_filters = tuple(int(f) for f in decoder_filters)
        start = (height // factor, width // factor, self.decoder_filters[0])
        layers = [
            keras.Input((dim,)),
            keras.layers.Dense(int(np.prod(start)), activation="relu", name="project"),
            keras.layers.Reshape(start, name="reshape"),
        ]
        for index, filters in enumerate(self.decoder_filters, start=1):
            layers.append(
                keras.layers.Conv2DTranspose(
                    filters, 3, strides=2, padding="same", activation="relu",
                    name=f"upsample{index}",
                )
            )
        layers += [
            keras.layers.Conv2D(3, 3, padding="same", activation="sigmoid", name="colors"),
            keras.layers.Rescaling(255.0, name="to_pixel_range"),
        ]
        self.decoder = keras.Sequential(layers, name="decoder")

    def build_heads(self, image_shape, feature_shape):
        del image_shape, feature_shape  # the decoder is built in __init__

    def head_outputs(self, features, training=None):
        return self.decoder(features, training=training)

    def default_loss(self):
        return colorization_loss


def _static_image_size(encoder) -> tuple[int, int]:
    try:
        shape = tuple(encoder.inputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError):
        shape = None
    if shape is None or len(shape) != 4 or shape[1] is None or shape[2] is None:
        raise ValueError(
            "`Colorization` needs a functional encoder with a static image size, e.g. "
            f"`small_cnn_encoder((32, 32, 3))`. Received: input shape {shape}"
        )
    return int(shape[1]), int(shape[2])
