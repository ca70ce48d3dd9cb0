import numpy as np
import pytest

from ssl_keras.clip import (
    DIGIT_NUMERALS,
    DIGIT_WORDS,
    TRAINING_TEMPLATES,
    UNSEEN_TEMPLATES,
    WordTokenizer,
    caption_digits,
    caption_vocabulary,
    digit_caption,
)


def test_captions_name_the_label_in_each_template(rng):
    labels = rng.integers(0, 10, size=40)
    images = rng.integers(0, 255, size=(40, 8, 8, 3)).astype("uint8")
    repeated, captions, repeated_labels = caption_digits(images, labels, captions_per_image=3)
    assert repeated.shape == (120, 8, 8, 3)
    np.testing.assert_array_equal(repeated[40:80], images)
    np.testing.assert_array_equal(repeated_labels, np.tile(labels, 3))
    for caption, label in zip(captions, repeated_labels):
        words = caption.split()
        assert DIGIT_WORDS[label] in words or DIGIT_NUMERALS[label] in words
        others = (set(DIGIT_WORDS) | set(DIGIT_NUMERALS)) - {DIGIT_WORDS[label],
                                                            DIGIT_NUMERALS[label]}
        assert not others & set(words)
    # Several templates are used, and captions differ between the repeats.
    assert len({caption.replace(DIGIT_WORDS[7], "") for caption in captions}) > 4
    assert captions[:40] != captions[40:80]
    assert digit_caption(7, "handwritten {numeral}") == "handwritten 7"
    assert digit_caption(7, "an image of a {}.") == "an image of a seven."


def test_vocabulary_covers_every_prompt_and_unseen_prompts_have_new_words():
    tokenizer = WordTokenizer(caption_vocabulary())
    training = [digit_caption(d, t) for d in range(10) for t in TRAINING_TEMPLATES]
    unseen = [t.format(name) for t in UNSEEN_TEMPLATES
              for name in DIGIT_WORDS + DIGIT_NUMERALS]
    assert tokenizer.unknown_words(training + unseen) == []
    training_words = {w for caption in training for w in tokenizer.split(caption)}
    for template in UNSEEN_TEMPLATES:
        assert set(tokenizer.split(template)) - training_words, template
        assert template.format("seven") not in training


def test_errors(rng):
    images = np.zeros((3, 8, 8, 3))
    with pytest.raises(ValueError, match="same length"):
        caption_digits(images, [1, 2])
    with pytest.raises(ValueError, match="at least one template"):
        caption_digits(images, [1, 2, 3], templates=())
    with pytest.raises(ValueError, match="captions_per_image"):
        caption_digits(images, [1, 2, 3], captions_per_image=0)
    with pytest.raises(ValueError, match=r"\[0, 9\]"):
        digit_caption(10, "{word}")
