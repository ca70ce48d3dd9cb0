"""SimCLR's random crop-and-resize, per image, as two small matrix products."""

import math

import keras
from keras import ops

from ssl_keras.layers._augmentation_base import (
    AugmentationLayer,
)
from ssl_keras.validation import (
    check_interval,
    check_positive_int,
)


@keras.saving.register_keras_serializable(package="ssl_keras")
class RandomResizedCrop(AugmentationLayer):
    """Crops a random box of random area and aspect ratio, then resizes it.

    For each image independently (torchvision's `RandomResizedCrop`, the crop SimCLR
    uses): draw an area fraction `a ~ U(scale)` and a log aspect ratio
    `log r ~ U(log ratio)`, set `w = round(sqrt(a * H * W * r))` and
    `h = round(sqrt(a * H * W / r))`; if the box fits (`0 < h <= H`, `0 < w <= W`),
    place it uniformly at an integer offset, otherwise draw again. After `num_attempts`
    failed draws, fall back to the largest central box whose aspect ratio is clipped to
    `ratio`. The box is then resized to `(height, width)` with bilinear interpolation.

    How it is computed (vectorised, jit-friendly, no Python loop or `if` on tensors):
    all `num_attempts` candidate boxes of every image are drawn at once and the first
    valid one is selected with a mask, which gives exactly torchvision's distribution
    (the first success among i.i.d. attempts). The resize is separable: for each image
    the layer builds an `(height, H)` row-interpolation matrix and a `(width, W)`
    column-interpolation matrix whose non-zero entries lie inside the crop box, and
    applies them with two `keras.ops.einsum` calls. This is a batched matrix product, so
    it compiles under XLA (jax, tensorflow) and `torch.compile`, and runs on the matrix
    units of accelerators. Keras's `RandomZoom`/`RandomCrop`/`RandomTranslation` are
    not reused: they either draw one box per batch or go through the affine/projective
    transform op, which has no XLA GPU kernel and silently turns jit off.

    Interpolation matches crop-then-resize in PIL (what torchvision applies to PIL
    images): half-pixel centres, pixels outside the crop box are never sampled, and when
    the box is larger than the output (downscaling) the bilinear (triangle) filter is
    widened by the scale factor (`antialias=True`, as in PIL and torchvision's
    `antialias=True`). Upscaling, the case of CIFAR crops, is ordinary bilinear.

    At inference (`training=False`) the layer returns the largest central crop with the
    output's aspect ratio resized to `(height, width)`, like `keras.layers.RandomCrop`;
    this is the identity when the output size equals the input size.

    Args:
        height: output height, or `None` to keep the input height.
        width: output width, or `None` to keep the input width.
        scale: `(min, max)` range of the crop area as a fraction of the image area,
            with `0 < min <= max <= 1`. Defaults to `(0.08, 1.0)` (SimCLR, torchvision).
        ratio: `(min, max)` range of the crop aspect ratio width/height, sampled
            uniformly in log space. Defaults to `(3/4, 4/3)`.
        antialias: whether to widen the bilinear filter when downscaling. Defaults to
            `True`.
        num_attempts: number of candidate boxes drawn per image before the central
            fallback. Defaults to 10, as in torchvision.
        value_range: `(low, high)` range of the input values. Defaults to `(0, 255)`.
        seed: integer seed for the layer's `keras.random.SeedGenerator`, or `None`.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, H, W, channels)` or `(H, W, channels)`, any numeric dtype, values in
        `value_range`. `H` and `W` must be known statically.

    Output shape:
        `(batch, height, width, channels)` (or unbatched), in the layer's compute dtype
        (float32 by default). Values stay in `value_range` (each output pixel is a convex
        combination of input pixels).

    Raises:
        ValueError: at construction if `height`/`width` is not a positive integer or
            `None`, `scale` is not inside `(0, 1]` with min <= max, `ratio` is not
            positive with min <= max, or `num_attempts < 1`; when called, if the images
            are not of rank 3 or 4, their height/width is unknown, or (NumPy inputs only)
            a value lies outside `value_range`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, size=(4, 32, 32, 3)).astype("uint8")
    >>> crop = RandomResizedCrop(24, 24, seed=0)
    >>> crop(images).shape  # (4, 24, 24, 3), float32
    >>> identity = RandomResizedCrop(32, 32, scale=(1.0, 1.0), ratio=(1.0, 1.0))
    >>> np.allclose(identity(images), images)  # True: the full box, unresized

    Reference:
        Chen et al., 2020, "A Simple Framework for Contrastive Learning of Visual
        Representations" (SimCLR), appendix A: "random crop with resize: a random crop
        of the original image with a uniform random size area of 0.08 to 1.0 and a
        random aspect ratio of 3/4 to 4/3 [...] resized to the original size".
        torchvision `transforms.RandomResizedCrop.get_params` for the sampling details.
    """

    def __init__(
        self,
        height: int | None,
        width: int | None,
        scale: tuple = (0.08, 1.0),
        ratio: tuple = (3.0 / 4.0, 4.0 / 3.0),
        antialias: bool = True,
        num_attempts: int = 10,
        value_range: tuple = (0, 255),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        for name, value in (("height", height), ("width", width)):
            check_positive_int(value, name, allow_none=True)
        check_positive_int(num_attempts, "num_attempts")
        self.height = None if height is None else int(height)
        self.width = None if width is None else int(width)
        self.scale = check_interval(scale, "scale", high=1.0)
        self.ratio = check_interval(ratio, "ratio")
        self.antialias = bool(antialias)
        self.num_attempts = int(num_attempts)

    def output_spatial_size(self, height, width):
        return (
            height if self.height is None else self.height,
            width if self.width is None else self.width,
        )

    def _central_box(self, height: int, width: int) -> tuple:
        """torchvision's fallback: the whole image with its aspect ratio clipped to `ratio`."""
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            box_width, box_height = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            box_height, box_width = height, int(round(height * self.ratio[1]))
        else:
            box_height, box_width = height, width
        return box_height, box_width

    def sample_boxes(self, batch_size, height: int, width: int):
        """Draws one crop box per image.

        Args:
            batch_size: number of boxes (int or scalar tensor).
            height: input image height (static int).
            width: input image width (static int).

        Returns:
            A tuple `(top, left, box_height, box_width)` of float32 tensors of shape
            `(batch,)` holding integers: the box covers rows `top .. top + box_height - 1`
            and columns `left .. left + box_width - 1`.
        """
        attempts = self.num_attempts
        # One draw per call (fewer random ops to compile, fewer graph breaks under
        # torch.compile): per image, `attempts` area fractions, `attempts` log ratios
        # and 2 offsets.
        uniform = keras.random.uniform((batch_size, 2 * attempts + 2), seed=self.seed_generator)
        area_fraction = self.scale[0] + (self.scale[1] - self.scale[0]) * uniform[:, :attempts]
        target_area = float(height * width) * area_fraction
        log_low, log_high = math.log(self.ratio[0]), math.log(self.ratio[1])
        aspect_ratio = ops.exp(log_low + (log_high - log_low) * uniform[:, attempts:2 * attempts])
        box_width = ops.round(ops.sqrt(target_area * aspect_ratio))
        box_height = ops.round(ops.sqrt(target_area / aspect_ratio))
        fits = ops.logical_and(
            ops.logical_and(box_width > 0, box_width <= width),
            ops.logical_and(box_height > 0, box_height <= height),
        )
        # Index of the first box that fits (attempts if none does); a min over masked
        # indices, because argmax's tie-breaking is not guaranteed on every backend.
        attempt_index = ops.arange(attempts, dtype="float32")
        first = ops.min(ops.where(fits, attempt_index, float(attempts)), axis=1)
        found = first < attempts
        chosen = ops.cast(ops.equal(attempt_index[None, :], first[:, None]), "float32")
        box_height = ops.sum(box_height * chosen, axis=1)
        box_width = ops.sum(box_width * chosen, axis=1)

        fallback_height, fallback_width = self._central_box(height, width)
        box_height = ops.where(found, box_height, float(fallback_height))
        box_width = ops.where(found, box_width, float(fallback_width))
        # Uniform integer offsets in [0, H - h] and [0, W - w] (torchvision's randint).
        offsets = uniform[:, 2 * attempts:]
        top = ops.minimum(ops.floor(offsets[:, 0] * (height - box_height + 1)), height - box_height)
        left = ops.minimum(ops.floor(offsets[:, 1] * (width - box_width + 1)), width - box_width)
        top = ops.where(found, top, float((height - fallback_height) // 2))
        left = ops.where(found, left, float((width - fallback_width) // 2))
        return top, left, box_height, box_width

    def interpolation_weights(self, start, size, in_size: int, out_size: int):
        """Bilinear resampling matrices of a 1-D box `[start, start + size)`.

        Args:
            start: float tensor of shape `(batch,)`, first pixel of the box.
            size: float tensor of shape `(batch,)`, length of the box in pixels.
            in_size: length of the input axis.
            out_size: length of the output axis.

        Returns:
            A float32 tensor of shape `(batch, out_size, in_size)` whose rows are
            non-negative, sum to 1 and are zero outside the box.
        """
        step = size / out_size  # input pixels per output pixel
        out_position = ops.arange(out_size, dtype="float32") + 0.5
        # Source coordinate of each output pixel centre (half-pixel convention).
        center = start[:, None] + out_position[None, :] * step[:, None] - 0.5
        support = ops.maximum(step, 1.0) if self.antialias else ops.ones_like(step)
        pixels = ops.arange(in_size, dtype="float32")[None, None, :]
        distance = ops.abs(pixels - center[:, :, None]) / support[:, None, None]
        weights = ops.relu(1.0 - distance)
        inside = ops.logical_and(
            pixels >= start[:, None, None], pixels < (start + size)[:, None, None]
        )
        weights = ops.where(inside, weights, 0.0)
        return weights / ops.sum(weights, axis=-1, keepdims=True)

    def crop_and_resize(self, images, top, left, box_height, box_width):
        """Resamples the box of each image to the output size (two batched matmuls)."""
        height, width = self._static_size(images)
        out_height, out_width = self.output_spatial_size(height, width)
        rows = self.interpolation_weights(top, box_height, height, out_height)
        columns = self.interpolation_weights(left, box_width, width, out_width)
        outputs = ops.einsum("bih,bhwc->biwc", rows, images)
        outputs = ops.einsum("bjw,biwc->bijc", columns, outputs)
        return self.clip(outputs)

    def _augment_batch(self, images):
        height, width = self._static_size(images)
        top, left, box_height, box_width = self.sample_boxes(ops.shape(images)[0], height, width)
        return self.crop_and_resize(images, top, left, box_height, box_width)

    def _inference_batch(self, images):
        height, width = self._static_size(images)
        out_height, out_width = self.output_spatial_size(height, width)
        if (out_height, out_width) == (height, width):
            return images
        # Largest central window with the output's aspect ratio (static sizes).
        if width * out_height > height * out_width:
            box_height, box_width = height, int(round(height * out_width / out_height))
        else:
            box_height, box_width = int(round(width * out_height / out_width)), width
        ones = ops.ones((ops.shape(images)[0],), dtype="float32")
        return self.crop_and_resize(
            images,
            ones * float((height - box_height) // 2),
            ones * float((width - box_width) // 2),
            ones * float(box_height),
            ones * float(box_width),
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "scale": self.scale,
                "ratio": self.ratio,
                "antialias": self.antialias,
                "num_attempts": self.num_attempts,
            }
        )
        return config
