"""The per-replica NT-Xent terms, simulated for R replicas in one process, are exactly
the global-batch NT-Xent; with one replica they are `nt_xent_per_example`."""

import importlib

import numpy as np
import pytest

from ssl_keras.distributed import collectives, gathered_nt_xent, gathered_nt_xent_per_example
from ssl_keras.losses import nt_xent_per_example
from tests.conftest import to_numpy

# The package attribute `gathered_nt_xent` is the function; the module holds its helpers.
module = importlib.import_module("ssl_keras.distributed.gathered_nt_xent")


def numpy_nt_xent_terms(z_a, z_b, temperature):
    """SimCLR's Algorithm 1 as a loop: l(i, j) for the 2N anchors of [z_a; z_b]."""
    z = np.concatenate([z_a, z_b]).astype("float64")
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    two_n = len(z)
    terms = []
    for i in range(two_n):
        j = (i + two_n // 2) % two_n
        sims = [z[i] @ z[k] / temperature for k in range(two_n) if k != i]
        terms.append(-(z[i] @ z[j] / temperature) + np.log(np.sum(np.exp(sims))))
    return np.array(terms)


def test_single_replica_is_nt_xent(rng):
    z_a, z_b = rng.normal(size=(2, 6, 5)).astype("float32")
    np.testing.assert_allclose(
        to_numpy(gathered_nt_xent_per_example(z_a, z_b, 0.3)),
        to_numpy(nt_xent_per_example(z_a, z_b, 0.3)),
        rtol=1e-6,
    )


@pytest.mark.parametrize("sizes", [(3, 3), (3, 3, 3, 3), (2, 4, 3)])
def test_simulated_replicas_give_the_global_loss(rng, monkeypatch, sizes):
    num_replicas, temperature = len(sizes), 0.2
    z_a, z_b = rng.normal(size=(2, sum(sizes), 8)).astype("float32")
    bounds = np.cumsum((0,) + sizes)
    shards_a = [z_a[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]
    shards_b = [z_b[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]

    def fake_gather(x):
        """Every replica's value of `x`, concatenated in replica order."""
        x = to_numpy(x)
        if x.ndim == 1:  # a shard size (int) or a number of anchors (float)
            counts = np.array(sizes) * (1 if "int" in str(x.dtype) else 2)
            return counts.astype(x.dtype)
        for shards in (shards_a, shards_b):
            if any(s.shape == x.shape and np.allclose(s, x) for s in shards):
                return np.concatenate(shards)
        raise AssertionError("unexpected gather")

    monkeypatch.setattr(module, "all_gather", fake_gather)
    terms_a, terms_b, losses = [], [], []
    for replica in range(num_replicas):
        # Replica `replica` sees its own shard; the gather returns every replica's shard.
        monkeypatch.setattr(module, "replica_context", lambda r=replica: (r, num_replicas))
        n = sizes[replica]
        terms = to_numpy(
            gathered_nt_xent_per_example(shards_a[replica], shards_b[replica], temperature)
        )
        terms_a.append(terms[:n])
        terms_b.append(terms[n:])
        losses.append(float(gathered_nt_xent(shards_a[replica], shards_b[replica], temperature)))
    # Reassembled in global anchor order [Z_a; Z_b], the terms are the global terms.
    expected = numpy_nt_xent_terms(z_a, z_b, temperature)
    np.testing.assert_allclose(np.concatenate(terms_a + terms_b), expected, rtol=1e-5)
    # The mean of the replicas' losses is the global loss, even for unequal shards; a
    # single shard's own (non-gathered) loss is not.
    np.testing.assert_allclose(np.mean(losses), expected.mean(), rtol=1e-5)
    local = to_numpy(nt_xent_per_example(shards_a[0], shards_b[0], temperature)).mean()
    assert abs(local - losses[0]) > 1e-2


def test_collectives_are_identities_on_one_device(rng):
    x = rng.normal(size=(4, 3)).astype("float32")
    assert collectives.replica_context() == (0, 1)
    np.testing.assert_array_equal(to_numpy(collectives.all_gather(x)), x)
    assert float(collectives.scale_loss_for_replicas(np.float32(2.5))) == 2.5


def test_torch_data_parallel_rejects_other_backends_and_unbuilt_models():
    import keras

    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="torch_data_parallel"):
        collectives.torch_data_parallel(model)


def test_simclr_gather_negatives_option_round_trips_and_is_nt_xent_on_one_device(rng):
    import keras

    from ssl_keras.layers import ProjectionHead
    from ssl_keras.models import SimCLR

    def model(gather):
        encoder = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Flatten()])
        return SimCLR(
            encoder,
            projection_head=ProjectionHead(hidden_dims=(), output_dim=4),
            gather_negatives=gather,
        )

    for gather in (True, False):
        restored = SimCLR.from_config(model(gather).get_config())
        assert restored.gather_negatives is gather
    import inspect

    assert inspect.signature(SimCLR).parameters["gather_negatives"].default is True
    z_a, z_b = rng.normal(size=(2, 6, 4)).astype("float32")
    outputs = {"z_a": z_a, "z_b": z_b}
    losses = [float(to_numpy(model(g).compute_loss(y_pred=outputs))) for g in (True, False)]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)
    np.testing.assert_allclose(losses[0], numpy_nt_xent_terms(z_a, z_b, 0.5).mean(), rtol=1e-5)
