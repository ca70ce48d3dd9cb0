"""SimCLR: training with plain fit() on every backend, metrics, probe, temperature, saving."""

import math

import keras
import numpy as np
import pytest

from ssl_keras.layers import ProjectionHead, SimCLRAugmentation
from ssl_keras.losses import nt_xent
from ssl_keras.models import SimCLR, contrastive_ranking, embedding_std
from tests.models.helpers import IMAGE_SHAPE, NoiseViews, tiny_images, to_numpy, toy_encoder

BATCH = 8
CONTRASTIVE_METRICS = {
    "loss",
    "ssl_loss",
    "top1_accuracy",
    "top5_accuracy",
    "positive_rank",
    "embedding_std",
    "temperature",
}
PROBE_METRICS = {"probe_loss", "probe_accuracy"}
BACKEND = keras.backend.backend()


def make_model(num_classes=None, seed=0, **kwargs):
    """A toy SimCLR: every test uses the same layer shapes, so compiled kernels are shared."""
    return SimCLR(
        toy_encoder(),
        ProjectionHead(hidden_dims=(8,), output_dim=8),
        NoiseViews(seed=seed),
        num_classes=num_classes,
        **kwargs,
    )


# ------------------------------------------------------ metric helpers (oracles)


def _ranking_oracle(z_a, z_b, ks=(1, 5)):
    """Expected rank / top-k hit of each positive under random tie-breaking, by loops."""
    z = np.concatenate([z_a, z_b]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    two_n, n = len(z), len(z_a)
    ranks, hits = [], {k: [] for k in ks}
    for i in range(two_n):
        j = (i + n) % two_n
        others = [float(z[i] @ z[k]) for k in range(two_n) if k not in (i, j)]
        positive = float(z[i] @ z[j])
        greater = sum(s > positive + 1e-9 for s in others)
        ties = sum(abs(s - positive) <= 1e-9 for s in others)
        ranks.append(1 + greater + ties / 2)
        for k in ks:
            # The positive lands uniformly on one of the positions greater+1 .. greater+ties+1.
            positions = range(greater + 1, greater + ties + 2)
            hits[k].append(np.mean([p <= k for p in positions]))
    return np.array(ranks), {k: np.array(v) for k, v in hits.items()}


def test_contrastive_ranking_matches_loop(rng):
    z_a = rng.normal(size=(6, 4)).astype("float32")
    z_b = (z_a + rng.normal(scale=0.8, size=(6, 4))).astype("float32")
    result = contrastive_ranking(z_a, z_b)
    ranks, hits = _ranking_oracle(z_a, z_b)
    np.testing.assert_allclose(to_numpy(result["rank"]), ranks)
    np.testing.assert_allclose(to_numpy(result["top1_accuracy"]), hits[1])
    np.testing.assert_allclose(to_numpy(result["top5_accuracy"]), hits[5])


def test_contrastive_ranking_closed_forms():
    n = 4
    # Identical views of orthonormal images: every positive ranks first.
    z = np.eye(n, 8, dtype="float32")
    result = contrastive_ranking(z, z)
    np.testing.assert_allclose(to_numpy(result["rank"]), np.ones(2 * n))
    np.testing.assert_allclose(to_numpy(result["top1_accuracy"]), np.ones(2 * n))
    # Complete collapse: all 2N - 1 candidates tie, so the scores are chance level.
    z = np.ones((n, 8), "float32")
    result = contrastive_ranking(z, z)
    np.testing.assert_allclose(to_numpy(result["rank"]), np.full(2 * n, n))
    np.testing.assert_allclose(to_numpy(result["top1_accuracy"]), np.full(2 * n, 1 / (2 * n - 1)))
    np.testing.assert_allclose(to_numpy(result["top5_accuracy"]), np.full(2 * n, 5 / (2 * n - 1)))


def test_embedding_std(rng):
    z = rng.normal(size=(10, 6)).astype("float32")
    normalized = z / np.linalg.norm(z, axis=1, keepdims=True)
    np.testing.assert_allclose(to_numpy(embedding_std(z)), normalized.std(0).mean(), rtol=1e-5)
    # Collapsed -> 0; isotropic in d dimensions -> about 1 / sqrt(d).
    assert float(to_numpy(embedding_std(np.tile(z[:1], (10, 1))))) < 1e-6
    d = 64
    spread = rng.normal(size=(4000, d)).astype("float32")
    np.testing.assert_allclose(to_numpy(embedding_std(spread)), 1 / math.sqrt(d), rtol=0.05)


# ------------------------------------------------------------------ training


class _TemperatureLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.values = []

    def on_train_batch_end(self, batch, logs=None):
        self.values.append(float(logs["temperature"]))


@pytest.fixture(scope="module")
def trained():
    """One jit-compiled fit with labels and a learned temperature, shared by several tests."""
    keras.utils.set_random_seed(0)
    images, labels = tiny_images(2 * BATCH)
    model = make_model(num_classes=4, learn_temperature=True, temperature_bounds=(0.1, 1.0))
    # XLA on jax and tensorflow; torch.compile is too slow for a unit test.
    model.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=BACKEND != "torch")
    log = _TemperatureLog()
    history = model.fit(
        images, labels, batch_size=BATCH, epochs=4, shuffle=False, verbose=0, callbacks=[log]
    )
    return model, history.history, log.values, images


