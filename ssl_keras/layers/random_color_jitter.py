"""SimCLR's colour jitter: brightness, contrast, saturation and hue in a random order."""

import keras
from keras import ops

from ssl_keras.layers._augmentation_base import (
    AugmentationLayer,
    check_color_channels,
    grayscale,
)
from ssl_keras.validation import (
    is_number,
)

# Position of each operation in the per-image factor table and permutation.
BRIGHTNESS, CONTRAST, SATURATION, HUE = 0, 1, 2, 3


def adjust_hue(images, hue_shift):
    """Rotates the hue of RGB images in [0, 1] by `hue_shift` turns (HSV model).

    Same result as torchvision's `adjust_hue` (RGB -> HSV, `h = (h + shift) mod 1`,
    HSV -> RGB), written without branches: a hue rotation keeps each pixel's maximum
    (`V`) and minimum (`V (1 - S)`), so only the hue is computed, in sixths of a turn
    (`6 h`), and the inverse transform is `max - (max - min) * clip(min(k, 4 - k), 0, 1)`
    with `k = (n + 6 h) mod 6` and `n = 5, 3, 1` for R, G, B.

    Args:
        images: float tensor `(batch, height, width, 3)` with values in [0, 1].
        hue_shift: float tensor broadcastable to `(batch, 1, 1, 1)`, in [-0.5, 0.5].

    Returns:
        A tensor of the shape of `images`, values in [0, 1].
    """
    red, green, blue = images[..., 0:1], images[..., 1:2], images[..., 2:3]
    maximum = ops.maximum(ops.maximum(red, green), blue)
    minimum = ops.minimum(ops.minimum(red, green), blue)
    delta = maximum - minimum
    safe_delta = ops.where(delta > 0, delta, 1.0)
    # Hue in sixths of a turn, by which channel is the maximum (red first, as torchvision):
    # one division for the three cases. Gray pixels (delta = 0) get hue 0, as in
    # torchvision.
    red_is_maximum = maximum == red
    green_is_maximum = maximum == green
    numerator = ops.where(
        red_is_maximum, green - blue, ops.where(green_is_maximum, blue - red, red - green)
    )
    sector = ops.where(red_is_maximum, 0.0, ops.where(green_is_maximum, 2.0, 4.0))
    hue_sixths = numerator / safe_delta + sector + 6.0 * hue_shift  # in [-4, 9)
    # n + 6: keeps the argument of the modulo positive (same result, floor modulo).
    channel_offset = ops.convert_to_tensor([11.0, 9.0, 7.0], dtype=images.dtype)
    k = ops.mod(channel_offset + hue_sixths, 6.0)
    return maximum - delta * ops.clip(ops.minimum(k, 4.0 - k), 0.0, 1.0)


def _blend(images, operation, factor):
    """Brightness, contrast or saturation (per image `operation`, `(batch, 1, 1, 1)`):
    one formula, `f x + (1 - f) ref` clipped to [0, 1], with `ref` = 0, the mean luma
    or the luma. `f = 1` with brightness is the identity (exactly, for x in [0, 1])."""
    luma = grayscale(images)
    mean_luma = ops.mean(luma, axis=(1, 2, 3), keepdims=True)
    reference = ops.where(
        operation == BRIGHTNESS, 0.0, ops.where(operation == CONTRAST, mean_luma, luma)
    )
    return ops.clip(factor * images + (1.0 - factor) * reference, 0.0, 1.0)


def _blend_step(position, state, before_hue: bool):
    """Blend round `position`: each image applies the operation at this position of its
    order if it comes before (or, `before_hue=False`, after) the image's hue rotation;
    the others get the identity (brightness with factor 1), so no per-pixel select."""
    images, order, factors, hue_position = state
    operation = ops.take(order, position, axis=1)
    factor = ops.sum(factors * ops.one_hot(operation, 4, dtype="float32"), axis=1)
    active = position < hue_position if before_hue else position > hue_position
    operation = ops.where(active, operation, BRIGHTNESS)[:, None, None, None]
    factor = ops.where(active, factor, 1.0)[:, None, None, None]
    return _blend(images, operation, factor), order, factors, hue_position


# Module-level loop bodies (not closures), so jax can cache their tracing between calls.
def _blend_step_before_hue(position, state):
    return _blend_step(position, state, before_hue=True)


def _blend_step_after_hue(position, state):
    return _blend_step(position, state, before_hue=False)


