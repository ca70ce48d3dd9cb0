"""ResNet-18 adapted to 32x32 images, the standard encoder of SimCLR on CIFAR-10."""

import keras

from ssl_keras.layers.per_image_standardization import PerImageStandardization
from ssl_keras.models._checks import check_image_shape
from ssl_keras.validation import check_positive_int

# Blocks per stage of ResNet-18 (He et al., 2016, Table 1) and each stage's first stride.
RESNET18_BLOCKS = (2, 2, 2, 2)
RESNET18_STRIDES = (1, 2, 2, 2)


def cifar_resnet18_encoder(
    input_shape: tuple[int, int, int] = (32, 32, 3),
    width: int = 64,
    name: str = "cifar_resnet18_encoder",
    standardize: bool = False,
) -> keras.Model:
    """ResNet-18 with the CIFAR stem: 3x3 stride-1 first convolution and no max-pool.

    SimCLR's CIFAR-10 experiments (Appendix B.9) modify the ImageNet ResNet for 32x32
    images: "we replace the first 7x7 Conv of stride 2 with 3x3 Conv of stride 1, and also
    remove the first max pooling operation". The rest is the standard ResNet-18: four
    stages of two BasicBlocks (`Conv3x3-BN-ReLU-Conv3x3-BN`, plus the shortcut, then ReLU)
    with 64, 128, 256 and 512 channels; stages 2-4 halve the resolution with a stride-2
    first convolution and a `Conv1x1-BN` projection shortcut. Global average pooling gives
    the 512-d representation; there is no classification layer. About 11.17M parameters
    are trainable (BatchNorm moving statistics add 9.6k non-trainable ones).

    As in SimCLR's reference ResNet, each block's last BatchNorm starts with `gamma = 0`,
    so every residual branch starts as the identity (Goyal et al., 2017). Convolutions have
    no bias (BatchNorm follows each) and He-normal initialisation.

    The model starts with `Rescaling(1 / 255)`, so it takes raw images in `[0, 255]`.

    Args:
        input_shape: `(height, width, channels)`; spatial size may be `None`. Defaults to
            `(32, 32, 3)`.
        width: channels of the stem and first stage; the stages have `width * (1, 2, 4, 8)`
            channels, so the representation has `8 * width` dimensions. Defaults to 64
            (the real ResNet-18); small values give a toy model for tests.
        name: name of the model.
        standardize: if True, each image is standardized to zero mean and unit variance
            after the rescaling (`ssl_keras.layers.PerImageStandardization`). Defaults
            to False.

    Returns:
        A functional `keras.Model` mapping images `(batch, height, width, channels)` to
        representations `(batch, 8 * width)`, `(batch, 512)` by default.

    Raises:
        ValueError: if `width` is not a positive integer or `input_shape` is not
            `(height, width, channels)`.

    Example:
    >>> import numpy as np
    >>> encoder = cifar_resnet18_encoder(input_shape=(16, 16, 3), width=4)
    >>> tuple(encoder(np.zeros((2, 16, 16, 3), "uint8")).shape)
    (2, 32)

    Reference:
        He, Zhang, Ren, Sun. Deep Residual Learning for Image Recognition. CVPR 2016.
        Chen et al. A Simple Framework for Contrastive Learning of Visual
        Representations. ICML 2020, Appendix B.9.
    """
    width = check_positive_int(width, "width")
    input_shape = check_image_shape(input_shape)
    inputs = keras.Input(shape=input_shape, name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescaling")(inputs)
    if standardize:
        x = PerImageStandardization(name="standardization")(x)
    x = _conv(x, width, 3, 1, "stem_conv")
    x = keras.layers.BatchNormalization(name="stem_batch_norm")(x)
    x = keras.layers.ReLU(name="stem_relu")(x)
    for stage, (blocks, stride) in enumerate(zip(RESNET18_BLOCKS, RESNET18_STRIDES), start=1):
        filters = width * 2 ** (stage - 1)
        for block in range(1, blocks + 1):
            x = _basic_block(
                x, filters, stride if block == 1 else 1, name=f"stage{stage}_block{block}"
            )
    outputs = keras.layers.GlobalAveragePooling2D(name="global_average_pool")(x)
    return keras.Model(inputs, outputs, name=name)


def _conv(x, filters: int, kernel_size: int, strides: int, name: str):
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        name=name,
    )(x)


def _basic_block(x, filters: int, strides: int, name: str):
    """The ResNet BasicBlock: two 3x3 convolutions and a (projection) shortcut."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = _conv(x, filters, 1, strides, f"{name}_shortcut_conv")
        shortcut = keras.layers.BatchNormalization(name=f"{name}_shortcut_batch_norm")(shortcut)
    x = _conv(x, filters, 3, strides, f"{name}_conv1")
    x = keras.layers.BatchNormalization(name=f"{name}_batch_norm1")(x)
    x = keras.layers.ReLU(name=f"{name}_relu1")(x)
    x = _conv(x, filters, 3, 1, f"{name}_conv2")
    x = keras.layers.BatchNormalization(gamma_initializer="zeros", name=f"{name}_batch_norm2")(x)
    x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
    return keras.layers.ReLU(name=f"{name}_relu2")(x)
