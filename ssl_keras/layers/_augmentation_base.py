"""Plumbing shared by the ssl_keras augmentation layers (private module).

Every augmentation layer in `ssl_keras.layers`:

- takes images of shape `(batch, height, width, channels)` (or one unbatched image of
  shape `(height, width, channels)`), channels last, integer or float, with values in
  `value_range` (default `(0, 255)`, like `keras.datasets` and Keras's preprocessing
  layers);
- draws its randomness per image from its own `keras.random.SeedGenerator(seed)`;
- computes in float32 whatever the input dtype and returns the layer's compute dtype
  (float32, or float16/bfloat16 under a mixed-precision policy), with values kept
  inside `value_range`;
- is the identity at inference (`training=False`), except that it still casts to the
  compute dtype (and `RandomResizedCrop` still resizes to its output size);
- raises `ValueError` for images whose rank is not 3 or 4 (with the shape in the
  message), whether NumPy arrays, backend tensors or symbolic inputs;
- checks the *values* of NumPy inputs only (arrays and nested lists), in `__call__`,
  before Keras converts them to tensors: a value outside `value_range`, or a NaN,
  raises a `ValueError` that gives the range found. Backend tensors, and everything
  inside `model.fit`/`predict` or a jitted function, are not value-checked (that would
  need a Python `if` on tensor values); there, out-of-range values are clipped into
  `value_range` by the layers that clip (colour jitter, grayscale, blur, crop).

The layers are written with `keras.ops` only, to run inside the model on the
accelerator and jit-compile on every backend; they are not meant for a `tf.data`
pipeline (unlike Keras's preprocessing layers) except on the tensorflow backend.
"""


import keras
import numpy as np
from keras import ops

# ITU-R 601-2 luma weights, the ones torchvision's `rgb_to_grayscale` (and Keras's) use.
LUMA_WEIGHTS = (0.2989, 0.587, 0.114)






def check_value_range(value_range) -> tuple:
    """Returns `value_range` as a `(low, high)` tuple of floats with `low < high`."""
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(
            "`value_range` should be a tuple of two numbers (low, high). "
            f"Received: value_range={value_range!r}"
        ) from None
    if not low < high:
        raise ValueError(
            f"`value_range` should satisfy low < high. Received: value_range={value_range!r}"
        )
    return (low, high)


def check_images_rank(images, layer_name: str) -> int:
    """Returns the rank of `images` (a tensor, an array or a shape tuple), or raises if it
    is neither 3 nor 4."""
    shape = tuple(images.shape) if hasattr(images, "shape") else tuple(images)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{layer_name} expects images of rank 4 (batch, height, width, channels) or rank 3 "
            f"(height, width, channels). Received: images.shape={shape}"
        )
    return len(shape)


def check_numpy_images(images, value_range: tuple, layer_name: str) -> None:
    """Validates images given as NumPy arrays (or nested lists) before conversion.

    Backend tensors are not inspected: checking their values would need a Python `if`
    on tensor values, which is impossible inside a traced or jit-compiled function.

    Raises:
        ValueError: if the array is not of rank 3 or 4, or has a value outside
            `value_range` (or a NaN).
    """
    if not isinstance(images, (np.ndarray, list)):
        return
    array = np.asarray(images)
    check_images_rank(array, layer_name)
    if array.size == 0 or array.dtype == bool:
        return
    low, high = value_range
    smallest, largest = float(np.min(array)), float(np.max(array))
    if not (low <= smallest and largest <= high):
        hint = ""
        if largest <= 1.0 and high > 1.0:
            hint = " (images in [0, 1]? pass value_range=(0, 1))"
        raise ValueError(
            f"{layer_name} expects images with values in value_range={value_range}{hint}. "
            f"Received: images with values in [{smallest}, {largest}] "
            f"(images.shape={array.shape})"
        )


def grayscale(images):
    """Luma of `(batch, height, width, channels)` float images as `(batch, h, w, 1)`.

    One-channel images are returned unchanged, as torchvision's `rgb_to_grayscale` does.
    """
    if images.shape[-1] == 1:
        return images
    red, green, blue = LUMA_WEIGHTS
    return red * images[..., 0:1] + green * images[..., 1:2] + blue * images[..., 2:3]


def check_color_channels(images, layer_name: str) -> None:
    channels = images.shape[-1]
    if channels is not None and channels not in (1, 3):
        raise ValueError(
            f"{layer_name} expects RGB (3 channels) or grayscale (1 channel) images. "
            f"Received: images.shape={tuple(images.shape)}"
        )


def per_image_mask(seed_generator, batch_size, probability: float, rank: int = 4):
    """Boolean tensor of shape `(batch, 1, ..., 1)`, True with `probability` per image."""
    shape = (batch_size,) + (1,) * (rank - 1)
    return keras.random.uniform(shape, seed=seed_generator) < probability


class AugmentationLayer(keras.layers.Layer):
    """Base class of the ssl_keras image augmentation layers (not part of the API).

    Subclasses implement `_augment_batch(images)` on a float32 batch of shape
    `(batch, height, width, channels)` whose values lie in `self.value_range`; they may
    override `_inference_batch(images)` (identity by default) and
    `output_spatial_size(height, width)`.

    Args:
        value_range: `(low, high)` range of the input values; outputs stay inside it.
        seed: integer seed of the layer's `keras.random.SeedGenerator`, or `None`.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.
    """

    def __init__(self, value_range=(0, 255), seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(value_range)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def __call__(self, images, *args, **kwargs):
        # NumPy inputs are checked here, before `Layer.__call__` converts them to backend
        # tensors: a rank or value-range error is raised eagerly with the offending
        # values. Backend tensors (as inside `model.fit` or a jitted function) are only
        # rank-checked, in `call` (see the module docstring).
        check_numpy_images(images, self.value_range, self.__class__.__name__)
        return super().__call__(images, *args, **kwargs)

    def call(self, images, training=True):
        images, single = self._float32_batch(images)
        if training:
            outputs = self._augment_batch(images)
        else:
            outputs = self._inference_batch(images)
        return self._layer_output(outputs, single)

    def _float32_batch(self, images):
        """`(batch, single)`: `images` rank-checked, as float32, batched if one image."""
        single = check_images_rank(images, self.__class__.__name__) == 3
        images = ops.cast(images, "float32")
        return (ops.expand_dims(images, 0) if single else images), single

    def _layer_output(self, outputs, single: bool):
        """`outputs` of `_float32_batch`'s batch, unbatched if `single`, in the compute dtype."""
        if single:
            outputs = ops.squeeze(outputs, 0)
        return ops.cast(outputs, self.compute_dtype)

    def _augment_batch(self, images):
        raise NotImplementedError

    def _static_size(self, images):
        """`(height, width)` of a batch, which must be known statically."""
        height, width = images.shape[1], images.shape[2]
        if height is None or width is None:
            raise ValueError(
                f"{type(self).__name__} needs images whose height and width are known "
                f"statically. Received: images.shape={tuple(images.shape)}"
            )
        return int(height), int(width)

    def _inference_batch(self, images):
        return images

    def output_spatial_size(self, height, width):
        return height, width

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        check_images_rank(input_shape, self.__class__.__name__)
        height, width = self.output_spatial_size(input_shape[-3], input_shape[-2])
        return input_shape[:-3] + (height, width, input_shape[-1])

    def clip(self, images):
        low, high = self.value_range
        return ops.clip(images, low, high)

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "seed": self.seed})
        return config
