"""The small CNN, the CIFAR ResNet-18 and `backbone_encoder`."""

import keras
import numpy as np
import pytest

from ssl_keras.models import backbone_encoder, cifar_resnet18_encoder, small_cnn_encoder
from tests.models.helpers import to_numpy


def _images(batch=2, size=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(batch, size, size, 3)).astype("uint8")


def _conv_params(kernel, c_in, c_out):
    return kernel * kernel * c_in * c_out  # no bias: BatchNorm follows every conv


def _batch_norm_params(channels):
    return 2 * channels, 2 * channels  # (gamma, beta) trainable, moving mean/var not


# ---------------------------------------------------------------- small CNN


def _small_cnn_param_counts(channels):
    """(trainable, non-trainable) of 3 blocks of two 3x3 convs, each followed by BN."""
    trainable = non_trainable = 0
    c_in = 3
    for c_out in channels:
        for _ in range(2):
            trainable += _conv_params(3, c_in, c_out) + _batch_norm_params(c_out)[0]
            non_trainable += _batch_norm_params(c_out)[1]
            c_in = c_out
    return trainable, non_trainable


@pytest.fixture(scope="module")
def course_cnn():
    return small_cnn_encoder()


def test_small_cnn_default_is_the_course_backbone(course_cnn):
    assert course_cnn.output_shape == (None, 256)
    assert course_cnn.input_shape == (None, 32, 32, 3)
    # 3 blocks x 2 convs with 64, 128, 256 channels; BN after each conv.
    assert _param_counts(course_cnn) == _small_cnn_param_counts((64, 128, 256))
    # Three 2x2 poolings: 32 -> 4 before the global average pooling (channels first on
    # torch, the default layout there).
    expected = (None, 256, 4, 4) if keras.backend.backend() == "torch" else (None, 4, 4, 256)
    assert course_cnn.get_layer("global_average_pool").input.shape == expected


def test_small_cnn_width_and_output_dim():
    # (64, 128, 128) reuses the default model's weight shapes: cheap to build on jax.
    encoder = small_cnn_encoder(input_shape=(16, 16, 3), output_dim=128, width=64,
                                data_format="channels_last")
    assert encoder.output_shape == (None, 128)
    assert _param_counts(encoder) == _small_cnn_param_counts((64, 128, 128))
    assert encoder.get_layer("global_average_pool").input.shape == (None, 2, 2, 128)


def test_small_cnn_layouts_share_weights_and_outputs():
    # The two layouts of the same network: identical weight lists, so one model's weights
    # load into the other, and identical features (inference and training mode).
    images = _images(batch=4, size=16)
    last, first = (small_cnn_encoder(input_shape=(16, 16, 3), output_dim=16, width=8,
                                     data_format=layout)
                   for layout in ("channels_last", "channels_first"))
    assert [w.shape for w in last.weights] == [w.shape for w in first.weights]
    assert first.get_layer("global_average_pool").input.shape == (None, 16, 2, 2)
    first.set_weights(last.get_weights())
    for training in (False, True):
        np.testing.assert_allclose(to_numpy(first(images, training=training)),
                                   to_numpy(last(images, training=training)),
                                   rtol=1e-4, atol=1e-5)


def test_small_cnn_takes_raw_uint8_images_and_rescales_by_1_over_255(course_cnn):
    images = _images(size=32)
    out = course_cnn.predict(images, verbose=0)
    assert out.shape == (2, 256) and np.all(np.isfinite(out))
    # Raw uint8 images through the encoder equal float images / 255 fed to the layers
    # after its Rescaling layer (an independent path into the same network).
    without_rescaling = keras.Model(course_cnn.get_layer("rescaling").output, course_cnn.output)
    np.testing.assert_allclose(
        out,
        without_rescaling.predict(images.astype("float32") / 255.0, verbose=0),
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"output_dim": 0}, "`output_dim` should be a positive integer"),
        ({"width": -2}, "`width` should be a positive integer"),
        ({"input_shape": (32, 32)}, "`input_shape` should be"),
        ({"data_format": "NCHW"}, "`data_format` should be one of"),
    ],
)
def test_small_cnn_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        small_cnn_encoder(**kwargs)


