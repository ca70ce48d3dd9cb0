"""Pretext tasks: rotation prediction, 2x2 jigsaw and colorization, and the course's comparison.

Each task is a NumPy dataset transform (`rotation_dataset`, `jigsaw_dataset`,
`colorization_dataset`), here, plus a Keras model around any ssl_keras encoder
(`RotationPrediction`, `JigsawPrediction`, `Colorization`) trained with `compile()` and
`fit()` on every backend; `model.encoder` is the representation to evaluate. The models
live in `ssl_keras.models` with the package's other trainable models and are reachable
here. A task of your own is a `PretextTask`: a batch function
`(images, seed) -> (inputs, targets)` with its number of classes
(`PretextClassification`) or its target shape (`PretextRegression`).
`compare_pretext_tasks` (the job of `ssl_keras.experiments.pretext_comparison`, also
reachable here) trains the same encoder with each task (yours too: `custom_tasks`),
SimCLR and labels, and compares them by linear probe and kNN.

Example:
>>> from ssl_keras import pretext
>>> from ssl_keras.models import small_cnn_encoder
>>> x, y = pretext.rotation_dataset(images)  # doctest: +SKIP
>>> model = pretext.RotationPrediction(small_cnn_encoder())  # doctest: +SKIP
>>> model.compile(optimizer="adam")  # doctest: +SKIP
>>> model.fit(x, y, epochs=10)  # doctest: +SKIP
"""

from ssl_keras._lazy import lazy_attributes
from ssl_keras.pretext.colorization import (
    LUMA_WEIGHTS,
    Colorization,
    colorization_dataset,
    colorization_loss,
    rgb_to_grayscale,
)
from ssl_keras.pretext.jigsaw import (
    JigsawPrediction,
    jigsaw_dataset,
    jigsaw_permutations,
    jigsaw_shuffle,
    jigsaw_unshuffle,
)
from ssl_keras.pretext.pretext_task import (
    PretextClassification,
    PretextRegression,
    PretextTask,
    pretext_regression_loss,
)
from ssl_keras.pretext.rotation import (
    ROTATION_ANGLES,
    RotationPrediction,
    rotate_images,
    rotation_dataset,
)

# The comparison is an experiment job whose home is `ssl_keras.experiments`; its names are
# also reachable here, looked up on first use (the job imports the tasks above, so an
# import at the top would be circular).
__getattr__ = lazy_attributes(__name__, {
    name: "ssl_keras.experiments.pretext_comparison"
    for name in ("COURSE_CIFAR10_REFERENCE", "METHODS", "compare_pretext_tasks",
                 "format_comparison_table", "plot_comparison")
})

__all__ = [
    "COURSE_CIFAR10_REFERENCE",
    "Colorization",
    "JigsawPrediction",
    "LUMA_WEIGHTS",
    "METHODS",
    "PretextClassification",
    "PretextRegression",
    "PretextTask",
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
    "pretext_regression_loss",
    "rgb_to_grayscale",
    "rotate_images",
    "rotation_dataset",
]