def test_fit_reports_all_metrics_in_valid_ranges(trained):
    model, history, _, _ = trained
    assert model.jit_compile == (BACKEND != "torch")
    assert set(history) == CONTRASTIVE_METRICS | PROBE_METRICS
    for values in history.values():
        assert len(values) == 4 and np.all(np.isfinite(values))
    candidates = 2 * BATCH - 1
    assert all(0 <= a <= b <= 1 for a, b in zip(history["top1_accuracy"], history["top5_accuracy"]))
    assert all(1 <= r <= candidates for r in history["positive_rank"])
    assert all(0 <= s <= 1 for s in history["embedding_std"])
    assert all(0 <= a <= 1 for a in history["probe_accuracy"])
    # The total loss is what the optimizer minimised: NT-Xent plus the probe's loss.
    np.testing.assert_allclose(
        history["loss"],
        np.add(history["ssl_loss"], history["probe_loss"]),
        rtol=1e-4,
    )


def test_fit_decreases_the_loss(trained):
    _, history, _, _ = trained
    assert history["ssl_loss"][-1] < history["ssl_loss"][0]
    # ... and below log(2N - 1), the loss of collapsed embeddings (all similarities equal).
    assert history["ssl_loss"][-1] < math.log(2 * BATCH - 1)


def test_metrics_reset_every_epoch(trained):
    model, history, _, _ = trained
    steps = 2  # 16 images, batch 8
    # Mean metrics count their updates: one per step for scalars, 2N per step for the
    # per-anchor rank. Without the per-epoch reset they would have counted 4 epochs.
    assert float(to_numpy(model.ssl_loss_tracker.count)) == steps
    assert float(to_numpy(model.positive_rank_tracker.count)) == steps * 2 * BATCH
    assert len(set(np.round(history["ssl_loss"], 6))) == 4


def test_learned_temperature_changes_within_bounds(trained):
    model, history, batch_values, _ = trained
    assert model.log_temperature.trainable
    low, high = model.temperature_bounds
    assert all(low <= t <= high for t in batch_values + history["temperature"])
    final = float(to_numpy(model.current_temperature()))
    assert abs(final - 0.5) > 1e-3 and low <= final <= high


def test_learned_temperature_is_clamped():
    model = make_model(learn_temperature=True, temperature_bounds=(0.05, 0.8))
    model.log_temperature.assign(math.log(5.0))
    np.testing.assert_allclose(to_numpy(model.current_temperature()), 0.8, rtol=1e-6)
    model.log_temperature.assign(math.log(1e-4))
    np.testing.assert_allclose(to_numpy(model.current_temperature()), 0.05, rtol=1e-6)


def test_fixed_temperature_is_not_a_weight():
    model = make_model(temperature=0.2)
    assert model.log_temperature is None
    np.testing.assert_allclose(to_numpy(model.current_temperature()), 0.2, rtol=1e-7)


