"""PyTorch side of `collectives`: `torch.distributed` process groups (gloo, NCCL, ...)."""

# This file is the backend-specific side of `collectives` (imported lazily, only on its
# backend), so the backend-import ban is lifted here and only here.
# ruff: noqa: TID251


def _initialized():
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def replica_context():
    if not _initialized():
        return 0, 1
    import torch.distributed as dist

    world_size = dist.get_world_size()
    if world_size == 1:
        return 0, 1
    return dist.get_rank(), world_size


def _all_gather_function():
    import torch
    import torch.distributed as dist

    class AllGather(torch.autograd.Function):
        """Forward: all-gather along axis 0. Backward: sum the gradients over processes
        (all-reduce) and keep this process's slice. All-reduce instead of reduce-scatter
        because gloo has no reduce-scatter."""

        @staticmethod
        def forward(ctx, x):
            world_size = dist.get_world_size()
            ctx.rank = dist.get_rank()
            ctx.size = x.shape[0]
            pieces = [torch.empty_like(x) for _ in range(world_size)]
            dist.all_gather(pieces, x.contiguous())
            return torch.cat(pieces, dim=0)

        @staticmethod
        def backward(ctx, grad):
            grad = grad.contiguous().clone()
            dist.all_reduce(grad, op=dist.ReduceOp.SUM)
            start = ctx.rank * ctx.size
            return grad[start : start + ctx.size]

    return AllGather


def all_gather(x):
    if not _initialized():
        return x
    import torch.distributed as dist

    if dist.get_world_size() == 1:
        return x
    return _all_gather_function().apply(x)


def data_parallel(model):
    if not _initialized():
        raise ValueError(
            "`torch_data_parallel` needs `torch.distributed.init_process_group(...)` to "
            "have been called in every process first."
        )
    import torch
    import torch.distributed as dist

    world_size = dist.get_world_size()
    with torch.no_grad():
        # `weights`, not `variables`: seed-generator states stay per process, so each
        # process draws its own augmentations.
        for variable in model.weights:
            value = variable.value
            dist.broadcast(value.data, src=0)

    def average(grad):
        grad = grad.clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad / world_size

    for variable in model.trainable_variables:
        value = variable.value
        if isinstance(value, torch.Tensor) and value.requires_grad:
            value.register_hook(average)
