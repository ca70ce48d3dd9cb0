"""The 2x2 jigsaw model: an encoder and a linear head that classify the tiles' permutation."""

import keras

from ssl_keras.models.pretext_model import PretextClassifier


@keras.saving.register_keras_serializable(package="ssl_keras")
class JigsawPrediction(PretextClassifier):
    """2x2 jigsaw: an encoder and a linear head that predicts the tile permutation (24 classes).

    The image is cut into a 2x2 grid of tiles, the tiles are shuffled by one of the 24
    permutations (`jigsaw_dataset`) and the model classifies which permutation was
    applied. The model is the `encoder` followed by `Dense(24)` (the course's linear head,
    256 -> 24), trained with softmax cross-entropy. After training, `model.encoder` is the
    representation to evaluate.

    Departures from the paper: Noroozi & Favaro cut a 3x3 grid, feed the 9 tiles one by
    one through a siamese "context-free network" and classify among 1,000 permutations of
    maximal Hamming distance, with gaps and jitter between tiles to prevent shortcuts. The
    course's simplified version, followed here, uses a 2x2 grid, all 24 permutations, and
    feeds the whole reassembled image to the encoder; without gaps, the edges between
    tiles remain a low-level cue the network can exploit.

    Args:
        encoder: a Keras model mapping images `(batch, height, width, channels)` with
            values in `[0, 255]` to features `(batch, dim)`, e.g. `small_cnn_encoder()`.
            It is trained in place and exposed as `model.encoder`.
        **kwargs: `keras.Model` keyword arguments, such as `name`.

    Input shape:
        `(batch, height, width, channels)` shuffled images, values in `[0, 255]`.

    Output shape:
        `(batch, 24)` logits of the permutations of `jigsaw_permutations()`.

    Raises:
        ValueError: if `encoder` is not a Keras layer or model, or the inputs are not rank 4.

    Example (training: `compile()` and `fit(x, y)`, see `PretextModel`):
    >>> import numpy as np
    >>> from ssl_keras.models import small_cnn_encoder
    >>> from ssl_keras.pretext import jigsaw_dataset, jigsaw_permutations
    >>> x, y = jigsaw_dataset(np.zeros((2, 16, 16, 3), "uint8"), seed=0)
    >>> len(jigsaw_permutations()), x.shape == (2, 16, 16, 3)  # one puzzle per image
    (24, True)
    >>> model = JigsawPrediction(small_cnn_encoder((16, 16, 3), width=8))
    >>> tuple(model(x).shape)  # a logit per permutation
    (2, 24)

    Reference:
        Noroozi, Favaro. Unsupervised Learning of Visual Representations by Solving
        Jigsaw Puzzles. ECCV 2016. https://arxiv.org/abs/1603.09246
    """

    # The 4! orders of the 2x2 tiles of `ssl_keras.pretext.jigsaw_permutations()`.
    num_classes = 24