# ------------------------------------------------------------ CIFAR ResNet-18


def _resnet18_param_counts(width=64, channels_in=3, blocks=(2, 2, 2, 2)):
    """Counts from the architecture, independently of the Keras model."""
    trainable = _conv_params(3, channels_in, width) + _batch_norm_params(width)[0]
    non_trainable = _batch_norm_params(width)[1]
    c_in = width
    for stage, num_blocks in enumerate(blocks):
        c_out = width * 2**stage
        for block in range(num_blocks):
            trainable += _conv_params(3, c_in, c_out) + _conv_params(3, c_out, c_out)
            trainable += 2 * _batch_norm_params(c_out)[0]
            non_trainable += 2 * _batch_norm_params(c_out)[1]
            if c_in != c_out:  # projection shortcut of each stage's first block
                trainable += _conv_params(1, c_in, c_out) + _batch_norm_params(c_out)[0]
                non_trainable += _batch_norm_params(c_out)[1]
            c_in = c_out
    return trainable, non_trainable


def _param_counts(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return trainable, non_trainable


def test_cifar_resnet18_parameter_count_and_shapes():
    encoder = cifar_resnet18_encoder()
    trainable, non_trainable = _resnet18_param_counts()
    # The well-known CIFAR ResNet-18 figure: 11,173,962 with its 10-way classifier
    # (512 * 10 + 10 parameters), i.e. 11,168,832 for the encoder alone.
    assert trainable == 11_173_962 - (512 * 10 + 10)
    assert _param_counts(encoder) == (trainable, non_trainable)
    assert encoder.output_shape == (None, 512)
    # 3x3 stride-1 stem and no max-pool: 32 -> 32 -> 16 -> 8 -> 4.
    stem = encoder.get_layer("stem_conv")
    assert stem.kernel_size == (3, 3) and stem.strides == (1, 1)
    assert not [layer for layer in encoder.layers if "Pooling2D" in type(layer).__name__
                and "Global" not in type(layer).__name__]
    assert encoder.get_layer("global_average_pool").input.shape == (None, 4, 4, 512)


# ------------------------------------------------------------- backbone_encoder


def _feature_map_backbone():
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="conv")(inputs)
    return keras.Model(inputs, x, name="toy_cnn")


def _token_backbone(dict_output=False):
    inputs = keras.Input((8, 8, 3))
    tokens = keras.layers.Reshape((16, 12))(inputs)  # 16 "patches" of 2x2x3 pixels
    tokens = keras.layers.Dense(8, name="embed")(tokens)
    pooled = keras.layers.Dense(4, name="pooler")(keras.layers.GlobalAveragePooling1D()(tokens))
    if dict_output:
        outputs = {"sequence_output": tokens, "pooled_output": pooled}
    else:
        outputs = tokens
    return keras.Model(inputs, outputs, name="toy_vit")


@pytest.mark.parametrize("pooling, reduce", [("avg", np.mean), ("max", np.max)])
def test_backbone_encoder_pools_feature_maps(pooling, reduce):
    backbone = _feature_map_backbone()
    encoder = backbone_encoder(backbone, pooling=pooling)
    images = _images().astype("float32")
    feature_map = to_numpy(backbone(images / 255.0))
    np.testing.assert_allclose(
        to_numpy(encoder(images)), reduce(feature_map, axis=(1, 2)), rtol=1e-5, atol=1e-6
    )
    assert encoder.output_shape == (None, 8)


@pytest.mark.parametrize("pooling", ["avg", "max", "cls"])
def test_backbone_encoder_pools_token_sequences(pooling):
    backbone = _token_backbone()
    encoder = backbone_encoder(backbone, pooling=pooling, rescale=None)
    images = _images(size=8).astype("float32")
    tokens = to_numpy(backbone(images))
    expected = {"avg": tokens.mean(1), "max": tokens.max(1), "cls": tokens[:, 0]}[pooling]
    np.testing.assert_allclose(to_numpy(encoder(images)), expected, rtol=1e-5, atol=1e-5)


