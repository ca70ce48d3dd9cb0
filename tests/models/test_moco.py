"""MoCo v2: the queue's negatives enter InfoNCE as in the paper, FIFO queue updates, the
momentum formula, a short fit, and the save round trip. Oracles are NumPy."""

import keras
import numpy as np
import pytest

from ssl_keras.layers import ProjectionHead
from ssl_keras.models.moco import MoCo
from tests.models.helpers import IMAGE_SHAPE, NoiseViews, tiny_images, to_numpy, toy_encoder
from tests.models.ssl_model_checks import (
    check_target_is_a_frozen_copy,
    dense_encoder,
    view_pair,
)

DIM = 6


def make_model(encoder=None, queue_size=8, momentum=0.9, temperature=0.2):
    model = MoCo(
        dense_encoder() if encoder is None else encoder,
        projection_head=ProjectionHead(hidden_dims=(10,), output_dim=DIM, use_batch_norm=False),
        augmentation=NoiseViews(seed=3),
        queue_size=queue_size,
        momentum=momentum,
        temperature=temperature,
        seed=7,
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5))
    model.build(((None,) + IMAGE_SHAPE, (None,) + IMAGE_SHAPE))
    return model


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def numpy_info_nce(query, key, queue, temperature):
    """MoCo's Algorithm 1 / Eq. 1 with the queue's rows as the negatives, one query at a time."""
    query, key = unit(query.astype("float64")), unit(key.astype("float64"))
    losses = []
    for q, k in zip(query, key):
        logits = np.concatenate([[q @ k], queue.astype("float64") @ q]) / temperature
        losses.append(np.log(np.sum(np.exp(logits))) - logits[0])
    return float(np.mean(losses))


def weights(variables):
    return [to_numpy(v) for v in variables]


def query_and_key_weights(model):
    query = model.encoder.weights + model.projection_head.weights
    key = model.momentum_encoder.weights + model.momentum_projection_head.weights
    return weights(query), weights(key)


def keys_of(model, view_b):
    features = model.momentum_encoder(view_b, training=False)
    return unit(to_numpy(model.momentum_projection_head(features, training=False)))


def test_key_encoder_starts_as_a_frozen_copy_of_the_query_encoder():
    model = make_model()
    check_target_is_a_frozen_copy(model, (model.encoder, model.projection_head),
                                  (model.momentum_encoder, model.momentum_projection_head))


def test_loss_is_info_nce_with_the_queue_as_negatives():
    model = make_model()
    view_a, view_b = view_pair(4, seed=0)
    # A queue we choose: the loss must use exactly these rows as the negatives.
    queue = unit(np.random.default_rng(1).normal(size=(8, DIM))).astype("float32")
    model.queue.assign(queue)
    outputs = model((view_a, view_b), training=False)
    loss = float(to_numpy(model.compute_loss(y_pred=outputs, training=False)))
    query, key = to_numpy(outputs["z_q"]), to_numpy(outputs["z_k"])
    np.testing.assert_allclose(loss, numpy_info_nce(query, key, queue, 0.2), rtol=1e-5)
    # Changing one queued key changes the loss exactly as the oracle says.
    queue[5] = -unit(query[0])
    model.queue.assign(queue)
    loss = float(to_numpy(model.compute_loss(y_pred=outputs, training=False)))
    np.testing.assert_allclose(loss, numpy_info_nce(query, key, queue, 0.2), rtol=1e-5)
    # Evaluation (training=False) leaves the queue alone.
    np.testing.assert_array_equal(to_numpy(model.queue), queue)
    assert int(to_numpy(model.queue_pointer)) == 0


