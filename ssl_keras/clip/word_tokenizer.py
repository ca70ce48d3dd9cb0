"""A tiny word-level tokenizer for the offline mini-CLIP."""

import re

import keras
import numpy as np

from ssl_keras.validation import check_positive_int

PAD_TOKEN = "[PAD]"
UNKNOWN_TOKEN = "[UNK]"
_WORD_PATTERN = re.compile(r"[a-z]+|[0-9]")


@keras.saving.register_keras_serializable(package="ssl_keras")
class WordTokenizer:
    """Lower-cases, splits into words and single digits, and maps them to integer ids.

    Id 0 is padding and id 1 the unknown word; the vocabulary's words follow in order.
    Punctuation is dropped and every digit is its own token (`"a 7."` -> `["a", "7"]`).
    A word-level vocabulary is enough for captions built from a few templates, and it
    makes the text tower's behaviour on unseen prompts easy to reason about: a prompt can
    only be understood if its words are in the vocabulary (`unknown_words` lists the
    others), and a word that never occurred in training keeps its initial embedding.

    Args:
        vocabulary: sequence of distinct lower-case words (or digits).
        sequence_length: length to which token ids are padded or truncated.

    Input shape:
        A string or a list of `T` strings.

    Output shape:
        `(T, sequence_length)` int32 NumPy array (`(sequence_length,)` for one string).

    Raises:
        ValueError: for an empty or duplicated vocabulary, a word that the splitter would
            never produce, or a non-positive `sequence_length`.

    Example:
    >>> tokenizer = WordTokenizer(["a", "photo", "of", "seven", "7"], sequence_length=6)
    >>> tokenizer(["a photo of a 7."])
    array([[2, 3, 4, 2, 6, 0]], dtype=int32)
    """

    def __init__(self, vocabulary, sequence_length: int = 12):
        vocabulary = [str(word) for word in vocabulary]
        if not vocabulary:
            raise ValueError("`vocabulary` should contain at least one word. Received: []")
        duplicates = sorted({word for word in vocabulary if vocabulary.count(word) > 1})
        if duplicates:
            raise ValueError(f"`vocabulary` should be distinct. Received duplicates {duplicates}")
        for word in vocabulary:
            if _WORD_PATTERN.fullmatch(word) is None:
                raise ValueError(
                    "Each vocabulary entry should be a lower-case word or one digit, as the "
                    f"tokenizer splits them. Received: {word!r}"
                )
        check_positive_int(sequence_length, "sequence_length")
        self.vocabulary = vocabulary
        self.sequence_length = sequence_length
        self._index = {word: index + 2 for index, word in enumerate(vocabulary)}

    @property
    def vocabulary_size(self) -> int:
        """Number of ids, padding and unknown included."""
        return len(self.vocabulary) + 2

    def split(self, text: str) -> list[str]:
        """The words of `text`, lower-cased, with punctuation dropped."""
        return _WORD_PATTERN.findall(text.lower())

    def unknown_words(self, texts) -> list[str]:
        """Sorted words of `texts` (a string or list) that are not in the vocabulary."""
        texts = [texts] if isinstance(texts, str) else texts
        return sorted({word for text in texts for word in self.split(text)
                       if word not in self._index})

    def __call__(self, texts) -> np.ndarray:
        single = isinstance(texts, str)
        texts = [texts] if single else list(texts)
        ids = np.zeros((len(texts), self.sequence_length), dtype="int32")
        for row, text in enumerate(texts):
            tokens = [self._index.get(word, 1) for word in self.split(text)]
            tokens = tokens[: self.sequence_length]
            ids[row, : len(tokens)] = tokens
        return ids[0] if single else ids

    def get_config(self) -> dict:
        return {"vocabulary": list(self.vocabulary), "sequence_length": self.sequence_length}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
