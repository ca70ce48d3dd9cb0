"""Runs one data-parallel SimCLR training step on 4 virtual CPU devices and the same step
on one device, and prints the differences as one JSON line (used by
test_data_parallel.py in a subprocess, since the devices must be set up before the backend
starts).

    python tests/distributed/data_parallel_check.py {jax,tensorflow,torch}

- jax: 4 host devices (XLA_FLAGS), `keras.distribution.DataParallel`.
- tensorflow: 4 logical CPUs, `tf.distribute.MirroredStrategy`.
- torch: 4 gloo processes (`torch.multiprocessing.spawn`) + `torch_data_parallel`.

Step: SGD with learning rate 1 and no momentum, so `weights_before - weights_after` is
the gradient. Views are given as a pair (no random augmentation), and the model has no
BatchNorm, so the single-device step on the global batch is the exact reference.
"""

import json
import os
import socket
import sys
import tempfile

NUM_DEVICES = 4
GLOBAL_BATCH = 16
IMAGE_SHAPE = (4, 4, 3)


def _data():
    import numpy as np

    rng = np.random.default_rng(0)
    view_a = rng.uniform(0, 255, (GLOBAL_BATCH,) + IMAGE_SHAPE).astype("float32")
    view_b = np.clip(view_a + rng.normal(0, 40, view_a.shape), 0, 255).astype("float32")
    return view_a, view_b


def _model(gather_negatives=True, seed=0):
    import keras

    from ssl_keras.layers import ProjectionHead
    from ssl_keras.models import SimCLR

    keras.utils.set_random_seed(seed)
    encoder = keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            keras.layers.Rescaling(1.0 / 255.0),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu"),
        ],
        name="encoder",
    )
    model = SimCLR(
        encoder,
        projection_head=ProjectionHead(hidden_dims=(16,), output_dim=8, use_batch_norm=False),
        temperature=0.2,
        gather_negatives=gather_negatives,
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0))
    model.build(((None,) + IMAGE_SHAPE, (None,) + IMAGE_SHAPE))
    return model


def _moco(queue_size=32):
    import keras

    from ssl_keras.layers import ProjectionHead
    from ssl_keras.models.moco import MoCo

    keras.utils.set_random_seed(0)
    encoder = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), keras.layers.Flatten(), keras.layers.Dense(16)]
    )
    model = MoCo(
        encoder,
        projection_head=ProjectionHead(hidden_dims=(16,), output_dim=8, use_batch_norm=False),
        queue_size=queue_size,
        momentum=0.9,
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0))
    model.build(((None,) + IMAGE_SHAPE, (None,) + IMAGE_SHAPE))
    return model


def _weights(model):
    import numpy as np

    return [np.array(w) for w in model.get_weights()]


def _step(model, views, batch_size):
    """One `fit` step; returns (loss, gradient per weight)."""
    import numpy as np

    before = _weights(model)
    history = model.fit(views, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    after = _weights(model)
    return float(history.history["loss"][0]), [b - a for b, a in zip(before, after)], np.nan


def _compare(reference, candidate):
    import numpy as np

    loss_ref, grads_ref = reference
    loss, grads = candidate
    return {
        "loss_single": loss_ref,
        "loss_parallel": loss,
        "loss_diff": abs(loss - loss_ref),
        "grad_max_diff": max(float(np.max(np.abs(g - r))) for g, r in zip(grads, grads_ref)),
        "grad_max": max(float(np.max(np.abs(r))) for r in grads_ref),
    }


def run_jax():
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={NUM_DEVICES}"
    import jax
    import keras

    views = _data()
    single = _model()
    initial = _weights(single)
    loss, grads, _ = _step(single, views, GLOBAL_BATCH)

    devices = keras.distribution.list_devices("cpu")
    distribution = keras.distribution.DataParallel(devices=devices)
    with distribution.scope():
        parallel = _model()
        parallel.set_weights(initial)
        kernel = parallel.trainable_weights[0].value
        replicated_on = len(kernel.sharding.device_set)
        loss_p, grads_p, _ = _step(parallel, views, GLOBAL_BATCH)
    result = _compare((loss, grads), (loss_p, grads_p))

    # MoCo under DataParallel: same loss, weights, queue and pointer as on one device.
    import numpy as np

    single = _moco()
    initial = _weights(single)
    moco_loss, _, _ = _step(single, views, GLOBAL_BATCH)
    with distribution.scope():
        parallel = _moco()
        parallel.set_weights(initial)
        moco_loss_p, _, _ = _step(parallel, views, GLOBAL_BATCH)
    result["moco_loss_diff"] = abs(moco_loss - moco_loss_p)
    result["moco_state_max_diff"] = max(
        float(np.max(np.abs(a - b))) for a, b in zip(_weights(single), _weights(parallel))
    )

    # The same loss jitted on inputs sharded over the devices: XLA must communicate.
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    from ssl_keras.losses import nt_xent

    mesh = Mesh(jax.devices(), ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))
    z = jax.device_put(views[0].reshape(GLOBAL_BATCH, -1), sharding)
    compiled = jax.jit(lambda a, b: nt_xent(a, b, 0.2)).lower(z, z * 0.5 + 1).compile()
    hlo = compiled.as_text()
    result.update(
        num_devices=len(jax.devices()),
        variables_on_devices=replicated_on,
        input_shards=len(z.addressable_shards),
        hlo_collectives=sorted(
            op
            for op in ("all-gather", "all-reduce", "all-to-all", "collective-permute")
            if op in hlo
        ),
    )
    return result