@keras.saving.register_keras_serializable(package="ssl_keras")
class RandomColorJitter(AugmentationLayer):
    """Randomly changes brightness, contrast, saturation and hue, in a random order.

    SimCLR's colour jitter of strength `s` is torchvision's
    `ColorJitter(0.8 s, 0.8 s, 0.8 s, 0.2 s)`: per image, the four operations are
    applied in a random order, each with its own random factor. Following torchvision's
    definitions on images scaled to [0, 1] (and clipped to [0, 1] after each operation,
    as torchvision's `_blend` does):

    - brightness: `x * f`, `f ~ U[max(0, 1 - b), 1 + b]`;
    - contrast: `f * x + (1 - f) * m`, `m` the mean of the image's grayscale (luma)
      version, `f ~ U[max(0, 1 - c), 1 + c]`;
    - saturation: `f * x + (1 - f) * gray(x)`, `f ~ U[max(0, 1 - s), 1 + s]`;
    - hue: the hue of HSV is rotated by `f ~ U[-h, h]` turns (HSV, not a YIQ rotation).

    Grayscale is `0.2989 R + 0.587 G + 0.114 B`. One-channel images are accepted:
    saturation and hue then leave them unchanged, as in torchvision.

    Vectorised random order: each image gets a random permutation of the four
    operations (the argsort of four uniforms). Brightness, contrast and saturation share
    one blend formula `f x + (1 - f) ref` (with `ref` = 0, the mean luma and the luma),
    so an image's sequence is: the blends placed before its hue rotation, the hue
    rotation, the blends placed after it. The batch runs it as three blend rounds (a
    `keras.ops.fori_loop`, so XLA compiles one round), one hue rotation of every image,
    and three more blend rounds; in blend round `r` an image applies the operation at
    position `r` of its permutation if that is on its side of the hue rotation, and the
    identity (a brightness factor of 1) otherwise. Six cheap blends and one hue rotation
    (the costly operation) per image, instead of computing both at each of the four
    positions and selecting one.

    Why not `keras.layers.RandomColorJitter` (and `RandomBrightness`, `RandomContrast`,
    `RandomSaturation`, `RandomHue`): it applies the four operations in a fixed order
    (brightness, contrast, saturation, hue), its brightness is additive (SimCLR's and
    torchvision's is multiplicative), its contrast blends with the per-channel mean
    rather than the mean luma, and its saturation and hue factors follow a different
    parametrisation (`RandomSaturation` is the identity at `factor=0.5`). This layer
    keeps torchvision's semantics and SimCLR's per-image random order.

    Args:
        strength: SimCLR's colour distortion strength `s`: brightness, contrast and
            saturation `0.8 s`, hue `0.2 s`. Must be in [0, 2.5] (hue <= 0.5).
            Defaults to 1.0 (SimCLR's ImageNet setting; 0.5 for CIFAR-10).
        brightness: overrides `0.8 * strength` when not `None`; must be >= 0.
        contrast: overrides `0.8 * strength` when not `None`; must be >= 0.
        saturation: overrides `0.8 * strength` when not `None`; must be >= 0.
        hue: overrides `0.2 * strength` when not `None`; must be in [0, 0.5].
        value_range: `(low, high)` range of the input values; the operations are applied
            to `(x - low) / (high - low)` and the result is mapped back, so outputs stay
            in `value_range`. Defaults to `(0, 255)`.
        seed: integer seed for the layer's `keras.random.SeedGenerator`, or `None`.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, 3)` or `(batch, height, width, 1)` (or unbatched), any
        numeric dtype, values in `value_range`.

    Output shape:
        Same as the input, in the layer's compute dtype (float32 by default).

    Raises:
        ValueError: at construction if a factor is negative, `hue` is above 0.5 or
            `strength` is outside [0, 2.5]; when called, if the images are not of rank
            3 or 4, do not have 1 or 3 channels, or (NumPy inputs only) hold a value
            outside `value_range`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, size=(4, 32, 32, 3)).astype("uint8")
    >>> jitter = RandomColorJitter(strength=0.5, seed=0)
    >>> jitter(images).shape  # (4, 32, 32, 3), float32, values in [0, 255]

    Reference:
        Chen et al., 2020, SimCLR, appendix A: "Color distortion is composed by color
        jittering and color dropping [...] color_jitter = transforms.ColorJitter(0.8*s,
        0.8*s, 0.8*s, 0.2*s)"; torchvision `transforms.ColorJitter` and
        `functional_tensor.adjust_*` for the definitions of the four operations.
    """

    def __init__(
        self,
        strength: float = 1.0,
        brightness: float | None = None,
        contrast: float | None = None,
        saturation: float | None = None,
        hue: float | None = None,
        value_range: tuple = (0, 255),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        if not is_number(strength) or not 0 <= strength <= 2.5:
            raise ValueError(
                "`strength` should be a float in [0, 2.5] (hue = 0.2 * strength must stay "
                f"<= 0.5). Received: strength={strength!r}"
            )
        self.strength = float(strength)
        self.brightness = self._factor(brightness, 0.8 * strength, "brightness")
        self.contrast = self._factor(contrast, 0.8 * strength, "contrast")
        self.saturation = self._factor(saturation, 0.8 * strength, "saturation")
        self.hue = self._factor(hue, 0.2 * strength, "hue")
        if self.hue > 0.5:
            raise ValueError(f"`hue` should be in [0, 0.5]. Received: hue={hue!r}")

    @staticmethod
    def _factor(value, default: float, name: str) -> float:
        if value is None:
            return float(default)
        if not is_number(value) or value < 0:
            raise ValueError(f"`{name}` should be a float >= 0. Received: {name}={value!r}")
        return float(value)

    def sample_parameters(self, batch_size):
        """Draws the per-image factors and operation order.

        Returns:
            A tuple `(factors, order)`: `factors` is a float32 tensor `(batch, 4)` with
            the brightness, contrast and saturation blend factors and the hue shift;
            `order` is an int tensor `(batch, 4)`, a permutation of (0, 1, 2, 3) per
            image (0 brightness, 1 contrast, 2 saturation, 3 hue).
        """
        # One draw per call: 4 uniforms for the factors, 4 whose argsort is the order.
        uniform = keras.random.uniform((batch_size, 8), seed=self.seed_generator)
        lower = ops.convert_to_tensor(
            [max(0.0, 1.0 - self.brightness), max(0.0, 1.0 - self.contrast),
             max(0.0, 1.0 - self.saturation), -self.hue],
            dtype="float32",
        )
        upper = ops.convert_to_tensor(
            [1.0 + self.brightness, 1.0 + self.contrast, 1.0 + self.saturation, self.hue],
            dtype="float32",
        )
        factors = lower + (upper - lower) * uniform[:, :4]
        order = ops.argsort(uniform[:, 4:], axis=1)
        return factors, order

    def jitter(self, images, factors, order):
        """Applies the four operations to images in [0, 1] with given factors and order.

        Args:
            images: float32 tensor `(batch, height, width, channels)`, values in [0, 1].
            factors: float32 tensor `(batch, 4)`, see `sample_parameters`.
            order: int tensor `(batch, 4)`, see `sample_parameters`.

        Returns:
            The jittered images, values in [0, 1].
        """
        order = ops.cast(order, "int32")
        factors = ops.cast(factors, "float32")
        # Position of the hue rotation in each image's order; the blends before it run in
        # rounds 0-2, the hue rotation once for the whole batch, the blends after it in
        # rounds 1-3 (loop ops: XLA compiles one blend round, not six).
        hue_position = ops.sum(
            ops.cast(order == HUE, "int32") * ops.arange(4, dtype="int32"), axis=1
        )
        state = (images, order, factors, hue_position)
        images = ops.fori_loop(0, 3, _blend_step_before_hue, state)[0]
        if images.shape[-1] != 1:  # torchvision leaves the hue of one-channel images as is
            images = adjust_hue(images, ops.reshape(factors[:, HUE], (-1, 1, 1, 1)))
        state = (images, order, factors, hue_position)
        return ops.fori_loop(1, 4, _blend_step_after_hue, state)[0]

    def _augment_batch(self, images):
        check_color_channels(images, self.__class__.__name__)
        low, high = self.value_range
        unit = ops.clip((images - low) / (high - low), 0.0, 1.0)
        factors, order = self.sample_parameters(ops.shape(images)[0])
        return self.clip(self.jitter(unit, factors, order) * (high - low) + low)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "strength": self.strength,
                "brightness": self.brightness,
                "contrast": self.contrast,
                "saturation": self.saturation,
                "hue": self.hue,
            }
        )
        return config
