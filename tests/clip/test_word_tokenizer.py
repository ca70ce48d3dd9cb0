import keras
import numpy as np
import pytest

from ssl_keras.clip import WordTokenizer


def test_ids_padding_truncation_and_unknown_words():
    tokenizer = WordTokenizer(["a", "photo", "of", "seven", "7"], sequence_length=5)
    ids = tokenizer(["A photo of a 7.", "seven", "a photo of a seven, truly", "an image"])
    # 0 is padding, 1 unknown, vocabulary words from 2 in order.
    np.testing.assert_array_equal(
        ids, [[2, 3, 4, 2, 6], [5, 0, 0, 0, 0], [2, 3, 4, 2, 5], [1, 1, 0, 0, 0]]
    )
    assert ids.dtype == np.int32
    assert tokenizer.vocabulary_size == 7
    assert tokenizer.unknown_words(["an image of a 7", "truly"]) == ["an", "image", "truly"]
    np.testing.assert_array_equal(tokenizer("seven"), [5, 0, 0, 0, 0])
    assert tokenizer.split("Handwritten 17!") == ["handwritten", "1", "7"]


def test_config_round_trip():
    tokenizer = WordTokenizer(["x", "y"], sequence_length=3)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(tokenizer))
    assert clone.get_config() == {"vocabulary": ["x", "y"], "sequence_length": 3}
    np.testing.assert_array_equal(clone(["y x"]), tokenizer(["y x"]))


@pytest.mark.parametrize(
    "vocabulary, sequence_length, match",
    [([], 4, "at least one word"), (["a", "a"], 4, "distinct"), (["Photo"], 4, "lower-case"),
     (["12"], 4, "one digit"), (["a"], 0, "sequence_length")],
)
def test_errors(vocabulary, sequence_length, match):
    with pytest.raises(ValueError, match=match):
        WordTokenizer(vocabulary, sequence_length=sequence_length)
