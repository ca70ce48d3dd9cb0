"""Data-parallel training beyond one device: cross-replica collectives and the
global-batch NT-Xent.

`SimCLR(..., gather_negatives=True)` (the default) uses these pieces, so the same model
code trains on one device or many:

- JAX: `keras.distribution.set_distribution(keras.distribution.DataParallel())`; the
  step is one global program (GSPMD) and XLA gathers the negatives itself.
- TensorFlow: build, compile and fit the model under `tf.distribute.MirroredStrategy()`;
  the projections are all-gathered across replicas inside the step.
- PyTorch: one process per device with `torch.distributed` initialised, then
  `torch_data_parallel(model)` before `fit`; projections are all-gathered with a
  gradient-preserving gather and gradients are averaged across processes.
"""

from ssl_keras.distributed.collectives import (
    all_gather,
    replica_context,
    scale_loss_for_replicas,
    torch_data_parallel,
)
from ssl_keras.distributed.gathered_nt_xent import gathered_nt_xent, gathered_nt_xent_per_example

__all__ = [
    "all_gather",
    "gathered_nt_xent",
    "gathered_nt_xent_per_example",
    "replica_context",
    "scale_loss_for_replicas",
    "torch_data_parallel",
]
