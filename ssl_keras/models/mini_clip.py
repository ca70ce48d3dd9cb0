"""A mini-CLIP: small image and text towers trained with CLIP's contrastive loss."""

import keras
import numpy as np
from keras import ops

from ssl_keras.clip.word_tokenizer import WordTokenizer
from ssl_keras.losses.clip_contrastive import clip_contrastive_loss
from ssl_keras.models._checks import check_image_shape
from ssl_keras.models.pretraining_model import PretrainingModel, build_chain
from ssl_keras.models.small_cnn import small_cnn_encoder
from ssl_keras.validation import check_positive_int, check_temperature


@keras.saving.register_keras_serializable(package="ssl_keras")
class MiniCLIP(PretrainingModel):
    """A small CLIP that trains in minutes on a CPU: CNN image tower, bag-of-words text tower.

    CLIP "jointly trains an image encoder and text encoder to maximize the cosine
    similarity of the image and text embeddings of the N real pairs in the batch while
    minimizing the cosine similarity of the embeddings of the N^2 - N incorrect pairings"
    (Radford et al., 2021, Section 2.3). This model keeps that objective
    (`ssl_keras.losses.clip_contrastive_loss`) and both linear projections into the joint
    space, and shrinks the towers:

    - image tower: the course's `small_cnn_encoder` (it starts with `Rescaling(1/255)`,
      so it takes raw images in [0, 255]), or any `image_encoder` given, then a linear
      projection;
    - text tower: a `WordTokenizer` (word-level, built from `vocabulary`), a word
      embedding, the mean over the non-padding words, a ReLU layer and a linear
      projection. CLIP uses a Transformer and the end-of-text token; a mean of word
      embeddings ignores word order, which short captions of one class word do not need.

    Training is `model.fit({"images": ..., "token_ids": ...})` on every backend (the loss,
    regularisation and `ssl_loss` metric of `PretrainingModel`), or `train_mini_clip`.

    Departures from CLIP: the temperature is fixed (CLIP learns it), and captions of the
    same class in a batch count as negatives exactly as in CLIP, although with few classes
    they are often identical.

    Args:
        vocabulary: words of the text tower's tokenizer (see `WordTokenizer`).
        sequence_length: token ids per caption (longer captions are truncated).
        image_shape: `(height, width, channels)` of the images.
        embedding_dim: size of the joint embedding space.
        image_width: width of the small CNN (its blocks have `w`, `2w`, `4w` channels).
        word_embedding_dim: size of the word embeddings and of the text tower's hidden layer.
        temperature: the contrastive loss's temperature.
        image_encoder: optional Keras model mapping images to features `(B, f)`, used
            instead of the small CNN (then `image_width` is unused).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Input shape:
        A dict with `"images"` `(B, height, width, channels)` and `"token_ids"`
        `(B, sequence_length)` int (from `model.tokenizer`).

    Output shape:
        A dict with `"image_embeddings"` and `"text_embeddings"`, both
        `(B, embedding_dim)` (not normalised).

    Example:
    >>> import numpy as np
    >>> model = MiniCLIP(["a", "photo", "of", "seven"], image_shape=(16, 16, 3))
    >>> tuple(model.encode_texts(["a photo of a seven"]).shape)
    (1, 64)

    Reference:
        Radford et al., "Learning Transferable Visual Models From Natural Language
        Supervision", ICML 2021 (Figure 3 gives the loss's pseudocode).
    """

    config_arguments = (
        "vocabulary",
        "sequence_length",
        "image_shape",
        "embedding_dim",
        "image_width",
        "word_embedding_dim",
        "temperature",
    )

    def __init__(
        self,
        vocabulary,
        sequence_length: int = 12,
        image_shape=(16, 16, 3),
        embedding_dim: int = 64,
        image_width: int = 16,
        word_embedding_dim: int = 64,
        temperature: float = 0.1,
        image_encoder=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.tokenizer = WordTokenizer(vocabulary, sequence_length=sequence_length)
        self.vocabulary = list(self.tokenizer.vocabulary)
        self.sequence_length = sequence_length
        self.image_shape = check_image_shape(image_shape)
        self.embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        self.image_width = check_positive_int(image_width, "image_width")
        self.word_embedding_dim = check_positive_int(word_embedding_dim, "word_embedding_dim")
        check_temperature(temperature)
        self.temperature = temperature
        if image_encoder is None:
            image_encoder = small_cnn_encoder(
                input_shape=self.image_shape,
                output_dim=4 * self.image_width,
                width=self.image_width,
                name="image_tower",
            )
        self.image_encoder = image_encoder
        self.image_projection = keras.layers.Dense(
            self.embedding_dim, use_bias=False, name="image_projection"
        )
        self.word_embedding = keras.layers.Embedding(
            self.tokenizer.vocabulary_size, self.word_embedding_dim, name="word_embedding"
        )
        self.text_hidden = keras.layers.Dense(
            self.word_embedding_dim, activation="relu", name="text_hidden"
        )
        self.text_projection = keras.layers.Dense(
            self.embedding_dim, use_bias=False, name="text_projection"
        )
        self.build()

    @classmethod
    def layer_arguments(cls) -> tuple[str, ...]:
        # Two towers: the image tower is `image_encoder` (its saved weights' name).
        return ("image_encoder",)

    def build(self, input_shape=None):
        """Builds both towers; the shapes come from the arguments, not from `input_shape`."""
        del input_shape
        build_chain([self.image_encoder, self.image_projection], (None, *self.image_shape))
        build_chain([self.word_embedding], (None, self.sequence_length))
        build_chain([self.text_hidden, self.text_projection], (None, self.word_embedding_dim))
        self.built = True

    def embed_images(self, images, training=None):
        """Projected image embeddings `(B, embedding_dim)` (a tensor)."""
        return self.image_projection(self.image_encoder(images, training=training))

    def embed_token_ids(self, token_ids):
        """Projected text embeddings `(B, embedding_dim)` of token ids (a tensor)."""
        token_ids = ops.cast(token_ids, "int32")
        mask = ops.cast(ops.not_equal(token_ids, 0), "float32")[..., None]
        words = ops.cast(self.word_embedding(token_ids), "float32")
        mean = ops.sum(words * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)
        return self.text_projection(self.text_hidden(mean))

    def call(self, inputs, training=None):
        return {
            "image_embeddings": self.embed_images(inputs["images"], training=training),
            "text_embeddings": self.embed_token_ids(inputs["token_ids"]),
        }

    def compute_objective(self, x, y, y_pred, sample_weight=None, training=True):
        """CLIP's symmetric contrastive loss between the two embeddings of each pair."""
        del x, y, sample_weight, training
        return clip_contrastive_loss(
            y_pred["image_embeddings"], y_pred["text_embeddings"], self.temperature
        )

    def tokenize(self, texts) -> np.ndarray:
        """Token ids `(T, sequence_length)` of a list of strings."""
        return self.tokenizer(list(texts))

    def encode_images(self, images, batch_size: int = 256) -> np.ndarray:
        """Image embeddings `(B, embedding_dim)` as a NumPy array (inference mode)."""
        parts = [
            ops.convert_to_numpy(self.embed_images(images[start:start + batch_size],
                                                   training=False))
            for start in range(0, len(images), batch_size)
        ]
        return np.concatenate(parts, axis=0)

    def encode_texts(self, texts) -> np.ndarray:
        """Text embeddings `(T, embedding_dim)` of a list of strings, as a NumPy array."""
        return ops.convert_to_numpy(self.embed_token_ids(self.tokenize(texts)))


def train_mini_clip(
    images,
    captions,
    vocabulary,
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    seed: int | None = None,
    verbose="auto",
    jit_compile="auto",
    **model_kwargs,
):
    """Builds a `MiniCLIP` and fits it on image-caption pairs with Adam.

    Args:
        images: `(n, height, width, channels)` images in [0, 255].
        captions: list of `n` captions, caption `i` describing image `i`.
        vocabulary: the tokenizer's words (e.g. `ssl_keras.clip.caption_vocabulary()`).
        epochs: passes over the pairs.
        batch_size: pairs per step (the contrastive loss's `N`); the last partial batch
            is dropped so that every step has `N` pairs.
        learning_rate: Adam's learning rate.
        seed: seed of the one shuffle that picks which pairs fill whole batches. The
            weights' initialisation and `fit`'s shuffling use Keras's global random state:
            call `keras.utils.set_random_seed` first for a reproducible run.
        verbose: as in `keras.Model.fit`.
        jit_compile: as in `keras.Model.compile` (`False` skips the XLA compilation,
            faster for a handful of steps).
        **model_kwargs: arguments of `MiniCLIP` (`image_shape`, `embedding_dim`, ...).

    Returns:
        `(model, history)`: the trained `MiniCLIP` and `fit`'s `History`.

    Raises:
        ValueError: if there are fewer than 2 pairs or lengths differ.
    """
    if len(images) != len(captions):
        raise ValueError(
            "`images` and `captions` should have the same length. Received: "
            f"{len(images)} images and {len(captions)} captions"
        )
    if len(images) < 2:
        raise ValueError(f"Training needs at least 2 pairs. Received: {len(images)}")
    order = np.random.default_rng(seed).permutation(len(images))
    images = np.asarray(images)[order]
    captions = [captions[index] for index in order]
    model_kwargs.setdefault("image_shape", tuple(images.shape[1:]))
    model = MiniCLIP(vocabulary, **model_kwargs)
    token_ids = model.tokenize(captions)
    usable = (len(images) // min(batch_size, len(images))) * min(batch_size, len(images))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    history = model.fit(
        {"images": images[:usable], "token_ids": token_ids[:usable]},
        batch_size=min(batch_size, len(images)),
        epochs=epochs,
        shuffle=True,
        verbose=verbose,
    )
    return model, history