def test_backbone_encoder_dict_outputs():
    backbone = _token_backbone(dict_output=True)
    images = _images(size=8).astype("float32")
    outputs = {k: to_numpy(v) for k, v in backbone(images / 255.0).items()}
    # Default: keras-hub's "pooled_output" when present.
    encoder = backbone_encoder(backbone)
    np.testing.assert_allclose(
        to_numpy(encoder(images)), outputs["pooled_output"], rtol=1e-5, atol=1e-5
    )
    encoder = backbone_encoder(backbone, output_key="sequence_output", pooling="cls")
    np.testing.assert_allclose(
        to_numpy(encoder(images)), outputs["sequence_output"][:, 0], rtol=1e-5, atol=1e-5
    )
    with pytest.raises(ValueError, match="output_key"):
        backbone_encoder(backbone, output_key="last_hidden_state")


def test_backbone_encoder_preprocessing_layer_and_save(tmp_path):
    backbone = _token_backbone()
    normalization = keras.layers.Normalization(mean=127.5, variance=127.5**2)
    encoder = backbone_encoder(backbone, pooling="cls", rescale=normalization, name="enc")
    images = _images(size=8).astype("float32")
    expected = to_numpy(backbone((images - 127.5) / 127.5))[:, 0]
    np.testing.assert_allclose(to_numpy(encoder(images)), expected, rtol=1e-5, atol=1e-5)
    path = str(tmp_path / "encoder.keras")
    encoder.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(to_numpy(loaded(images)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.slow  # 25M weights to initialise; about 30 s on a 2-core CPU with jax
def test_backbone_encoder_keras_application():
    # The documented use with keras.applications.
    backbone = keras.applications.ResNet50(
        include_top=False, weights=None, input_shape=(32, 32, 3)
    )
    encoder = backbone_encoder(backbone)
    assert encoder.input_shape == (None, 32, 32, 3)
    assert encoder.output_shape == (None, 2048)
    out = encoder.predict(_images(size=32), verbose=0)
    assert out.shape == (2, 2048) and np.all(np.isfinite(out))


def test_backbone_encoder_errors():
    with pytest.raises(ValueError, match="`pooling` should be one of"):
        backbone_encoder(_feature_map_backbone(), pooling="mean")
    with pytest.raises(ValueError, match="Cannot reduce"):
        backbone_encoder(_feature_map_backbone(), pooling="cls")
    with pytest.raises(ValueError, match="Cannot reduce"):
        backbone_encoder(_feature_map_backbone(), pooling=None)
    with pytest.raises(ValueError, match="Could not infer the image shape"):
        backbone_encoder(keras.layers.Conv2D(8, 3))
    # A layer without a known input shape works once the shape is given.
    encoder = backbone_encoder(keras.layers.Conv2D(8, 3, use_bias=False), input_shape=(8, 8, 3))
    assert encoder.output_shape == (None, 8)


@pytest.mark.parametrize("build", [
    lambda **kw: small_cnn_encoder(input_shape=(16, 16, 3), width=4, output_dim=8, **kw),
    lambda **kw: cifar_resnet18_encoder(input_shape=(16, 16, 3), width=2, **kw),
])
def test_standardize_makes_features_blind_to_brightness_and_contrast(build):
    rng = np.random.default_rng(0)
    images = rng.uniform(40, 120, (4, 16, 16, 3)).astype("float32")
    brighter = 1.8 * images + 30.0  # still inside [0, 255]
    keras.utils.set_random_seed(0)
    standardized = build(standardize=True)
    np.testing.assert_allclose(to_numpy(standardized(brighter)), to_numpy(standardized(images)),
                               rtol=1e-4, atol=1e-4)
    keras.utils.set_random_seed(0)
    plain = build()
    assert not np.allclose(to_numpy(plain(brighter)), to_numpy(plain(images)), atol=1e-3)
    # Same weights with or without the layer: it has none.
    assert len(plain.weights) == len(standardized.weights)
