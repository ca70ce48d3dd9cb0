"""An offline mini-CLIP: captioned digits, a word tokenizer, and small image/text towers;
one's own described images (or the bundled examples) to try a CLIP on.

`MiniCLIP` and `train_mini_clip` are a trainable model and its training helper: they live
in `ssl_keras.models` with the other models and are reachable here.

Zero-shot classification and retrieval with any encoder pair (this mini-CLIP, a keras-hub
CLIP, a frozen sentence encoder) is `CLIPZeroShotClassifier` (a Python object, not a
trainable model; also reachable as `ssl_keras.models.CLIPZeroShotClassifier`).
"""

from ssl_keras._lazy import lazy_attributes
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
from ssl_keras.clip.word_tokenizer import WordTokenizer
from ssl_keras.clip.zero_shot import CLIPZeroShotClassifier, keras_hub_clip_encoders

# The mini-CLIP is a trainable model, at home in `ssl_keras.models`; its names are also
# reachable here, looked up on first use (it imports this package's tokenizer, so an import
# at the top would be circular).
__getattr__ = lazy_attributes(__name__, {
    name: "ssl_keras.models.mini_clip" for name in ("MiniCLIP", "train_mini_clip")
})

__all__ = [
    "CLIPZeroShotClassifier",
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
    "keras_hub_clip_encoders",
    "load_described_images",
    "load_example_images",
    "train_mini_clip",
]
