"""The mini-CLIP's former home: it is a trainable model and lives in
`ssl_keras.models.mini_clip`; its names stay importable from here."""

from ssl_keras.models.mini_clip import MiniCLIP, train_mini_clip

__all__ = ["MiniCLIP", "train_mini_clip"]
