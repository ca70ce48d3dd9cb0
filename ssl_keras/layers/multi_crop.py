"""SwAV/DINO multi-crop: two global views and several small local views of each image."""

import keras
from keras import ops

from ssl_keras.layers._augmentation_base import (
    AugmentationLayer,
    check_images_rank,
    check_numpy_images,
)
from ssl_keras.layers.simclr_augmentation import SUB_SEED_SPACING, SimCLRAugmentation
from ssl_keras.validation import (
    check_interval,
    check_positive_int,
)

# The local pipeline's seed is `seed + LOCAL_SEED_OFFSET * SUB_SEED_SPACING`: far from
# the global pipeline's sub-layers, which use offsets 1-6 (see SimCLRAugmentation).
LOCAL_SEED_OFFSET = 10


@keras.saving.register_keras_serializable(package="ssl_keras")
class MultiCropAugmentation(AugmentationLayer):
    """Draws `num_global_crops` large and `num_local_crops` small views of each image.

    Each global view is a `RandomResizedCrop` of area fraction in `global_scale`
    resized to `global_size`, each local view one of area fraction in `local_scale`
    resized to `local_size`; every crop is followed by SimCLR's colour augmentation
    (horizontal flip, colour jitter applied with probability 0.8, grayscale with
    probability 0.2, and with `blur` a Gaussian blur). The pipelines are two
    `SimCLRAugmentation` layers (`global_augmentation`, `local_augmentation`) with the
    crop settings above; every image of every view draws its own crop, flip and
    colours (the views of one resolution come from one pass over the batch repeated).

    `call(images, training=True)` returns a tuple of `num_global_crops +
    num_local_crops` tensors, the global views first: `(batch, *global_size, C)` then
    `(batch, *local_size, C)`. With `training=False` every view is the central crop of
    the image resized to its view's size (no randomness).

    Departures from the papers: the colour augmentation is SimCLR's (this package's
    `SimCLRAugmentation`) for every view. DINO's asymmetric recipe (blur with
    probability 1.0 on the first global view, 0.1 plus solarization 0.2 on the second,
    0.5 on local views) and SwAV's per-resolution scales are not reproduced beyond the
    arguments here. Defaults are DINO's (`global_scale=(0.4, 1.0)`,
    `local_scale=(0.05, 0.4)`, 224 and 96 pixels) with SwAV's 6 local crops (DINO uses
    8): pass `global_size=32, local_size=16` or so for CIFAR-sized images.

    Args:
        global_size: `int` or `(height, width)` of the global views. Defaults to 224.
        local_size: `int` or `(height, width)` of the local views. Defaults to 96.
        num_global_crops: number of global views, >= 1. Defaults to 2.
        num_local_crops: number of local views, >= 0. Defaults to 6.
        global_scale: `(min, max)` area fraction of the global crops. Defaults to
            `(0.4, 1.0)`.
        local_scale: `(min, max)` area fraction of the local crops. Defaults to
            `(0.05, 0.4)`.
        crop_ratio: `(min, max)` aspect ratio of every crop. Defaults to `(3/4, 4/3)`.
        preset: `"cifar"` or `"imagenet"`: the colour-strength and blur defaults of
            `SimCLRAugmentation`. Defaults to `"imagenet"` (the setting of SwAV and
            DINO).
        horizontal_flip_probability: as in `SimCLRAugmentation`. Defaults to 0.5.
        color_jitter_strength: as in `SimCLRAugmentation`; `None` for the preset's.
        color_jitter_probability: as in `SimCLRAugmentation`. Defaults to 0.8.
        grayscale_probability: as in `SimCLRAugmentation`. Defaults to 0.2.
        blur: as in `SimCLRAugmentation`; `None` for the preset's.
        blur_probability: as in `SimCLRAugmentation`. Defaults to 0.5.
        value_range: `(low, high)` range of the input values. Defaults to `(0, 255)`.
        seed: integer seed, or `None`. The global pipeline is seeded with `seed`, the
            local one with `seed + 10 * 1000003` (mod 2**31).
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, H, W, C)` (or unbatched `(H, W, C)`), static `H` and `W`, values in
        `value_range`.

    Output shape:
        A tuple of `num_global_crops` tensors `(batch, *global_size, C)` followed by
        `num_local_crops` tensors `(batch, *local_size, C)`, in the compute dtype.

    Raises:
        ValueError: at construction for a size, count or scale out of range, or an
            invalid colour argument (see `SimCLRAugmentation`); when called, for images
            not of rank 3 or 4, or (NumPy inputs only) values outside `value_range`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, size=(4, 32, 32, 3)).astype("uint8")
    >>> multi_crop = MultiCropAugmentation(global_size=32, local_size=16, seed=0)
    >>> views = multi_crop(images)  # 2 x (4, 32, 32, 3), then 6 x (4, 16, 16, 3)

    Reference:
        - [Caron et al., 2020, SwAV](https://arxiv.org/abs/2006.09882), Sec. 3.2:
          "we use two standard resolution crops and sample V additional low resolution
          crops that cover only small parts of the image".
        - [Caron et al., 2021, DINO](https://arxiv.org/abs/2104.14294), Sec. 3.1: "two
          global views [...] and several local views of smaller resolution"; "global
          views at resolution 224^2 covering a large (for example greater than 50%)
          area of the original image, and several local views of resolution 96^2
          covering only small areas (for example less than 50%)"; `main_dino.py`:
          `global_crops_scale=(0.4, 1.0)`, `local_crops_scale=(0.05, 0.4)`.
    """

    def __init__(
        self,
        global_size=224,
        local_size=96,
        num_global_crops: int = 2,
        num_local_crops: int = 6,
        global_scale: tuple = (0.4, 1.0),
        local_scale: tuple = (0.05, 0.4),
        crop_ratio: tuple = (3.0 / 4.0, 4.0 / 3.0),
        preset: str = "imagenet",
        horizontal_flip_probability: float = 0.5,
        color_jitter_strength: float | None = None,
        color_jitter_probability: float = 0.8,
        grayscale_probability: float = 0.2,
        blur: bool | None = None,
        blur_probability: float = 0.5,
        value_range: tuple = (0, 255),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.global_size = _check_size(global_size, "global_size")
        self.local_size = _check_size(local_size, "local_size")
        self.num_global_crops = check_positive_int(num_global_crops, "num_global_crops")
        if not (isinstance(num_local_crops, int) and not isinstance(num_local_crops, bool)
                and num_local_crops >= 0):
            raise ValueError(
                "`num_local_crops` should be a non-negative integer. "
                f"Received: num_local_crops={num_local_crops!r}"
            )
        self.num_local_crops = num_local_crops
        self.global_scale = check_interval(global_scale, "global_scale", high=1.0)
        self.local_scale = check_interval(local_scale, "local_scale", high=1.0)
        self.crop_ratio = check_interval(crop_ratio, "crop_ratio")
        self.preset = preset
        self.horizontal_flip_probability = horizontal_flip_probability
        self.color_jitter_strength = color_jitter_strength
        self.color_jitter_probability = color_jitter_probability
        self.grayscale_probability = grayscale_probability
        self.blur = blur
        self.blur_probability = blur_probability

        colour = {
            "preset": preset,
            "crop_ratio": self.crop_ratio,
            "horizontal_flip_probability": horizontal_flip_probability,
            "color_jitter_strength": color_jitter_strength,
            "color_jitter_probability": color_jitter_probability,
            "grayscale_probability": grayscale_probability,
            "blur": blur,
            "blur_probability": blur_probability,
            "value_range": self.value_range,
            "dtype": "float32",
        }
        local_seed = None if seed is None else (seed + LOCAL_SEED_OFFSET * SUB_SEED_SPACING) % 2**31
        self.global_augmentation = SimCLRAugmentation(
            height=self.global_size[0], width=self.global_size[1],
            crop_scale=self.global_scale, seed=seed, **colour,
        )
        self.local_augmentation = SimCLRAugmentation(
            height=self.local_size[0], width=self.local_size[1],
            crop_scale=self.local_scale, seed=local_seed, **colour,
        )

    def build(self, input_shape):
        self.global_augmentation.build(input_shape)
        self.local_augmentation.build(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        check_images_rank(input_shape, self.__class__.__name__)
        prefix, channels = input_shape[:-3], input_shape[-1]
        global_shape = prefix + self.global_size + (channels,)
        local_shape = prefix + self.local_size + (channels,)
        return (global_shape,) * self.num_global_crops + (local_shape,) * self.num_local_crops

    def __call__(self, images, *args, **kwargs):
        check_numpy_images(images, self.value_range, self.__class__.__name__)
        return keras.layers.Layer.__call__(self, images, *args, **kwargs)

    def call(self, images, training=True):
        images, single = self._float32_batch(images)
        views = self._views(self.global_augmentation, images, self.num_global_crops, training)
        views += self._views(self.local_augmentation, images, self.num_local_crops, training)
        return tuple(self._layer_output(view, single) for view in views)

    @staticmethod
    def _views(augmentation, images, count: int, training) -> list:
        if count == 0:
            return []
        if not training:
            return [augmentation.crop(images, training=False)] * count
        # One pass over the batch repeated `count` times: independent draws per image
        # and per view.
        batch_size = ops.shape(images)[0]
        repeated = ops.concatenate([images] * count, axis=0) if count > 1 else images
        views = augmentation.augment(repeated)
        return [views[i * batch_size : (i + 1) * batch_size] for i in range(count)]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "global_size": self.global_size,
                "local_size": self.local_size,
                "num_global_crops": self.num_global_crops,
                "num_local_crops": self.num_local_crops,
                "global_scale": self.global_scale,
                "local_scale": self.local_scale,
                "crop_ratio": self.crop_ratio,
                "preset": self.preset,
                "horizontal_flip_probability": self.horizontal_flip_probability,
                "color_jitter_strength": self.color_jitter_strength,
                "color_jitter_probability": self.color_jitter_probability,
                "grayscale_probability": self.grayscale_probability,
                "blur": self.blur,
                "blur_probability": self.blur_probability,
            }
        )
        return config


def _check_size(size, name: str) -> tuple:
    """Returns `size` (an int or a pair of ints) as a `(height, width)` tuple."""
    pair = (size, size) if isinstance(size, int) and not isinstance(size, bool) else size
    try:
        height, width = pair
        valid = all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in pair)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(
            f"`{name}` should be a positive integer or a tuple (height, width) of positive "
            f"integers. Received: {name}={size!r}"
        )
    return (int(height), int(width))