def run_tensorflow():
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(NUM_DEVICES)]
    )
    views = _data()
    single = _model()
    initial = _weights(single)
    loss, grads, _ = _step(single, views, GLOBAL_BATCH)

    devices = [device.name for device in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices)
    result = {"num_devices": strategy.num_replicas_in_sync}
    for gather in (True, False):
        with strategy.scope():
            parallel = _model(gather_negatives=gather)
            parallel.set_weights(initial)
        loss_p, grads_p, _ = _step(parallel, views, GLOBAL_BATCH)
        comparison = _compare((loss, grads), (loss_p, grads_p))
        if gather:
            result.update(comparison)
        else:
            result["local_negatives_loss_diff"] = comparison["loss_diff"]

    # 18 images in batches of 16: the last batch (2 images) is split unevenly (1, 1, 0, 0).
    import numpy as np

    uneven = tuple(np.concatenate([v, v[:2] * 0.5]) for v in views)
    single = _model()
    single.set_weights(initial)
    single.fit(uneven, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
    with strategy.scope():
        parallel = _model()
        parallel.set_weights(initial)
    parallel.fit(uneven, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
    result["uneven_weights_max_diff"] = max(
        float(np.max(np.abs(a - b))) for a, b in zip(_weights(single), _weights(parallel))
    )

    # MoCo refuses replicas (its queue would need every replica's keys).
    with strategy.scope():
        moco = _moco()
    try:
        moco.fit(views, batch_size=GLOBAL_BATCH, epochs=1, verbose=0)
        result["moco_refused"] = False
    except ValueError as error:
        result["moco_refused"] = "does not support" in str(error)
    return result


def _torch_worker(rank, port, folder, initial_path):
    os.environ["KERAS_BACKEND"] = "torch"
    import numpy as np
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=NUM_DEVICES
    )
    from ssl_keras.distributed import torch_data_parallel

    views = _data()
    local = GLOBAL_BATCH // NUM_DEVICES
    shard = tuple(v[rank * local : (rank + 1) * local] for v in views)
    # Different initial weights per process: torch_data_parallel must broadcast rank 0's.
    model = _model(seed=rank)
    if rank == 0:
        initial = dict(np.load(initial_path))
        model.set_weights([initial[f"w{i}"] for i in range(len(initial))])
    torch_data_parallel(model)
    loss, grads, _ = _step(model, shard, local)
    np.savez(
        os.path.join(folder, f"rank{rank}.npz"),
        loss=np.float64(loss),
        **{f"g{i}": g for i, g in enumerate(grads)},
    )
    dist.destroy_process_group()


def run_torch():
    import numpy as np
    import torch
    import torch.multiprocessing as mp

    import ssl_keras  # noqa: F401  (imported once here, inherited by the forked workers)

    views = _data()
    with tempfile.TemporaryDirectory() as folder:
        single = _model()
        initial = _weights(single)
        initial_path = os.path.join(folder, "initial.npz")
        np.savez(initial_path, **{f"w{i}": w for i, w in enumerate(initial)})
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # fork, not spawn: the workers inherit the imported modules (spawn re-imports
        # keras and torch in each process, ~20 s each on a small CPU).
        torch.set_num_threads(1)
        context = mp.start_processes(
            _torch_worker,
            args=(port, folder, initial_path),
            nprocs=NUM_DEVICES,
            join=False,
            start_method="fork",
        )
        while not context.join():
            pass
        loss, grads, _ = _step(single, views, GLOBAL_BATCH)
        ranks = [dict(np.load(os.path.join(folder, f"rank{r}.npz"))) for r in range(NUM_DEVICES)]
    # Each process reports its share of the loss; the global loss is their mean. The
    # gradients must be identical on every process (averaged in backward).
    loss_p = float(np.mean([r["loss"] for r in ranks]))
    grads_p = [ranks[0][f"g{i}"] for i in range(len(grads))]
    result = _compare((loss, grads), (loss_p, grads_p))
    result["num_devices"] = NUM_DEVICES
    result["grad_rank_spread"] = max(
        float(np.max(np.abs(r[f"g{i}"] - ranks[0][f"g{i}"])))
        for r in ranks
        for i in range(len(grads))
    )
    return result


if __name__ == "__main__":
    backend = sys.argv[1]
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    runner = {"jax": run_jax, "tensorflow": run_tensorflow, "torch": run_torch}[backend]
    print("RESULT " + json.dumps(runner()))
