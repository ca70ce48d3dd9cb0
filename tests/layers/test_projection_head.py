import keras
import numpy as np
import pytest

from ssl_keras.layers.projection_head import ProjectionHead

EPSILON = 1e-3  # keras.layers.BatchNormalization's default epsilon


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


# Every test uses input width 8 and layer widths from {8, 4} (plus the default 512, 128):
# jax compiles a weight initializer per shape, so few shapes keep the tests fast.
def _features(batch=8, dim=8, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, dim)).astype("float32")


def _dense_weights(layer):
    return [to_numpy(w) for w in layer.weights]


def test_default_is_simclr_two_layer_head():
    head = ProjectionHead()
    out = head(_features())
    assert tuple(out.shape) == (8, 128)
    assert head.hidden_dims == (512,)
    kinds = [type(layer).__name__ for layer in head.hidden_layers]
    assert kinds == ["Dense", "BatchNormalization", "Activation"]
    # Linear (no bias: BN follows) - BN - ReLU - Linear (with bias).
    expected = 8 * 512 + 4 * 512 + 512 * 128 + 128
    assert head.count_params() == expected


def test_matches_numpy_mlp_without_batch_norm():
    x = _features()
    head = ProjectionHead(hidden_dims=(8, 8), output_dim=4, use_batch_norm=False)
    out = to_numpy(head(x))
    (w1, b1), (w2, b2), (w3, b3) = (
        _dense_weights(head.hidden_layers[0]),
        _dense_weights(head.hidden_layers[2]),
        _dense_weights(head.output_layer),
    )
    hidden = np.maximum(x @ w1 + b1, 0.0)
    hidden = np.maximum(hidden @ w2 + b2, 0.0)
    np.testing.assert_allclose(out, hidden @ w3 + b3, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("training", [True, False])
def test_matches_numpy_mlp_with_batch_norm(training):
    x = _features(batch=16)
    head = ProjectionHead(hidden_dims=(8,), output_dim=4, activation="tanh")
    out = to_numpy(head(x, training=training))
    (w1,) = _dense_weights(head.hidden_layers[0])
    w2, b2 = _dense_weights(head.output_layer)
    pre = x @ w1
    if training:  # batch statistics (biased variance), fresh gamma=1, beta=0
        normalized = (pre - pre.mean(0)) / np.sqrt(pre.var(0) + EPSILON)
    else:  # fresh moving statistics: mean 0, variance 1
        normalized = pre / np.sqrt(1.0 + EPSILON)
    np.testing.assert_allclose(out, np.tanh(normalized) @ w2 + b2, rtol=1e-4, atol=1e-4)


def test_empty_hidden_dims_is_a_linear_projection():
    x = _features()
    head = ProjectionHead(hidden_dims=(), output_dim=4)
    out = to_numpy(head(x))
    w, b = _dense_weights(head.output_layer)
    np.testing.assert_allclose(out, x @ w + b, rtol=1e-5, atol=1e-5)
    assert head.hidden_layers == []


def test_int_hidden_dims_means_one_hidden_layer():
    assert ProjectionHead(hidden_dims=32).hidden_dims == (32,)


def test_get_config_round_trip_gives_same_outputs():
    head = ProjectionHead(hidden_dims=(8, 8), output_dim=4, activation="gelu", name="g")
    x = _features()
    expected = to_numpy(head(x, training=False))
    config = head.get_config()
    assert config["hidden_dims"] == [8, 8] and config["output_dim"] == 4
    assert config["use_batch_norm"] is True and config["activation"] == "gelu"

    clone = ProjectionHead.from_config(config)
    clone.build(x.shape)
    clone.set_weights(head.get_weights())
    assert clone.get_config() == config
    np.testing.assert_allclose(to_numpy(clone(x, training=False)), expected, rtol=1e-6)

    # Through Keras's registry too (what model.save / load_model use).
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(head))
    assert isinstance(revived, ProjectionHead) and revived.get_config() == config


def test_saved_inside_a_model(tmp_path):
    inputs = keras.Input((8,))
    model = keras.Model(inputs, ProjectionHead(hidden_dims=(8,), output_dim=4)(inputs))
    x = _features()
    path = str(tmp_path / "head.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(to_numpy(loaded(x)), to_numpy(model(x)), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"output_dim": 0},
        {"output_dim": 2.5},
        {"hidden_dims": (16, 0)},
        {"hidden_dims": (-1,)},
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError, match="should be a positive integer|positive integers"):
        ProjectionHead(**kwargs)


def test_wrong_input_rank_raises():
    with pytest.raises(ValueError, match="expects inputs of shape"):
        ProjectionHead()(np.zeros((2, 4, 4), "float32"))
