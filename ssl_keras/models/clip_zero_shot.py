"""The CLIP zero-shot classifier's former home: it is not a trainable model and lives
beside the rest of CLIP, in `ssl_keras.clip.zero_shot`; its names stay importable here."""

from ssl_keras.clip.zero_shot import (
    DEFAULT_LOGIT_SCALE,
    DEFAULT_TEMPLATES,
    CLIPZeroShotClassifier,
    keras_hub_clip_encoders,
)

__all__ = [
    "CLIPZeroShotClassifier",
    "DEFAULT_LOGIT_SCALE",
    "DEFAULT_TEMPLATES",
    "keras_hub_clip_encoders",
]
