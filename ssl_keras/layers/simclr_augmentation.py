"""SimCLR's stochastic data augmentation: two independent views of each image."""

import keras
from keras import ops

from ssl_keras.layers._augmentation_base import (
    AugmentationLayer,
    check_numpy_images,
)
from ssl_keras.layers.random_apply import RandomApply
from ssl_keras.layers.random_color_jitter import RandomColorJitter
from ssl_keras.layers.random_gaussian_blur import RandomGaussianBlur
from ssl_keras.layers.random_grayscale import RandomGrayscale
from ssl_keras.layers.random_horizontal_flip import RandomHorizontalFlip
from ssl_keras.layers.random_resized_crop import RandomResizedCrop
from ssl_keras.validation import (
    check_interval,
    check_probability,
)

# Sub-layer `i` is seeded with `seed + i * SUB_SEED_SPACING` (mod 2**31).
SUB_SEED_SPACING = 1_000_003

# Settings of SimCLR's two image regimes (appendix A and B.9 of the paper).
PRESETS = {
    "cifar": {"color_jitter_strength": 0.5, "blur": False},
    "imagenet": {"color_jitter_strength": 1.0, "blur": True},
}


@keras.saving.register_keras_serializable(package="ssl_keras")
class SimCLRAugmentation(AugmentationLayer):
    """Draws two independent SimCLR augmentations `t(x)`, `t'(x)` of each image.

    The pipeline, in SimCLR's order, each step drawn per image:

    1. `RandomResizedCrop(height, width, scale=crop_scale, ratio=crop_ratio)`;
    2. `RandomHorizontalFlip(horizontal_flip_probability)` (0.5);
    3. `RandomApply(RandomColorJitter(color_jitter_strength), color_jitter_probability)`
       (0.8; brightness/contrast/saturation `0.8 s`, hue `0.2 s`, random order);
    4. `RandomGrayscale(grayscale_probability)` (0.2);
    5. if `blur`: `RandomGaussianBlur(probability=blur_probability)` (0.5, sigma in
       [0.1, 2.0], kernel 10% of the image side).

    Presets: `"cifar"` (SimCLR's CIFAR-10 setting: `s = 0.5`, no blur) and
    `"imagenet"` (`s = 1.0`, blur); `color_jitter_strength` and `blur` override the
    preset when given. The two views come from one pass over the batch concatenated
    with itself, so the randomness of every image and of each view is independent.

    Each step is an ssl_keras layer rather than its `keras.layers` namesake; the
    docstring of each says why (per-image parameters, torchvision semantics, no
    affine-transform op, jit on every backend).

    `call(images, training=True)` returns `(view_a, view_b)`; with `training=False` both
    views are the input itself, cast to float (and resized to `(height, width)` by a
    central crop if that differs from the input size). `augment(images)` returns a
    single augmented view.

    Departures from the paper: none in the distribution of a view beyond the choices of
    the building blocks. The colour operations follow torchvision's definitions (the
    paper's PyTorch pseudo-code in appendix A), not the `tf.image` ops of the official
    TensorFlow code (which uses the per-channel mean for contrast and HSV scaling for
    saturation); the blur pads by reflection as torchvision does (the TensorFlow code
    pads with zeros). Outputs keep the input's `value_range` instead of being rescaled
    to [0, 1]: ssl_keras encoders start with `Rescaling(1/255)`.

    Args:
        preset: `"cifar"` or `"imagenet"`. Defaults to `"cifar"`.
        height: output height, or `None` to keep the input height.
        width: output width, or `None` to keep the input width.
        crop_scale: `(min, max)` area fraction of the random crop. Defaults to
            `(0.08, 1.0)`.
        crop_ratio: `(min, max)` aspect ratio of the random crop. Defaults to
            `(3/4, 4/3)`.
        horizontal_flip_probability: probability of a left-right flip. Defaults to 0.5.
        color_jitter_strength: colour distortion strength `s`, or `None` for the
            preset's (0.5 cifar, 1.0 imagenet).
        color_jitter_probability: probability of applying the colour jitter. Defaults to
            0.8.
        grayscale_probability: probability of converting to grayscale. Defaults to 0.2.
        blur: whether to add the Gaussian blur, or `None` for the preset's (False cifar,
            True imagenet).
        blur_probability: probability of blurring when `blur`. Defaults to 0.5.
        value_range: `(low, high)` range of the input values; outputs stay inside it.
            Defaults to `(0, 255)`.
        seed: integer seed, or `None`. Sub-layer `i` gets `seed + i * 1000003`
            (mod 2**31), so the sub-layers draw independent streams on every backend.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, H, W, 3)` (or `(batch, H, W, 1)`, or unbatched), static `H` and `W`,
        any numeric dtype, values in `value_range`.

    Output shape:
        A tuple of two tensors `(batch, height, width, channels)` in the layer's compute
        dtype (float32 by default).

    Raises:
        ValueError: at construction for an unknown preset or an invalid argument (see
            the sub-layers); when called, if the images are not of rank 3 or 4, or
            (NumPy inputs only) hold a value outside `value_range`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, size=(8, 32, 32, 3)).astype("uint8")
    >>> augmentation = SimCLRAugmentation(preset="cifar", seed=0)
    >>> view_a, view_b = augmentation(images)  # two (8, 32, 32, 3) float32 batches
    >>> single_view = augmentation.augment(images)

    Reference:
        Chen et al., 2020, "A Simple Framework for Contrastive Learning of Visual
        Representations": "we sequentially apply three simple augmentations: random
        cropping followed by resize back to the original size, random color
        distortions, and random Gaussian blur"; appendix B.9: on CIFAR-10 "we use the
        same set of augmentations as for ImageNet [...] except that we do not use
        Gaussian blur", colour distortion strength 0.5.
    """

    def __init__(
        self,
        preset: str = "cifar",
        height: int | None = None,
        width: int | None = None,
        crop_scale: tuple = (0.08, 1.0),
        crop_ratio: tuple = (3.0 / 4.0, 4.0 / 3.0),
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
        if preset not in PRESETS:
            raise ValueError(
                f"`preset` should be one of {sorted(PRESETS)}. Received: preset={preset!r}"
            )
        settings = PRESETS[preset]
        self.preset = preset
        self.height = height
        self.width = width
        self.crop_scale = check_interval(crop_scale, "crop_scale", high=1.0)
        self.crop_ratio = check_interval(crop_ratio, "crop_ratio")
        self.horizontal_flip_probability = check_probability(
            horizontal_flip_probability, "horizontal_flip_probability"
        )
        if color_jitter_strength is None:
            color_jitter_strength = settings["color_jitter_strength"]
        self.color_jitter_strength = color_jitter_strength
        self.color_jitter_probability = check_probability(
            color_jitter_probability, "color_jitter_probability"
        )
        self.grayscale_probability = check_probability(
            grayscale_probability, "grayscale_probability"
        )
        self.blur = settings["blur"] if blur is None else bool(blur)
        self.blur_probability = check_probability(blur_probability, "blur_probability")

        def sub_seed(offset):
            # Far-apart seeds: the torch backend seeds a generator with the *sum* of a
            # SeedGenerator's (seed, counter) state, so close seeds would share streams.
            return None if seed is None else (seed + offset * SUB_SEED_SPACING) % 2**31

        # The pipeline computes in float32 (no rounding to a 16-bit compute dtype between
        # steps); `call` casts the two views to this layer's compute dtype at the end.
        common = {"value_range": self.value_range, "dtype": "float32"}
        self.crop = RandomResizedCrop(
            height, width, scale=self.crop_scale, ratio=self.crop_ratio,
            seed=sub_seed(1), **common,
        )
        self.flip = RandomHorizontalFlip(
            self.horizontal_flip_probability, seed=sub_seed(2), **common
        )
        self.color_jitter = RandomApply(
            RandomColorJitter(color_jitter_strength, seed=sub_seed(3), **common),
            probability=self.color_jitter_probability,
            seed=sub_seed(4),
            dtype="float32",
        )
        self.grayscale = RandomGrayscale(self.grayscale_probability, seed=sub_seed(5), **common)
        self.gaussian_blur = (
            RandomGaussianBlur(probability=self.blur_probability, seed=sub_seed(6), **common)
            if self.blur
            else None
        )

    def build(self, input_shape):
        self.crop.build(input_shape)
        shape = self.crop.compute_output_shape(input_shape)
        for layer in (self.flip, self.color_jitter, self.grayscale, self.gaussian_blur):
            if layer is not None:
                layer.build(shape)
        self.built = True

    def output_spatial_size(self, height, width):
        return self.crop.output_spatial_size(height, width)

    def compute_output_shape(self, input_shape):
        shape = super().compute_output_shape(input_shape)
        return (shape, shape)

    def _augment_batch(self, images):
        """One view of a float32 batch `(batch, H, W, C)`: the five steps in order."""
        x = self.crop(images, training=True)
        x = self.flip(x, training=True)
        x = self.color_jitter(x, training=True)
        x = self.grayscale(x, training=True)
        if self.gaussian_blur is not None:
            x = self.gaussian_blur(x, training=True)
        return x

    def augment(self, images):
        """Returns a single augmented view of `images`.

        Args:
            images: NumPy array or tensor `(batch, H, W, C)` or `(H, W, C)`, values in
                `value_range`.

        Returns:
            A tensor `(batch, height, width, C)` (or unbatched) in the compute dtype.

        Raises:
            ValueError: as `__call__`.
        """
        check_numpy_images(images, self.value_range, self.__class__.__name__)
        images = ops.convert_to_tensor(images)
        return AugmentationLayer.call(self, images, training=True)

    def call(self, images, training=True):
        images, single = self._float32_batch(images)
        if training:
            # One pass over [x; x]: every image of each view gets its own draws.
            batch_size = ops.shape(images)[0]
            views = self._augment_batch(ops.concatenate([images, images], axis=0))
            view_a, view_b = views[:batch_size], views[batch_size:]
        else:
            view_a = view_b = self.crop(images, training=False)
        return self._layer_output(view_a, single), self._layer_output(view_b, single)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "preset": self.preset,
                "height": self.height,
                "width": self.width,
                "crop_scale": self.crop_scale,
                "crop_ratio": self.crop_ratio,
                "horizontal_flip_probability": self.horizontal_flip_probability,
                "color_jitter_strength": self.color_jitter_strength,
                "color_jitter_probability": self.color_jitter_probability,
                "grayscale_probability": self.grayscale_probability,
                "blur": self.blur,
                "blur_probability": self.blur_probability,
            }
        )
        return config
