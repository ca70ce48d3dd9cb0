"""RotNet's model: an encoder and a linear head that classify an image's rotation."""

import keras

from ssl_keras.models.pretext_model import PretextClassifier


@keras.saving.register_keras_serializable(package="ssl_keras")
class RotationPrediction(PretextClassifier):
    """RotNet: an encoder and a linear head that predicts an image's rotation (4 classes).

    "we propose to learn image features by training ConvNets to recognize the 2d rotation
    that is applied to the image that it gets as input" (Gidaris et al., 2018). The
    rotations are 0, 90, 180 and 270 degrees; the model is the `encoder` followed by
    `Dense(4)` (the course's linear head, 256 -> 4), trained with softmax cross-entropy on
    the data of `rotation_dataset`. After training, `model.encoder` is the representation
    to evaluate (linear probe, kNN).

    `compile()` defaults to Adam, `SparseCategoricalCrossentropy(from_logits=True)` and
    accuracy. Training is plain `fit` on every backend.

    Departures from the paper: RotNet uses a Network-In-Network backbone and evaluates the
    second block's feature maps; here the encoder is any ssl_keras encoder (by default in
    the course the small CNN) and the representation is its pooled output. The head is
    linear, as in the course, not RotNet's last conv block.

    Args:
        encoder: a Keras model mapping images `(batch, size, size, channels)` with values
            in `[0, 255]` to features `(batch, dim)`, e.g. `small_cnn_encoder()`. It is
            trained in place and exposed as `model.encoder`.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Input shape:
        `(batch, size, size, channels)` rotated images, values in `[0, 255]`.

    Output shape:
        `(batch, 4)` logits of the rotation classes (0, 90, 180, 270 degrees).

    Raises:
        ValueError: if `encoder` is not a Keras layer or model, or the inputs are not rank 4.

    Example (training: `compile()` and `fit(x, y)`, see `PretextModel`):
    >>> import numpy as np
    >>> from ssl_keras.models import small_cnn_encoder
    >>> from ssl_keras.pretext import rotation_dataset
    >>> x, y = rotation_dataset(np.zeros((2, 16, 16, 3), "uint8"))  # 4 copies per image
    >>> y.tolist()
    [0, 1, 2, 3, 0, 1, 2, 3]
    >>> model = RotationPrediction(small_cnn_encoder((16, 16, 3), width=8))
    >>> tuple(model(x).shape)  # a logit per rotation
    (8, 4)

    Reference:
        Gidaris, Singh, Komodakis. Unsupervised Representation Learning by Predicting
        Image Rotations. ICLR 2018. https://arxiv.org/abs/1803.07728
    """

    # The four rotations of `ssl_keras.pretext.rotation_dataset`: 0, 90, 180, 270 degrees.
    num_classes = 4
