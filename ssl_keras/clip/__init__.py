"""An offline mini-CLIP: captioned digits, a word tokenizer, and small image/text towers;
one's own described images (or the bundled examples) to try a CLIP on.

Zero-shot classification with any encoder pair (this mini-CLIP, a keras-hub CLIP, a frozen
sentence encoder) is `ssl_keras.models.CLIPZeroShotClassifier`.
"""

from ssl_keras.clip.captions import (
    DIGIT_NUMERALS,
    DIGIT_WORDS,
    TRAINING_TEMPLATES,
    UNSEEN_TEMPLATES,
    caption_digits,
    caption_vocabulary,
    digit_caption,
)
from ssl_keras.clip.described_images import (
    EXAMPLE_IMAGES_DIR,
    DescribedImages,
    load_described_images,
    load_example_images,
)
from ssl_keras.clip.mini_clip import MiniCLIP, train_mini_clip
from ssl_keras.clip.word_tokenizer import WordTokenizer

__all__ = [
    "DIGIT_NUMERALS",
    "DIGIT_WORDS",
    "DescribedImages",
    "EXAMPLE_IMAGES_DIR",
    "MiniCLIP",
    "TRAINING_TEMPLATES",
    "UNSEEN_TEMPLATES",
    "WordTokenizer",
    "caption_digits",
    "caption_vocabulary",
    "digit_caption",
    "load_described_images",
    "load_example_images",
    "train_mini_clip",
]
