"""NT-Xent over the global batch of a data-parallel step, computed per replica."""

from keras import ops

from ssl_keras.distributed.collectives import all_gather, replica_context
from ssl_keras.losses._contrastive import check_pair, check_temperature, masked_logsumexp
from ssl_keras.losses.nt_xent import nt_xent_per_example
from ssl_keras.ops.similarity import pairwise_cosine_similarity


def gathered_nt_xent_per_example(z_a, z_b, temperature: float = 0.5):
    """NT-Xent terms of this replica's anchors, with every replica's views as candidates.

    Replica `r` of `R` holds `n` images (`z_a`, `z_b`); the global batch is the `N = R n`
    images of all replicas in replica order. The global NT-Xent (SimCLR's Algorithm 1
    on the `2N` views `[Z_a; Z_b]`) is the mean of `2N` terms `l(i, j)`; this function
    returns the `2n` terms whose anchors live on this replica, each anchor compared with
    all `2N - 1` other views gathered from every replica (`all_gather`). The global loss
    is the mean of these terms over all replicas, and, as the gather passes gradients back
    to the replica that owns each view, the replicas' averaged gradients are the gradient
    of the global loss. SimCLR's reference code does the same (`tpu_cross_replica_concat`):
    "we aggregate BN mean and variance over all devices" and "negative examples from
    all devices" are used.

    With a single replica (no distribution, or JAX, where Keras's `DataParallel`
    compiles one global program) this is `nt_xent_per_example`.

    Args:
        z_a: this replica's first-view embeddings, shape `(n, d)`.
        z_b: this replica's second-view embeddings, shape `(n, d)`.
        temperature: the softmax temperature tau > 0.

    Returns:
        float32 tensor of shape `(2n,)`, anchors ordered as `[z_a; z_b]`.
    """
    check_temperature(temperature)
    replica_id, num_replicas = replica_context()
    if num_replicas == 1:
        return nt_xent_per_example(z_a, z_b, temperature)
    z_a, z_b = check_pair(z_a, z_b)
    anchors = ops.concatenate([z_a, z_b], axis=0)
    gathered_a = all_gather(z_a)
    candidates = ops.concatenate([gathered_a, all_gather(z_b)], axis=0)
    logits = pairwise_cosine_similarity(anchors, candidates) / ops.cast(temperature, "float32")

    # Shards may differ in size (tf.distribute splits a short last batch unevenly): this
    # replica's rows start after those of the replicas before it.
    n = ops.shape(z_a)[0]
    sizes = ops.reshape(all_gather(ops.reshape(ops.cast(n, "int32"), (1,))), (-1,))
    before = ops.arange(num_replicas) < ops.cast(replica_id, "int32")
    offset = ops.sum(ops.where(before, sizes, ops.zeros_like(sizes)))
    global_n = ops.shape(gathered_a)[0]
    local = ops.arange(n) + offset
    # Global index of each anchor in [Z_a; Z_b], and of its positive (the other view).
    anchor_index = ops.concatenate([local, local + global_n], axis=0)
    positive_index = ops.concatenate([local + global_n, local], axis=0)
    candidate_index = ops.arange(2 * global_n)
    self_mask = ops.equal(anchor_index[:, None], candidate_index[None, :])
    positive_mask = ops.equal(positive_index[:, None], candidate_index[None, :])
    positives = ops.sum(ops.where(positive_mask, logits, ops.zeros_like(logits)), axis=-1)
    return masked_logsumexp(logits, self_mask) - positives


def gathered_nt_xent(z_a, z_b, temperature: float = 0.5):
    """This replica's share of the global-batch NT-Xent, `R / (2N) * sum(own terms)`.

    With `R` replicas and `N` images in the global batch, the mean of this value over the
    replicas is `nt_xent` of the global batch, also when the shards differ in size (for
    equal shards it is the mean of the replica's `2n` terms); see
    `gathered_nt_xent_per_example`.

    Returns:
        Scalar float32 tensor.
    """
    terms = gathered_nt_xent_per_example(z_a, z_b, temperature)
    _, num_replicas = replica_context()
    if num_replicas == 1:
        return ops.mean(terms)
    # 2N, the number of anchors over all replicas.
    views = ops.cast(ops.shape(terms)[0], "float32")
    total = ops.sum(all_gather(ops.reshape(views, (1,))))
    return ops.sum(terms) * (num_replicas / total)
