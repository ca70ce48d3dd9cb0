"""SimCLR's random Gaussian blur with a per-image sigma, as two small matrix products."""

import keras
import numpy as np
from keras import ops

from ssl_keras.layers._augmentation_base import (
    AugmentationLayer,
)
from ssl_keras.validation import (
    check_interval,
    check_probability,
    is_positive_int,
)


def reflect_taps(size: int, radius: int) -> np.ndarray:
    """0/1 array `(2 radius + 1, size, size)`: tap `d` of output `i` reads input `j`.

    Entry `[d, i, j]` is 1 when `j` is `i + d - radius` reflected at the borders
    ("reflect" padding without repeating the edge pixel, as torchvision's blur), so a
    1-D convolution with kernel `k` is the matrix `sum_d k[d] * taps[d]`.
    """
    offsets = np.arange(-radius, radius + 1)
    source = np.arange(size)[None, :] + offsets[:, None]
    source = np.abs(source)
    source = np.where(source > size - 1, 2 * (size - 1) - source, source)
    return (source[:, :, None] == np.arange(size)[None, None, :]).astype("float32")


@keras.saving.register_keras_serializable(package="ssl_keras")
class RandomGaussianBlur(AugmentationLayer):
    """Blurs each image, with probability `probability`, by a Gaussian of random sigma.

    SimCLR's ImageNet setting: with probability 0.5, blur with a Gaussian kernel whose
    size is 10% of the image side and whose standard deviation is drawn uniformly in
    [0.1, 2.0], per image. The blur is separable: the layer builds, per image, an
    `(H, H)` and a `(W, W)` convolution matrix (reflect padding folded in) and applies
    them with two `keras.ops.einsum` calls, a batched matrix product that jit-compiles
    on every backend.

    Kernel size: `kernel_size=None` uses SimCLR's rule per axis, radius
    `(size // 10) // 2` and size `2 radius + 1` (23 for 224 pixels, 3 for 32, 1, i.e.
    no blur, below 20 pixels); the radius is capped at `size - 1`.

    Departures and choices: borders are padded by reflection, as torchvision's
    `GaussianBlur` (SimCLR's TensorFlow code pads with zeros, which darkens the border).
    Why not `keras.layers.RandomGaussianBlur`: it draws one sigma per batch, not per
    image, and pads with zeros.

    Args:
        kernel_size: odd positive kernel size used for both axes, or `None` for 10% of
            the image side (see above). Defaults to `None`.
        sigma: `(min, max)` range of the standard deviation in pixels, `min > 0`.
            Defaults to `(0.1, 2.0)`.
        probability: probability of blurring an image. Defaults to 0.5 (SimCLR).
        value_range: `(low, high)` range of the input values. Defaults to `(0, 255)`.
        seed: integer seed for the layer's `keras.random.SeedGenerator`, or `None`.
        **kwargs: base layer keyword arguments such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)` with static
        height and width, any numeric dtype, values in `value_range`.

    Output shape:
        Same as the input, in the layer's compute dtype (float32 by default).

    Raises:
        ValueError: at construction if `kernel_size` is not an odd positive integer or
            `None`, `sigma` is not positive with min <= max, or `probability` is outside
            [0, 1]; when called, if the images are not of rank 3 or 4, or (NumPy inputs
            only) hold a value outside `value_range`.

    Example:
    >>> import numpy as np
    >>> images = np.random.randint(0, 256, size=(4, 64, 64, 3)).astype("uint8")
    >>> RandomGaussianBlur(probability=1.0, seed=0)(images).shape  # (4, 64, 64, 3)

    Reference:
        Chen et al., 2020, SimCLR, appendix A: "We blur the image 50% of the time using
        a Gaussian kernel. We randomly sample sigma in [0.1, 2.0], and the kernel size
        is set to be 10% of the image height/width."
    """

    def __init__(
        self,
        kernel_size: int | None = None,
        sigma: tuple = (0.1, 2.0),
        probability: float = 0.5,
        value_range: tuple = (0, 255),
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        if kernel_size is not None and (
            not is_positive_int(kernel_size) or kernel_size % 2 == 0
        ):
            raise ValueError(
                "`kernel_size` should be an odd positive integer or None. "
                f"Received: kernel_size={kernel_size!r}"
            )
        self.kernel_size = None if kernel_size is None else int(kernel_size)
        self.sigma = check_interval(sigma, "sigma")
        self.probability = check_probability(probability, "probability")

    def radius(self, size: int) -> int:
        """Kernel radius used along an axis of `size` pixels."""
        radius = (size // 10) // 2 if self.kernel_size is None else self.kernel_size // 2
        return min(radius, size - 1)

    def blur_matrices(self, sigma, size: int):
        """Per-image 1-D blur matrices `(batch, size, size)` for sigmas `(batch,)`."""
        radius = self.radius(size)
        offsets = ops.arange(-radius, radius + 1, dtype="float32")
        kernel = ops.exp(-0.5 * ops.square(offsets[None, :] / sigma[:, None]))
        kernel = kernel / ops.sum(kernel, axis=1, keepdims=True)
        taps = ops.convert_to_tensor(reflect_taps(size, radius))
        return ops.einsum("bd,dij->bij", kernel, taps)

    def _augment_batch(self, images):
        height, width = self._static_size(images)
        # One draw per call: per image, the sigma and the apply decision.
        uniform = keras.random.uniform((ops.shape(images)[0], 2), seed=self.seed_generator)
        sigma = self.sigma[0] + (self.sigma[1] - self.sigma[0]) * uniform[:, 0]
        rows = self.blur_matrices(sigma, height)
        columns = self.blur_matrices(sigma, width)
        blurred = ops.einsum("bih,bhwc->biwc", rows, images)
        blurred = ops.einsum("bjw,biwc->bijc", columns, blurred)
        apply = (uniform[:, 1] < self.probability)[:, None, None, None]
        return self.clip(ops.where(apply, blurred, images))

    def get_config(self):
        config = super().get_config()
        config.update(
            {"kernel_size": self.kernel_size, "sigma": self.sigma, "probability": self.probability}
        )
        return config
