"""Data-parallel SimCLR on 4 virtual CPU devices equals the single-device step.

Each backend's check runs in a subprocess (the devices must be configured before the
backend starts) and only on that backend's test pass:
- jax: `--xla_force_host_platform_device_count=4` + `keras.distribution.DataParallel`;
- tensorflow: 4 logical CPUs + `tf.distribute.MirroredStrategy`;
- torch: 4 gloo processes (forked) + `ssl_keras.distributed.torch_data_parallel`.
One SGD step with learning rate 1: the weight change is the gradient.
"""

import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

SCRIPT = pathlib.Path(__file__).with_name("data_parallel_check.py")
ROOT = SCRIPT.parents[2]
BACKEND = keras.backend.backend()


@pytest.fixture(scope="module")
def result():
    environment = {**os.environ, "KERAS_BACKEND": BACKEND, "TF_CPP_MIN_LOG_LEVEL": "3"}
    environment.pop("XLA_FLAGS", None)
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), BACKEND],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=300,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    assert completed.returncode == 0 and lines, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_four_devices_are_used(result):
    assert result["num_devices"] == 4
    if BACKEND == "jax":
        # Variables replicated on the 4 devices and the batch split in 4 shards.
        assert result["variables_on_devices"] == 4
        assert result["input_shards"] == 4
        # The loss on a batch sharded over the devices needs cross-device collectives.
        assert (
            "all-gather" in result["hlo_collectives"] or "all-reduce" in result["hlo_collectives"]
        )


def test_loss_equals_single_device_global_batch_loss(result):
    assert result["loss_diff"] < 1e-5 * max(1.0, abs(result["loss_single"]))


def test_gradients_equal_single_device_gradients(result):
    # The gradients are not trivially small: the comparison is meaningful.
    assert result["grad_max"] > 1e-2
    assert result["grad_max_diff"] < 1e-5 * result["grad_max"] + 1e-6


@pytest.mark.skipif(BACKEND != "tensorflow", reason="per-replica negatives exist on tf/torch")
def test_without_gathering_the_loss_is_the_per_replica_loss(result):
    # Control: with `gather_negatives=False` each replica only sees its own shard, so the
    # loss differs; the gathered loss matching is therefore not an accident.
    assert result["local_negatives_loss_diff"] > 1e-2


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute splits short batches")
def test_uneven_last_batch_gives_the_single_device_weights(result):
    # 18 images, global batch 16: the last 2 images are split 1, 1, 0, 0 over replicas.
    assert result["uneven_weights_max_diff"] < 1e-5


@pytest.mark.skipif(BACKEND != "jax", reason="MoCo is data-parallel on jax only")
def test_moco_under_data_parallel_equals_one_device(result):
    # Loss, and every weight after one step: encoder, momentum encoder, queue, pointer.
    assert result["moco_loss_diff"] < 1e-5
    assert result["moco_state_max_diff"] < 1e-5


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute replicas")
def test_moco_refuses_replicas(result):
    assert result["moco_refused"]


@pytest.mark.skipif(BACKEND != "torch", reason="one process per device on torch only")
def test_every_process_applies_the_same_gradient(result):
    assert result["grad_rank_spread"] == 0.0