def test_save_and_load_round_trip(trained, tmp_path):
    model, _, _, images = trained
    path = str(tmp_path / "simclr.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, SimCLR) and isinstance(loaded.augmentation, NoiseViews)
    assert loaded.get_config()["temperature_bounds"] == [0.1, 1.0]
    np.testing.assert_allclose(
        to_numpy(loaded.encoder(images, training=False)),
        to_numpy(model.encoder(images, training=False)),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        to_numpy(loaded.current_temperature()), to_numpy(model.current_temperature())
    )
    for original, revived in zip(model.linear_probe.weights, loaded.linear_probe.weights):
        np.testing.assert_allclose(to_numpy(revived), to_numpy(original))


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_probe_does_not_train_the_encoder():
    """Labels only feed the probe: the encoder's update is the same with and without."""
    images, labels = tiny_images(BATCH)
    views = (images.astype("float32"), np.flip(images, axis=2).astype("float32"))
    with_labels = make_model(num_classes=4)
    with_labels.build(views[0].shape)
    without_labels = SimCLR.from_config(with_labels.get_config())
    without_labels.build(views[0].shape)
    without_labels.set_weights(with_labels.get_weights())
    probe_before = to_numpy(with_labels.linear_probe.kernel)
    for model, targets in ((with_labels, labels), (without_labels, None)):
        model.compile(optimizer=keras.optimizers.SGD(0.1))
        model.fit(views, targets, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(with_labels.encoder.weights, without_labels.encoder.weights):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-6)
    # ... while the probe itself did learn.
    assert not np.allclose(to_numpy(with_labels.linear_probe.kernel), probe_before)


def _probe_cross_entropy(outputs, labels):
    """Mean softmax cross-entropy of both views' probe logits, in float64 NumPy."""
    logits = np.concatenate([outputs["probe_logits_a"], outputs["probe_logits_b"]])
    logits = logits.astype(np.float64)
    log_softmax = logits - logits.max(1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(1, keepdims=True))
    return -log_softmax[np.arange(len(logits)), np.concatenate([labels, labels])].mean()


def test_compute_loss_is_nt_xent_plus_probe_plus_regularization():
    images, labels = tiny_images(BATCH)
    encoder = toy_encoder(kernel_regularizer=keras.regularizers.L2(0.1))
    model = SimCLR(
        encoder,
        ProjectionHead(hidden_dims=(8,), output_dim=8),
        NoiseViews(seed=0),
        temperature=0.3,
        num_classes=4,
    )
    outputs = model.predict(images, batch_size=BATCH, verbose=0)  # inference mode
    total = float(to_numpy(model.compute_loss(images, labels, outputs, training=False)))

    contrastive = float(to_numpy(nt_xent(outputs["z_a"], outputs["z_b"], 0.3)))
    probe = _probe_cross_entropy(outputs, labels)
    regularization = 0.1 * np.sum(to_numpy(encoder.get_layer("conv").kernel) ** 2)
    np.testing.assert_allclose(total, contrastive + probe + regularization, rtol=1e-5)
    # Without labels the probe is left out.
    unlabeled = float(to_numpy(model.compute_loss(images, None, outputs, training=False)))
    np.testing.assert_allclose(unlabeled, contrastive + regularization, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_fit_without_labels_with_default_augmentation_positives_only():
    """No labels: no probe metrics, and the total loss is the self-supervised loss.

    Also the integration test of the default `SimCLRAugmentation` inside a compiled step.
    """
    images, _ = tiny_images(2 * BATCH)
    model = SimCLR(
        toy_encoder(),
        ProjectionHead(hidden_dims=(8,), output_dim=8),
        num_classes=4,
        objective="positives_only",
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(images, batch_size=BATCH, epochs=1, verbose=0).history
    assert set(history) == CONTRASTIVE_METRICS
    np.testing.assert_allclose(history["loss"], history["ssl_loss"], rtol=1e-5)
    assert -1.0 <= history["ssl_loss"][0] <= 1.0


def test_mixed_precision_loss_is_float32():
    images, labels = tiny_images(BATCH)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = make_model(num_classes=4, learn_temperature=True)
        outputs = model.predict(images, batch_size=BATCH, verbose=0)
        loss = model.compute_loss(images, labels, outputs)
    finally:
        keras.config.set_dtype_policy(previous)
    assert outputs["z_a"].dtype == np.float16
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    assert keras.backend.standardize_dtype(model.log_temperature.dtype) == "float32"
    z_a, z_b = outputs["z_a"].astype("float32"), outputs["z_b"].astype("float32")
    expected = float(to_numpy(nt_xent(z_a, z_b, 0.5))) + _probe_cross_entropy(outputs, labels)
    np.testing.assert_allclose(float(to_numpy(loss)), expected, rtol=1e-3)


def test_default_augmentation_and_head():
    model = SimCLR(toy_encoder())
    assert isinstance(model.augmentation, SimCLRAugmentation)
    assert model.augmentation.preset == "cifar"
    assert isinstance(model.projection_head, ProjectionHead)
    assert model.projection_head.hidden_dims == (512,)
    assert model.projection_head.output_dim == 128
    assert model.linear_probe is None and model.log_temperature is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature": 0}, "`temperature` should be > 0. Received: temperature=0"),
        ({"temperature": -0.5}, "`temperature` should be > 0"),
        ({"temperature_bounds": (0.0, 1.0)}, "`temperature_bounds` should be"),
        ({"temperature_bounds": (0.5, 0.1)}, "`temperature_bounds` should be"),
        ({"temperature": 2.0, "learn_temperature": True}, "should start within"),
        ({"num_classes": 0}, "`num_classes` should be a positive integer"),
        ({"objective": "byol"}, "`objective` should be one of"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_model(**kwargs)


def test_bad_inputs_raise():
    model = make_model()
    with pytest.raises(ValueError, match="expects images of shape"):
        model(np.zeros((4, 16, 16), "float32"))
    with pytest.raises(ValueError, match="pair"):
        model((np.zeros((4,) + IMAGE_SHAPE),) * 3)
