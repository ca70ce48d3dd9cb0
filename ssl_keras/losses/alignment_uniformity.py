"""NT-Xent split into its alignment and uniformity parts: tau * L = L_a + L_d."""

import keras
from keras import ops

from ssl_keras.losses._contrastive import (
    TwoViewLoss,
    check_temperature,
    masked_logsumexp,
    positive_values,
    two_view_similarities,
)


def _parts_per_example(z_a, z_b, temperature):
    check_temperature(temperature)
    similarity, self_mask, positive_mask = two_view_similarities(z_a, z_b)
    temperature = ops.cast(temperature, "float32")
    alignment = -positive_values(similarity, positive_mask)
    uniformity = temperature * masked_logsumexp(similarity / temperature, self_mask)
    return alignment, uniformity


def alignment_uniformity(z_a, z_b, temperature: float = 0.5):
    """The two parts of NT-Xent: `tau * nt_xent(z_a, z_b, tau) == L_a + L_d` exactly.

    Taking the logarithm of the NT-Xent fraction apart gives, with the mean over the 2N
    anchors `i` and `j` the positive of `i`:

        L_a = -1/(2N) sum_i sim(z_i, z_j)                          (alignment)
        L_d = tau/(2N) sum_i log sum_{k != i} exp(sim(z_i, z_k) / tau)  (uniformity)

    `L_a` pulls the two views of an image together (it is `positives_only_loss`); `L_d`
    pushes all views apart, spreading the embeddings over the sphere, which is what
    prevents collapse. Exercise sheets often write both with `1/N` and a sum over the
    ordered positive pairs `(i, j)`; that is the same up to the factor 2 that also separates
    summing from averaging the two directions of NT-Xent.

    These are the terms of the NT-Xent decomposition, not the alignment and uniformity
    metrics of Wang & Isola (2020), which use squared distances and a Gaussian kernel.

    Args:
        z_a: `(N, d)` embeddings of the first views.
        z_b: `(N, d)` embeddings of the second views.
        temperature: positive float (or scalar tensor).

    Returns:
        A tuple `(alignment, uniformity)` of scalar float32 tensors.

    Raises:
        ValueError: for `temperature <= 0` or embeddings of bad shapes.

    Example:
    >>> import numpy as np
    >>> z = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    >>> l_a, l_d = alignment_uniformity(z, z, temperature=0.5)  # l_a == -1.0
    """
    alignment, uniformity = _parts_per_example(z_a, z_b, temperature)
    return ops.mean(alignment), ops.mean(uniformity)


@keras.saving.register_keras_serializable(package="ssl_keras")
class AlignmentUniformity(TwoViewLoss):
    """`alignment_weight * L_a + uniformity_weight * L_d` on stacked views `(2N, d)`.

    With both weights 1 this is `tau * NTXent(tau)`; other weights give the ablations in
    which one of the two forces is weakened (a zero uniformity weight is the
    positives-only collapse experiment).

    Args:
        temperature: positive float.
        alignment_weight: weight of `L_a`.
        uniformity_weight: weight of `L_d`.
        reduction: as in `keras.losses.Loss`.
        name: name of the loss.
        dtype: as in `keras.losses.Loss`.
    """

    config_arguments = ("temperature", "alignment_weight", "uniformity_weight")

    def __init__(self, temperature=0.5, alignment_weight=1.0, uniformity_weight=1.0,
                 reduction="sum_over_batch_size", name="alignment_uniformity", dtype=None):
        check_temperature(temperature)
        super().__init__(
            reduction,
            name,
            dtype,
            temperature=temperature,
            alignment_weight=alignment_weight,
            uniformity_weight=uniformity_weight,
        )

    def per_example(self, z_a, z_b):
        alignment, uniformity = _parts_per_example(z_a, z_b, self.temperature)
        return self.alignment_weight * alignment + self.uniformity_weight * uniformity
