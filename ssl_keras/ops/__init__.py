"""Backend-agnostic math used throughout ssl_keras."""

from ssl_keras.ops.similarity import (
    cosine_similarity,
    l2_normalize,
    pairwise_cosine_similarity,
)
from ssl_keras.ops.softmax import softmax_with_temperature

__all__ = [
    "cosine_similarity",
    "l2_normalize",
    "pairwise_cosine_similarity",
    "softmax_with_temperature",
]