def test_fit_step_loss_momentum_update_and_fifo_queue():
    queue_size, batch, momentum = 8, 3, 0.9
    model = make_model(queue_size=queue_size, momentum=momentum)
    # Start the key encoder away from the query encoder so the formula is not trivial.
    rng = np.random.default_rng(2)
    key_variables = model.momentum_encoder.weights + model.momentum_projection_head.weights
    for variable in key_variables:
        variable.assign(to_numpy(variable) + rng.normal(0, 0.1, variable.shape))
    expected_queue = to_numpy(model.queue).copy()
    expected_pointer = 0
    for step in range(3):  # 3 batches of 3 into a queue of 8: the pointer wraps to 1
        view_a, view_b = view_pair(batch, seed=10 + step)
        query_before, key_before = query_and_key_weights(model)
        outputs = model((view_a, view_b), training=False)  # no BatchNorm: same as training
        history = model.fit((view_a, view_b), batch_size=batch, epochs=1, shuffle=False, verbose=0)
        _, key_after = query_and_key_weights(model)
        # Momentum update, applied once per step with the pre-step query weights.
        for before_k, before_q, after in zip(key_before, query_before, key_after):
            np.testing.assert_allclose(
                after, momentum * before_k + (1 - momentum) * before_q, rtol=1e-5, atol=1e-6
            )
        # The keys of this step come from the updated key encoder.
        keys = keys_of(model, view_b)
        # The loss is InfoNCE against the queue *before* this batch's keys were enqueued.
        expected_loss = numpy_info_nce(to_numpy(outputs["z_q"]), keys, expected_queue, 0.2)
        np.testing.assert_allclose(history.history["loss"][0], expected_loss, rtol=1e-4)
        # FIFO: the batch's keys overwrite the `batch` oldest rows, wrapping around.
        for i in range(batch):
            expected_queue[(expected_pointer + i) % queue_size] = keys[i]
        expected_pointer = (expected_pointer + batch) % queue_size
        np.testing.assert_allclose(to_numpy(model.queue), expected_queue, rtol=1e-5, atol=1e-6)
        assert int(to_numpy(model.queue_pointer)) == expected_pointer
    assert expected_pointer == 1


