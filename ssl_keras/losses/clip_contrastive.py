"""The symmetric image-text contrastive loss of CLIP."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import check_temperature
from ssl_keras.ops.similarity import _check_embeddings, pairwise_cosine_similarity


def clip_contrastive_loss(image_embeddings, text_embeddings, temperature: float = 0.07):
    """Symmetric InfoNCE between matched images and texts (CLIP, Radford et al., 2021).

    Row `i` of both inputs is a matching image-text pair; every other row is a negative.
    With `logits = cos(image_i, text_k) / tau`, the loss is the mean of the image-to-text
    and text-to-image cross-entropies with the diagonal as targets, as in CLIP's
    pseudocode: `(cross_entropy(logits, labels, axis=0) + cross_entropy(logits, labels,
    axis=1)) / 2`. CLIP learns `1 / tau` (initialised to 1/0.07); pass a scalar tensor to
    learn it here too. Computed in float32.

    Args:
        image_embeddings: `(N, d)` image embeddings.
        text_embeddings: `(N, d)` text embeddings, row `i` describing image `i`.
        temperature: positive float or scalar tensor.

    Returns:
        Scalar float32 tensor.

    Raises:
        ValueError: for `temperature <= 0`, bad shapes, or N < 2.

    Reference:
        Radford et al., "Learning Transferable Visual Models From Natural Language
        Supervision", ICML 2021, Figure 3.
    """
    check_temperature(temperature)
    images = ops.cast(ops.convert_to_tensor(image_embeddings), "float32")
    texts = ops.cast(ops.convert_to_tensor(text_embeddings), "float32")
    _check_embeddings(images, texts, "image_embeddings", "text_embeddings", same_batch=True)
    if images.shape[0] is not None and images.shape[0] < 2:
        raise ValueError(
            "A contrastive loss needs a batch of at least 2 pairs. Received: "
            f"image_embeddings.shape={tuple(images.shape)}"
        )
    logits = pairwise_cosine_similarity(images, texts) / ops.cast(temperature, "float32")
    labels = ops.arange(ops.shape(logits)[0])
    image_to_text = ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    text_to_image = ops.sparse_categorical_crossentropy(
        labels, ops.transpose(logits), from_logits=True
    )
    return (ops.mean(image_to_text) + ops.mean(text_to_image)) / 2.0


@keras.saving.register_keras_serializable(package="ssl_keras")
class CLIPContrastiveLoss(keras.losses.Loss):
    """`clip_contrastive_loss` as a `keras.losses.Loss`.

    `y_pred` stacks image and text embeddings on the batch axis, `(2N, d)`: images first.
    `y_true` is ignored.

    Args:
        temperature: positive float.
        reduction: as in `keras.losses.Loss` (the value is already a scalar).
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.
    """

    def __init__(self, temperature=0.07, reduction="sum_over_batch_size",
                 name="clip_contrastive", dtype=None):
        check_temperature(temperature)
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.temperature = temperature

    def call(self, y_true, y_pred):
        images, texts = ops.split(ops.convert_to_tensor(y_pred), 2, axis=0)
        return clip_contrastive_loss(images, texts, self.temperature)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}
