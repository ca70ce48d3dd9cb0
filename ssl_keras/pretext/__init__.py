"""Pretext tasks: rotation prediction, 2x2 jigsaw and colorization, and the course's comparison.

Each task is a NumPy dataset transform (`rotation_dataset`, `jigsaw_dataset`,
`colorization_dataset`) plus a Keras model around any ssl_keras encoder
(`RotationPrediction`, `JigsawPrediction`, `Colorization`) trained with `compile()` and
`fit()` on every backend; `model.encoder` is the representation to evaluate.
`compare_pretext_tasks` trains the same encoder with each task, SimCLR and labels, and
compares them by linear probe and kNN.

Example:
>>> from ssl_keras import pretext
>>> from ssl_keras.models import small_cnn_encoder
>>> x, y = pretext.rotation_dataset(images)  # doctest: +SKIP
>>> model = pretext.RotationPrediction(small_cnn_encoder())  # doctest: +SKIP
>>> model.compile(optimizer="adam")  # doctest: +SKIP
>>> model.fit(x, y, epochs=10)  # doctest: +SKIP
"""

from ssl_keras.pretext.colorization import (
    LUMA_WEIGHTS,
    Colorization,
    colorization_dataset,
    colorization_loss,
    rgb_to_grayscale,
)
from ssl_keras.pretext.comparison import (
    COURSE_CIFAR10_REFERENCE,
    METHODS,
    compare_pretext_tasks,
    format_comparison_table,
    plot_comparison,
)
from ssl_keras.pretext.jigsaw import (
    JigsawPrediction,
    jigsaw_dataset,
    jigsaw_permutations,
    jigsaw_shuffle,
    jigsaw_unshuffle,
)
from ssl_keras.pretext.rotation import (
    ROTATION_ANGLES,
    RotationPrediction,
    rotate_images,
    rotation_dataset,
)

__all__ = [
    "COURSE_CIFAR10_REFERENCE",
    "Colorization",
    "JigsawPrediction",
    "LUMA_WEIGHTS",
    "METHODS",
    "ROTATION_ANGLES",
    "RotationPrediction",
    "colorization_dataset",
    "colorization_loss",
    "compare_pretext_tasks",
    "format_comparison_table",
    "jigsaw_dataset",
    "jigsaw_permutations",
    "jigsaw_shuffle",
    "jigsaw_unshuffle",
    "plot_comparison",
    "rgb_to_grayscale",
    "rotate_images",
    "rotation_dataset",
]