def test_short_fit_on_images_with_batch_norm():
    model = make_model(encoder=toy_encoder(output_dim=8), queue_size=16, momentum=0.5)
    images, _ = tiny_images(24, seed=0)
    # One step: the momentum average covers the query's trainable weights; the key
    # encoder's BatchNorm statistics are its own, updated by its training-mode forward.
    query_before, key_before = query_and_key_weights(model)
    trainable = [v.trainable for v in model.encoder.weights + model.projection_head.weights]
    model.fit(images[:8], batch_size=8, epochs=1, verbose=0)
    _, key_after = query_and_key_weights(model)
    assert any("moving_mean" in v.path for v in model.momentum_encoder.weights)
    assert not all(trainable)
    for before_k, before_q, after, is_trainable in zip(
        key_before, query_before, key_after, trainable
    ):
        if is_trainable:
            np.testing.assert_allclose(after, 0.5 * before_k + 0.5 * before_q, rtol=1e-5, atol=1e-6)
        else:  # moving mean / variance: moved by the key batch, not averaged
            assert not np.allclose(after, 0.5 * before_k + 0.5 * before_q)
            assert not np.allclose(after, before_k)
    # A short fit from augmented images trains the query encoder only.
    encoder_before = weights(model.encoder.trainable_weights)
    history = model.fit(images[8:], batch_size=8, epochs=1, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert set(history.history) >= {"loss", "top1_accuracy"}
    assert any(
        not np.allclose(b, a)
        for b, a in zip(encoder_before, weights(model.encoder.trainable_weights))
    )
    trainable = {id(v) for v in model.trainable_weights}
    assert not any(id(v) in trainable for v in model.momentum_encoder.weights)
    assert id(model.queue) not in trainable
    assert int(to_numpy(model.queue_pointer)) == (8 + 16) % 16


def test_get_config_and_save_round_trip(tmp_path):
    model = make_model(queue_size=12)
    images, _ = tiny_images(8, seed=0)
    model.fit(images, batch_size=4, epochs=1, verbose=0)
    config = model.get_config()
    assert config["queue_size"] == 12 and config["momentum"] == 0.9
    assert config["temperature"] == 0.2 and config["seed"] == 7
    path = str(tmp_path / "moco.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, MoCo)
    loaded_config = loaded.get_config()
    for key in ("queue_size", "momentum", "temperature", "seed"):
        assert loaded_config[key] == config[key]
    for key in ("encoder", "projection_head", "augmentation"):
        assert loaded_config[key]["class_name"] == config[key]["class_name"]
    for original, restored in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(to_numpy(original), to_numpy(restored))
    np.testing.assert_array_equal(to_numpy(loaded.queue), to_numpy(model.queue))
    assert int(to_numpy(loaded.queue_pointer)) == 8 % 12
    view_a, view_b = view_pair(4, seed=1)
    np.testing.assert_allclose(
        to_numpy(loaded((view_a, view_b))["z_k"]),
        to_numpy(model((view_a, view_b))["z_k"]),
        rtol=1e-5,
        atol=1e-6,
    )


def test_key_encoder_in_inference_mode_uses_and_averages_its_moving_statistics():
    model = MoCo(toy_encoder(output_dim=8),
                 projection_head=ProjectionHead(hidden_dims=(10,), output_dim=DIM,
                                                use_batch_norm=False),
                 augmentation=NoiseViews(seed=3), queue_size=16, momentum=0.5, seed=7,
                 key_encoder_training=False)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5))
    model.build(((None,) + IMAGE_SHAPE, (None,) + IMAGE_SHAPE))
    assert model.get_config()["key_encoder_training"] is False
    assert MoCo.from_config(model.get_config()).key_encoder_training is False
    # Moving statistics far from any batch's, so that the two BatchNorm modes differ.
    statistics = [v for v in model.momentum_encoder.weights if "moving" in v.path]
    assert len(statistics) == 2
    for variable in statistics:
        variable.assign(np.full(variable.shape, 3.0 if "variance" in variable.path else 0.5))
    view_a, view_b = view_pair(8, seed=2)
    keys = to_numpy(model((view_a, view_b), training=True)["z_k"])
    # The call applied the momentum update first; the keys are the key encoder's
    # inference-mode output, not its batch-statistics output.
    inference = model.momentum_projection_head(model.momentum_encoder(view_b, training=False))
    np.testing.assert_allclose(keys, to_numpy(inference), rtol=1e-5, atol=1e-6)
    # One fit step: the key encoder's moving statistics are averaged from the query's
    # with the momentum, like the weights: s_k <- m s_k + (1 - m) s_q (NumPy oracle),
    # with the query's values from before the step (the update comes first).
    query_statistics = [v for v in model.encoder.weights if "moving" in v.path]
    assert len(query_statistics) == 2
    key_before, query_before = weights(statistics), weights(query_statistics)
    query_first = query_before
    images, _ = tiny_images(16, seed=0)
    model.fit(images[:8], batch_size=8, epochs=1, verbose=0)
    for k_before, q_before, after in zip(key_before, query_before, weights(statistics)):
        assert not np.allclose(k_before, q_before)
        expected = 0.5 * k_before.astype("float64") + 0.5 * q_before.astype("float64")
        np.testing.assert_allclose(after, expected, rtol=1e-5, atol=1e-6)
    # The query's own statistics moved in its training-mode pass; the next step averages
    # the moved values.
    key_before, query_before = weights(statistics), weights(query_statistics)
    assert not all(np.allclose(a, b) for a, b in zip(query_before, query_first))
    model.fit(images[8:], batch_size=8, epochs=1, verbose=0)
    for k_before, q_before, after in zip(key_before, query_before, weights(statistics)):
        np.testing.assert_allclose(after, 0.5 * k_before + 0.5 * q_before, rtol=1e-5, atol=1e-6)
    batch_mode = model.momentum_projection_head(model.momentum_encoder(view_b, training=True))
    inference = model.momentum_projection_head(model.momentum_encoder(view_b, training=False))
    assert not np.allclose(to_numpy(batch_mode), to_numpy(inference), atol=1e-3)


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"key_encoder_training": "no"}, "key_encoder_training"),
        ({"queue_size": 0}, "queue_size"),
        ({"queue_size": 2.5}, "queue_size"),
        ({"momentum": 1.5}, "momentum"),
        ({"temperature": 0.0}, "temperature"),
    ],
)
def test_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        MoCo(dense_encoder(), **arguments)


def test_rejects_a_batch_larger_than_the_queue():
    model = make_model(queue_size=4)
    with pytest.raises(ValueError, match="queue_size"):
        model.enqueue(np.zeros((5, DIM), "float32"))
