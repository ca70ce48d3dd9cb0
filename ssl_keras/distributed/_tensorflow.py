"""TensorFlow side of `collectives`: `tf.distribute` replica-context collectives."""

# This file is the backend-specific side of `collectives` (imported lazily, only on its
# backend), so the backend-import ban is lifted here and only here.
# ruff: noqa: TID251


def replica_context():
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: the step is not running per replica
        return 0, 1
    num_replicas = context.num_replicas_in_sync
    if num_replicas == 1:
        return 0, 1
    return context.replica_id_in_sync_group, num_replicas


def all_gather(x):
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return x
    # ReplicaContext.all_gather is differentiable: its gradient sums the replicas'
    # gradients of this replica's slice.
    return context.all_gather(x, axis=0)


def scale_loss_for_replicas(loss):
    import tensorflow as tf

    num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if num_replicas > 1:
        loss = loss * tf.cast(1.0 / num_replicas, loss.dtype)
    return loss


def unscale_loss_for_replicas(loss):
    import tensorflow as tf

    num_replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if num_replicas > 1:
        loss = loss * tf.cast(num_replicas, loss.dtype)
    return loss
