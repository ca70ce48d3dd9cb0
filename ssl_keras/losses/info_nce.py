"""InfoNCE with an explicit set of negatives: the loss of MoCo (a queue of keys)."""

from keras import ops

from ssl_keras.losses._contrastive import check_temperature
from ssl_keras.ops.similarity import l2_normalize


def info_nce_logits(query, positive_key, negative_keys, temperature: float = 0.2):
    """Logits of MoCo's `(1 + K)`-way classification; the positive is class 0.

    MoCo, Algorithm 1: `l_pos = bmm(q, k)`, `l_neg = mm(q, queue)`,
    `logits = cat([l_pos, l_neg], dim=1) / t`, with `q`, `k` and the queued keys
    L2-normalised, so each entry is a cosine similarity divided by the temperature.

    Args:
        query: `(N, d)` query embeddings `q`.
        positive_key: `(N, d)` keys `k`; row `i` is the positive of query `i`.
        negative_keys: `(K, d)` keys shared by all queries as negatives (MoCo's queue).
        temperature: the temperature tau > 0 (MoCo v2: 0.2; MoCo v1: 0.07).

    Returns:
        float32 tensor of shape `(N, 1 + K)`.
    """
    check_temperature(temperature)
    query = l2_normalize(ops.cast(ops.convert_to_tensor(query), "float32"))
    positive_key = l2_normalize(ops.cast(ops.convert_to_tensor(positive_key), "float32"))
    negative_keys = l2_normalize(ops.cast(ops.convert_to_tensor(negative_keys), "float32"))
    for name, value in (
        ("query", query),
        ("positive_key", positive_key),
        ("negative_keys", negative_keys),
    ):
        if len(value.shape) != 2:
            raise ValueError(
                f"`{name}` should be a rank-2 tensor (batch, dim). Received: "
                f"{name}.shape={tuple(value.shape)}"
            )
    positive = ops.sum(query * positive_key, axis=-1, keepdims=True)
    negative = ops.matmul(query, ops.transpose(negative_keys))
    return ops.concatenate([positive, negative], axis=-1) / ops.cast(temperature, "float32")


def info_nce(query, positive_key, negative_keys, temperature: float = 0.2):
    """InfoNCE (contrastive) loss of MoCo: each query must pick its key among K negatives.

    "a contrastive loss [...] whose value is low when q is similar to its positive key
    k+ and dissimilar to all other keys" (He et al., 2020, Eq. 1):

        L_q = -log( exp(q . k+ / tau) / (exp(q . k+ / tau) + sum_{k-} exp(q . k- / tau)) )

    averaged over the N queries, with all vectors L2-normalised (cosine similarities).
    Gradients flow into every argument; MoCo stops them on the keys (momentum encoder and
    queue), which `ssl_keras.models.MoCo` does.

    Args:
        query: `(N, d)` queries.
        positive_key: `(N, d)` positive keys.
        negative_keys: `(K, d)` negative keys.
        temperature: the temperature tau > 0. Defaults to 0.2 (MoCo v2).

    Returns:
        Scalar float32 tensor.

    Raises:
        ValueError: if `temperature <= 0` or an input is not rank 2.

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> q, k = rng.normal(size=(2, 4, 8)).astype("float32")
    >>> queue = rng.normal(size=(16, 8)).astype("float32")
    >>> float(info_nce(q, k, queue))  # doctest: +SKIP

    Reference:
        He, Fan, Wu, Xie, Girshick. Momentum Contrast for Unsupervised Visual
        Representation Learning. CVPR 2020, Eq. 1 and Algorithm 1.
    """
    logits = info_nce_logits(query, positive_key, negative_keys, temperature)
    # Cross-entropy with the positive at index 0.
    return ops.mean(ops.logsumexp(logits, axis=-1) - logits[:, 0])
