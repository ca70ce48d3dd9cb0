"""Backend-dispatching cross-replica collectives (the backend code lives in `_tensorflow.py`
and `_torch.py`, imported lazily so this module stays backend-agnostic).

A *replica* is one copy of the training step working on one shard of the global batch:
a `tf.distribute` replica (TensorFlow), a `torch.distributed` process (PyTorch). On JAX,
Keras's distribution API compiles one global program for all devices (GSPMD), so from
the step's point of view there is a single replica holding the global batch, and XLA
inserts the collectives itself.
"""

import keras


def replica_context() -> tuple:
    """The calling replica's index and the number of replicas.

    Returns:
        `(replica_id, num_replicas)`: `replica_id` is an int or a scalar int tensor in
        `[0, num_replicas)`, `num_replicas` a Python int. `(0, 1)` outside any
        multi-replica setting, and always on JAX (one global program).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from ssl_keras.distributed import _tensorflow

        return _tensorflow.replica_context()
    if backend == "torch":
        from ssl_keras.distributed import _torch

        return _torch.replica_context()
    return 0, 1


def all_gather(x):
    """Concatenates `x` from every replica along axis 0, in replica order; differentiable.

    The gradient of the gathered tensor with respect to the local `x` is the sum over
    replicas of the gradients of their slices for this replica (a reduce-scatter), so a
    loss that uses other replicas' embeddings still trains them: summing or averaging the
    replicas' parameter gradients then gives exactly the gradient of the global loss.

    Args:
        x: tensor of shape `(n, ...)`, the same shape on every replica.

    Returns:
        Tensor of shape `(num_replicas * n, ...)`; `x` itself with a single replica.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from ssl_keras.distributed import _tensorflow

        return _tensorflow.all_gather(x)
    if backend == "torch":
        from ssl_keras.distributed import _torch

        return _torch.all_gather(x)
    return x


def scale_loss_for_replicas(loss):
    """Divides a per-replica loss by the number of replicas where the backend sums them.

    `tf.distribute` sums the replicas' gradients; Keras's own `compute_loss` scales the
    loss by `1 / num_replicas` for this, and a model that overrides `compute_loss` must
    do the same (Keras unscales the reported `loss` metric). A no-op on JAX and PyTorch
    (`torch_data_parallel` averages the gradients instead).
    """
    if keras.backend.backend() == "tensorflow":
        from ssl_keras.distributed import _tensorflow

        return _tensorflow.scale_loss_for_replicas(loss)
    return loss


def unscale_loss_for_replicas(loss):
    """The inverse of `scale_loss_for_replicas`: a Keras loss value as one replica's loss.

    Keras's losses (`keras.losses.Loss.__call__`) already divide by the number of
    `tf.distribute` replicas; a model that adds such a value to a loss it scales itself
    multiplies it back first. A no-op on JAX and PyTorch.
    """
    if keras.backend.backend() == "tensorflow":
        from ssl_keras.distributed import _tensorflow

        return _tensorflow.unscale_loss_for_replicas(loss)
    return loss


def torch_data_parallel(model: keras.Model) -> keras.Model:
    """Prepares a built Keras model for data-parallel `fit` with `torch.distributed`.

    Call it in every process after `torch.distributed.init_process_group(...)` and after
    the model is built (e.g. after one call on a batch, or `model.build(shape)`), before
    `fit`. It broadcasts every weight from rank 0 (so all processes start identical) and
    registers a hook on each trainable weight that averages its gradient over the
    processes during `backward`, so every process applies the same update. Each process
    then calls `model.fit` on its own shard of the data (batch size = global batch /
    world size). BatchNorm statistics stay per process (SimCLR's paper uses global BN).
    The `loss` each process reports is its share of the global loss (their mean is the
    global-batch NT-Xent). Every process must run the same number of steps with the
    same local batch size (give each the same number of images, or use
    `steps_per_epoch`): the collectives wait for all processes.

    Args:
        model: a built Keras model (torch backend).

    Returns:
        The same model.

    Raises:
        ValueError: if the backend is not torch, `torch.distributed` is not initialised,
            or the model is not built.

    Example (one process per device, e.g. `torchrun --nproc_per_node=4 train.py`; on
    GPUs use `"nccl"` and call `torch.cuda.set_device(local_rank)` first):

        import torch.distributed as dist
        from ssl_keras.distributed import torch_data_parallel
        from ssl_keras.models import SimCLR, small_cnn_encoder

        dist.init_process_group("gloo")
        rank, world_size = dist.get_rank(), dist.get_world_size()
        model = SimCLR(small_cnn_encoder())  # gather_negatives=True by default
        model.compile(optimizer="adam")
        model.build(images.shape)
        torch_data_parallel(model)
        # Global batch 512: each process takes 512 / world_size of its own shard.
        model.fit(images[rank::world_size], batch_size=512 // world_size)
    """
    if keras.backend.backend() != "torch":
        raise ValueError(
            "`torch_data_parallel` is for the torch backend. Received: "
            f"backend={keras.backend.backend()!r}"
        )
    if not model.built:
        raise ValueError("`torch_data_parallel` needs a built model: call it on a batch first.")
    from ssl_keras.distributed import _torch

    _torch.data_parallel(model)
    return model
