"""The small CNN encoder shared by the course notebooks (3 conv blocks, 256-d output)."""

import keras

from ssl_keras.layers.batch_normalization import BatchNormalization
from ssl_keras.layers.per_image_standardization import PerImageStandardization
from ssl_keras.models._checks import check_image_shape
from ssl_keras.validation import check_positive_int

DATA_FORMATS = ("channels_last", "channels_first")


def default_data_format() -> str:
    """The faster layout of the convolutions for the current backend.

    `"channels_first"` on torch: Keras's torch backend hands channels-last inputs to
    PyTorch by transposing them to channels-first and back around every convolution and
    pooling (two copies of the activations each way), while a channels-first model
    permuted once at its input runs PyTorch's convolutions directly, in its fast
    channels-last memory format. `"channels_last"` on jax and tensorflow (XLA chooses
    its own layout; TensorFlow's CPU convolutions need channels-last).
    """
    return "channels_first" if keras.backend.backend() == "torch" else "channels_last"


def small_cnn_encoder(
    input_shape: tuple[int, int, int] = (32, 32, 3),
    output_dim: int = 256,
    width: int = 64,
    name: str = "small_cnn_encoder",
    data_format: str | None = None,
    standardize: bool = False,
) -> keras.Model:
    """The course's small CNN: three conv blocks and global average pooling.

    Every experiment of the course (random baseline, pretext tasks, SimCLR) shares this
    backbone so that their linear-probe accuracies are comparable. Each block is
    `Conv3x3-BN-ReLU-Conv3x3-BN-ReLU-MaxPool2x2`; the blocks have `width`, `2 * width` and
    `output_dim` channels (64, 128, 256 by default), and a global average pooling turns the
    last feature map into the representation `h` (256-d). At 32x32 the feature maps are
    32, 16 and 8 pixels wide in the three blocks (4 after the last pooling); the default
    model has about 1.15M parameters.

    The model starts with `Rescaling(1 / 255)`, so it takes raw images with values in
    `[0, 255]` (uint8 or float), like the rest of ssl_keras.

    Args:
        input_shape: `(height, width, channels)` of the images; the spatial size may be
            `None` (any size >= 8 works, the three poolings halve it). Defaults to
            `(32, 32, 3)`.
        output_dim: channels of the last block, which is the representation's dimension.
            Defaults to 256.
        width: channels of the first block (the second has `2 * width`). Small values
            (e.g. 8) give a toy model for tests. Defaults to 64.
        name: name of the model.
        data_format: layout of the feature maps inside the model, `"channels_last"` or
            `"channels_first"`; the input images are `(batch, height, width, channels)`
            either way (a channels-first model permutes them once, after the
            rescaling). `None` (default) picks the faster one for the backend:
            channels-first on torch, channels-last on jax and tensorflow. Same weights
            (shapes, order, values) and same outputs in both layouts, so a model saved
            in one loads into the other with `set_weights` or `load_weights`.
        standardize: if True, each image is standardized to zero mean and unit variance
            after the rescaling (`ssl_keras.layers.PerImageStandardization`), so the
            features cannot depend on its brightness or contrast. The `digits` preset of
            the jobs turns it on (the embedded digits draw a gray level per image, which
            non-contrastive methods otherwise learn instead of the digits' shapes).
            Defaults to False.

    Returns:
        A functional `keras.Model` mapping images `(batch, height, width, channels)` to
        representations `(batch, output_dim)`.

    Raises:
        ValueError: if `output_dim` or `width` is not a positive integer, `input_shape`
            is not `(height, width, channels)`, or `data_format` is unknown.

    Example:
    >>> import numpy as np
    >>> encoder = small_cnn_encoder(input_shape=(16, 16, 3), output_dim=32, width=8)
    >>> tuple(encoder(np.zeros((2, 16, 16, 3), "uint8")).shape)
    (2, 32)
    """
    output_dim = check_positive_int(output_dim, "output_dim")
    width = check_positive_int(width, "width")
    input_shape = check_image_shape(input_shape)
    if data_format is None:
        data_format = default_data_format()
    if data_format not in DATA_FORMATS:
        raise ValueError(
            f"`data_format` should be one of {DATA_FORMATS}. Received: data_format={data_format!r}"
        )
    channel_axis = -1 if data_format == "channels_last" else 1
    inputs = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescaling")(inputs)
    if standardize:
        x = PerImageStandardization(name="standardization")(x)
    if data_format == "channels_first":
        x = keras.layers.Permute((3, 1, 2), name="to_channels_first")(x)
    for block, filters in enumerate((width, 2 * width, output_dim), start=1):
        for conv in (1, 2):
            prefix = f"block{block}_conv{conv}"
            x = keras.layers.Conv2D(
                filters,
                3,
                padding="same",
                use_bias=False,
                kernel_initializer="he_normal",
                data_format=data_format,
                name=prefix,
            )(x)
            x = BatchNormalization(axis=channel_axis, name=f"{prefix}_batch_norm")(x)
            x = keras.layers.ReLU(name=f"{prefix}_relu")(x)
        x = keras.layers.MaxPooling2D(2, data_format=data_format, name=f"block{block}_pool")(x)
    outputs = keras.layers.GlobalAveragePooling2D(
        data_format=data_format, name="global_average_pool"
    )(x)
    return keras.Model(inputs, outputs, name=name)
