"""An offline mini-CLIP: captioned digits, a word tokenizer, and small image/text towers.

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
from ssl_keras.clip.mini_clip import MiniCLIP, train_mini_clip
from ssl_keras.clip.word_tokenizer import WordTokenizer

__all__ = [
    "DIGIT_NUMERALS",
    "DIGIT_WORDS",
    "MiniCLIP",
    "TRAINING_TEMPLATES",
    "UNSEEN_TEMPLATES",
    "WordTokenizer",
    "caption_digits",
    "caption_vocabulary",
    "digit_caption",
    "train_mini_clip",
]
