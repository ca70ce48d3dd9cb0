"""A pretext task of your own: a batch function, its targets' spec, and the model it trains."""

import keras
import numpy as np
from keras import ops

from ssl_keras.models.pretext_model import (
    PretextClassification,
    PretextRegression,
    pretext_regression_loss,
)
from ssl_keras.pretext._base import check_images
from ssl_keras.validation import is_positive_int

__all__ = [
    "PIXEL_RANGE",
    "PretextClassification",  # the models and the loss, at home in ssl_keras.models
    "PretextRegression",
    "PretextTask",
    "pretext_regression_loss",
]

# The value range of the images every ssl_keras encoder takes (it starts with Rescaling(1/255)).
PIXEL_RANGE = (0.0, 255.0)


class PretextTask:
    """A pretext task given by its batch function, trained and compared like the built-in ones.

    "Come up with a simple pretext task yourself [...]. Your program can change anything
    about the image and use information about that change to create a label." A pretext
    task is a function of a batch of images (and a seed for its random draws) that returns
    `(inputs, targets)`: what the encoder sees and what a head on its features must
    predict, computed from the images alone. `PretextTask` holds that function with what
    the training needs to know about its targets:

    - `num_classes=K`: the targets are class labels, integers in `[0, K)`; the model is
      `PretextClassification` (the encoder, then `Dense(K)`, softmax cross-entropy), as
      `RotationPrediction` (4 classes) and `JigsawPrediction` (24).
    - `target_shape=S`: the targets are real numbers of shape `S` per example (`()` for
      one number); the model is `PretextRegression` (the encoder, then a linear layer to
      `prod(S)` outputs, mean squared error). Scale them to about `[0, 1]` (pixels divided
      by 255), as `colorization_loss` measures its error.

    Calling the task, `task(images, seed)`, runs the batch function and checks what it
    returned: one example per image (`inputs` of the images' shape, values in `[0, 255]`,
    uint8 or float32, as the encoders take them) and targets as the spec says. It does not
    check that the targets come from the images alone, nor that the same seed gives the
    same batch: that is the author's part. `compare_pretext_tasks(custom_tasks=[task])`
    trains the same encoder on it, with the same budget as the built-in tasks, and adds
    its row (named `name`) to the comparison.

    Args:
        name: the task's name, a short non-empty string (its row in the comparison).
        batch_function: a function `(images, seed) -> (inputs, targets)`: `images` a
            NumPy array `(N, height, width, channels)` in `[0, 255]`, `seed` an integer
            from which to draw any randomness (e.g. `np.random.default_rng(seed)`).
        num_classes: the number of classes (>= 2) of classification targets.
        target_shape: the shape of one regression target (a tuple of positive integers,
            `()` for a number). Give exactly one of `num_classes` and `target_shape`.

    Raises:
        ValueError: if `name` is not a non-empty string, `batch_function` is not callable,
            or not exactly one of `num_classes` (an integer >= 2) and `target_shape` (a
            tuple of positive integers) is given.

    Example:
    >>> import numpy as np
    >>> def flip_batch(images, seed):
    ...     flipped = np.random.default_rng(seed).integers(0, 2, size=len(images))
    ...     inputs = np.where(flipped[:, None, None, None] == 1, images[:, :, ::-1], images)
    ...     return inputs, flipped
    >>> task = PretextTask("flip", flip_batch, num_classes=2)
    >>> images = np.random.randint(0, 256, (5, 8, 8, 3)).astype("uint8")
    >>> inputs, targets = task(images, seed=0)
    >>> inputs.shape, targets.dtype.name
    ((5, 8, 8, 3), 'int32')
    """

    def __init__(self, name: str, batch_function, num_classes: int | None = None,
                 target_shape: tuple | None = None):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"`name` should be a non-empty string. Received: name={name!r}")
        if not callable(batch_function):
            raise ValueError("`batch_function` should be a function (images, seed) -> "
                             f"(inputs, targets). Received: batch_function={batch_function!r}")
        if (num_classes is None) == (target_shape is None):
            raise ValueError(
                "Give exactly one of `num_classes` (class labels) and `target_shape` "
                f"(a regression). Received: num_classes={num_classes!r}, "
                f"target_shape={target_shape!r}"
            )
        if num_classes is not None and not (is_positive_int(num_classes) and num_classes >= 2):
            raise ValueError(
                f"`num_classes` should be an integer >= 2. Received: num_classes={num_classes!r}"
            )
        if target_shape is not None:
            if not isinstance(target_shape, (tuple, list)) or not all(
                is_positive_int(size) for size in target_shape
            ):
                raise ValueError(
                    "`target_shape` should be a tuple of positive integers (`()` for one "
                    f"number). Received: target_shape={target_shape!r}"
                )
            target_shape = tuple(int(size) for size in target_shape)
        self.name = name
        self.batch_function = batch_function
        self.num_classes = None if num_classes is None else int(num_classes)
        self.target_shape = target_shape

    @property
    def is_classification(self) -> bool:
        return self.num_classes is not None

    @property
    def metric_name(self) -> str:
        """What the comparison reports of its training: accuracy or MSE on the targets."""
        return "pretext accuracy" if self.is_classification else "pretext MSE"

    def __repr__(self):
        spec = (f"num_classes={self.num_classes}" if self.is_classification
                else f"target_shape={self.target_shape}")
        function = getattr(self.batch_function, "__name__", "?")
        return f"PretextTask({self.name!r}, {function}, {spec})"

    def __call__(self, images, seed: int | None = None):
        """Runs the batch function on `images` and checks its result.

        Args:
            images: array `(N, height, width, channels)`, values in `[0, 255]`.
            seed: the integer passed to the batch function.

        Returns:
            `(inputs, targets)`: NumPy arrays, `inputs` as returned (uint8 or float32, the
            shape of `images`), `targets` int32 `(N,)` or float32 `(N,) + target_shape`.

        Raises:
            ValueError: if the batch function did not return such a pair.
        """
        images = check_images(images)
        result = self.batch_function(images, seed)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError(
                f"The batch function of {self.name!r} should return a pair (inputs, "
                f"targets). Received: {type(result).__name__}"
            )
        inputs, targets = (np.asarray(ops.convert_to_numpy(part)) for part in result)
        where = f"The batch function of {self.name!r}"
        if inputs.shape != images.shape:
            raise ValueError(
                f"{where} should return inputs of the images' shape {images.shape} (one "
                f"example per image). Received: inputs.shape={inputs.shape}"
            )
        if inputs.dtype not in (np.uint8, np.float32):
            raise ValueError(
                f"{where} should return uint8 or float32 inputs, as the encoders take. "
                f"Received: inputs.dtype={inputs.dtype}"
            )
        low, high = PIXEL_RANGE
        if inputs.size and not (np.all(np.isfinite(inputs)) and inputs.min() >= low
                                and inputs.max() <= high):
            raise ValueError(
                f"{where} should return inputs with values in [0, 255], as the images. "
                f"Received values in [{inputs.min()}, {inputs.max()}]"
            )
        if self.is_classification:
            expected = (len(images),)
            if targets.shape != expected or not np.issubdtype(targets.dtype, np.integer):
                raise ValueError(
                    f"{where} should return one integer class label per image, shape "
                    f"{expected}. Received: targets.shape={targets.shape}, "
                    f"dtype={targets.dtype}"
                )
            if targets.size and (targets.min() < 0 or targets.max() >= self.num_classes):
                raise ValueError(
                    f"{where} should return labels in [0, {self.num_classes}) (num_classes="
                    f"{self.num_classes}). Received labels in [{targets.min()}, "
                    f"{targets.max()}]"
                )
            return inputs, targets.astype("int32")
        expected = (len(images),) + self.target_shape
        if targets.shape != expected or not np.issubdtype(targets.dtype, np.floating):
            raise ValueError(
                f"{where} should return float targets of shape {expected} (target_shape="
                f"{self.target_shape} per image). Received: targets.shape={targets.shape}, "
                f"dtype={targets.dtype}"
            )
        if not np.all(np.isfinite(targets)):
            raise ValueError(f"{where} returned NaN or infinite targets")
        return inputs, targets.astype("float32")

    def build_model(self, encoder) -> keras.Model:
        """The model that trains `encoder` on this task: `PretextClassification(encoder,
        num_classes)` or `PretextRegression(encoder, target_shape)`."""
        if self.is_classification:
            return PretextClassification(encoder, self.num_classes)
        return PretextRegression(encoder, self.target_shape)
