"""Captions for the embedded digits: an offline image-text dataset for the mini-CLIP."""

import numpy as np

from ssl_keras.validation import check_positive_int

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGIT_NUMERALS = tuple(str(digit) for digit in range(10))

# Training captions. `{word}` is the digit's name ("seven"), `{numeral}` its numeral ("7"):
# both forms occur, so the text tower learns that "seven" and "7" mean the same class.
TRAINING_TEMPLATES = (
    "a photo of the digit {word}",
    "a photo of the number {numeral}",
    "handwritten {numeral}",
    "a handwritten {word}",
    "the digit {numeral}",
    "a picture of a {word}",
    "a drawing of the number {word}",
    "{numeral}",
)

# Zero-shot prompts for `CLIPZeroShotClassifier` (one `{}` slot for the class name, a
# word or a numeral). Their wording never occurs in training, and each has at least one
# word ("an", "image", "sketch", "this", "is", "written", "small") that no training
# caption contains: those words are in the vocabulary but keep their initial embedding.
UNSEEN_TEMPLATES = (
    "an image of a {}.",
    "a sketch of the number {}.",
    "this is a {}.",
    "a small written {}.",
)

# The unseen words that only the zero-shot prompts use.
_EXTRA_WORDS = ("an", "image", "sketch", "this", "is", "small", "written")


def caption_vocabulary() -> list[str]:
    """Every word of the training captions and unseen prompts, digits and names included.

    Returns:
        A sorted list of distinct words for `ssl_keras.clip.WordTokenizer`.
    """
    words = set(DIGIT_WORDS) | set(DIGIT_NUMERALS) | set(_EXTRA_WORDS)
    for template in TRAINING_TEMPLATES + UNSEEN_TEMPLATES:
        text = template.replace("{word}", " ").replace("{numeral}", " ").replace("{}", " ")
        words.update(text.replace(".", " ").lower().split())
    return sorted(words)


def digit_caption(label: int, template: str) -> str:
    """The caption of digit `label` in `template` (with `{word}`, `{numeral}` or `{}`)."""
    if not 0 <= int(label) <= 9:
        raise ValueError(f"`label` should be a digit in [0, 9]. Received: label={label}")
    word = DIGIT_WORDS[int(label)]
    if "{}" in template:
        return template.format(word)
    return template.format(word=word, numeral=DIGIT_NUMERALS[int(label)])


def caption_digits(
    images,
    labels,
    templates=TRAINING_TEMPLATES,
    captions_per_image: int = 1,
    seed: int | None = 0,
):
    """Pairs each digit image with captions drawn at random from `templates`.

    Args:
        images: `(n, height, width, channels)` images (e.g. from
            `ssl_keras.data.load_digits()`).
        labels: `(n,)` integer digits in [0, 9].
        templates: caption templates with `{word}` and/or `{numeral}` slots.
        captions_per_image: each image appears this many times, each time with a template
            drawn independently (more caption variety per epoch).
        seed: seed of the template draws.

    Returns:
        `(images, captions, labels)`: the repeated images `(n * captions_per_image, ...)`,
        a list of caption strings, and the repeated labels.

    Raises:
        ValueError: for mismatched lengths, no templates or `captions_per_image < 1`.

    Example:
    >>> import numpy as np
    >>> _, captions, _ = caption_digits(np.zeros((2, 8, 8, 3)), [7, 1], ["handwritten {word}"])
    >>> captions
    ['handwritten seven', 'handwritten one']
    """
    labels = np.asarray(labels).astype("int64").reshape(-1)
    if len(images) != len(labels):
        raise ValueError(
            "`images` and `labels` should have the same length. Received: "
            f"{len(images)} images and {len(labels)} labels"
        )
    templates = tuple(templates)
    if not templates:
        raise ValueError("`templates` should contain at least one template. Received: []")
    check_positive_int(captions_per_image, "captions_per_image")
    rng = np.random.default_rng(seed)
    repeated_labels = np.tile(labels, captions_per_image)
    choices = rng.integers(0, len(templates), size=len(repeated_labels))
    captions = [digit_caption(label, templates[choice])
                for label, choice in zip(repeated_labels, choices)]
    repeated_images = np.concatenate([np.asarray(images)] * captions_per_image, axis=0)
    return repeated_images, captions, repeated_labels
