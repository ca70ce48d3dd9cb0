import time

import keras
import numpy as np
import pytest

from ssl_keras.layers import (
    RandomApply,
    RandomColorJitter,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    SimCLRAugmentation,
)
from tests.layers.helpers import assert_in_range, jit_predict, random_images, to_numpy

# The views of a batch of 2 are computed on a batch of 4 (the images twice), the
# shape most layer tests use: on jax, eager ops are compiled once per shape.


def test_two_float_views_in_range(images):
    augmentation = SimCLRAugmentation(seed=0)
    pair = images[:2]
    view_a, view_b = augmentation(pair)
    for view in (view_a, view_b):
        assert tuple(view.shape) == pair.shape
        assert keras.backend.standardize_dtype(view.dtype) == "float32"
        assert_in_range(view)
    single = augmentation.augment(images)
    assert tuple(single.shape) == images.shape
    assert_in_range(single)


def test_views_differ_per_view_and_per_image(images):
    same = np.repeat(images[:1], 2, axis=0)
    view_a, view_b = (to_numpy(v) for v in SimCLRAugmentation(seed=2)(same))
    for i in range(2):
        assert not np.allclose(view_a[i], view_b[i])
    assert not np.allclose(view_a[0], view_a[1]) and not np.allclose(view_b[0], view_b[1])


def test_training_false_returns_the_images_twice(images):
    augmentation = SimCLRAugmentation(seed=0)
    for batch in (images, images[0]):  # batched and unbatched
        view_a, view_b = augmentation(batch, training=False)
        assert keras.backend.standardize_dtype(view_a.dtype) == "float32"
        np.testing.assert_array_equal(to_numpy(view_a), batch)
        np.testing.assert_array_equal(to_numpy(view_b), batch)


def test_output_size_and_symbolic_shapes(images):
    augmentation = SimCLRAugmentation("imagenet", height=6, width=5, seed=0)
    assert augmentation.compute_output_shape((None, 8, 8, 3)) == ((None, 6, 5, 3),) * 2
    symbolic = augmentation(keras.Input((8, 8, 3)))
    assert [tuple(v.shape) for v in symbolic] == [(None, 6, 5, 3)] * 2
    views = augmentation(images, training=False)  # central crop resized, cheap
    assert [tuple(v.shape) for v in views] == [(4, 6, 5, 3)] * 2
    assert [tuple(v.shape) for v in augmentation(images[0], training=False)] == [(6, 5, 3)] * 2


def test_mixed_precision_views_and_saved_model(images, tmp_path):
    augmentation = SimCLRAugmentation("imagenet", seed=0, dtype="mixed_bfloat16")
    views = augmentation(images, training=False)
    assert [keras.backend.standardize_dtype(v.dtype) for v in views] == ["bfloat16"] * 2
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, augmentation(inputs))
    model.save(tmp_path / "augmentation.keras")
    revived = keras.models.load_model(tmp_path / "augmentation.keras")
    layer = revived.get_layer(augmentation.name)
    assert isinstance(layer, SimCLRAugmentation)
    assert layer.get_config() == augmentation.get_config()


def test_presets_and_overrides():
    cifar = SimCLRAugmentation("cifar")
    assert (cifar.color_jitter_strength, cifar.blur, cifar.gaussian_blur) == (0.5, False, None)
    assert cifar.crop.scale == (0.08, 1.0) and cifar.color_jitter.probability == 0.8
    assert cifar.grayscale.probability == 0.2 and cifar.flip.probability == 0.5
    imagenet = SimCLRAugmentation("imagenet")
    assert (imagenet.color_jitter_strength, imagenet.blur) == (1.0, True)
    assert isinstance(imagenet.gaussian_blur, RandomGaussianBlur)
    assert imagenet.gaussian_blur.probability == 0.5
    assert imagenet.color_jitter.layer.brightness == 0.8 and imagenet.color_jitter.layer.hue == 0.2
    custom = SimCLRAugmentation(
        "imagenet", color_jitter_strength=0.25, color_jitter_probability=0.5,
        grayscale_probability=0.0, blur=False, crop_scale=(0.2, 1.0),
    )
    assert custom.color_jitter.layer.saturation == pytest.approx(0.2)
    assert custom.color_jitter.probability == 0.5 and custom.grayscale.probability == 0.0
    assert custom.gaussian_blur is None and custom.crop.scale == (0.2, 1.0)


def test_only_flips_and_crops_when_colour_is_switched_off(images):
    # Crop of the full box, no colour: each view is the image, maybe mirrored.
    augmentation = SimCLRAugmentation(
        crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), color_jitter_probability=0.0,
        grayscale_probability=0.0, seed=0,
    )
    pair = images[:2]
    for view in augmentation(pair):
        view = to_numpy(view)
        for output, image in zip(view, pair):
            assert np.allclose(output, image, atol=1e-3) or np.allclose(
                output, image[:, ::-1], atol=1e-3)


def test_same_seed_same_views_and_get_config_round_trip(images):
    augmentation = SimCLRAugmentation("imagenet", height=8, width=8, seed=3, name="aug")
    config = augmentation.get_config()
    clone = SimCLRAugmentation.from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(augmentation))
    assert revived.get_config() == config
    pair = images[:2]
    for ours, theirs in zip(augmentation(pair), clone(pair)):
        np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
    other = SimCLRAugmentation("imagenet", height=8, width=8, seed=1003)(pair)
    assert not np.allclose(to_numpy(other[0]), to_numpy(augmentation(pair)[0]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"preset": "stl10"}, "preset"),
        ({"color_jitter_probability": 1.1}, "color_jitter_probability"),
        ({"grayscale_probability": -0.2}, "grayscale_probability"),
        ({"color_jitter_strength": -1.0}, "strength"),
        ({"crop_scale": (0.9, 0.2)}, "crop_scale"),
        ({"height": 0}, "height"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimCLRAugmentation(**kwargs)


def test_bad_inputs():
    augmentation = SimCLRAugmentation()
    with pytest.raises(ValueError, match=r"\(8, 8\)"):
        augmentation(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="value_range"):
        augmentation(np.full((2, 8, 8, 3), 1000.0))
    with pytest.raises(ValueError, match="value_range"):
        augmentation.augment(np.full((2, 8, 8, 3), -5.0))


def test_jit_compiled_predict(images):
    view_a, view_b = jit_predict(SimCLRAugmentation(seed=0), images)
    assert view_a.shape == view_b.shape == images.shape
    assert_in_range(view_a)
    assert not np.allclose(view_a, view_b)


class TwoViewRegressor(keras.Model):
    """Tiny model trained through the augmentation: outputs f(view_a) - f(view_b)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.augmentation = SimCLRAugmentation(seed=0)
        self.flatten = keras.layers.Flatten()
        self.dense = keras.layers.Dense(2)

    def call(self, images, training=False):
        view_a, view_b = self.augmentation(images, training=True)
        scale = 1.0 / 255.0
        return self.dense(self.flatten(view_a * scale)) - self.dense(self.flatten(view_b * scale))


def fit_once(jit_compile):
    images = random_images(8)
    model = TwoViewRegressor()
    model.compile(optimizer="sgd", loss="mse", jit_compile=jit_compile)
    history = model.fit(images, np.zeros((8, 2), "float32"), batch_size=4, epochs=1, verbose=0)
    return history.history["loss"][0]


def test_fit_compiled():
    # XLA on jax and tensorflow; on torch "auto" runs eagerly (torch.compile: slow test).
    jit_compile = "auto" if keras.backend.backend() == "torch" else True
    assert np.isfinite(fit_once(jit_compile))


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch.compile only")
@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: SimCLRAugmentation("imagenet", seed=0),
        lambda: RandomResizedCrop(6, 6, seed=0),
        lambda: RandomHorizontalFlip(seed=0),
        lambda: RandomApply(RandomColorJitter(seed=0), seed=1),
        lambda: RandomGrayscale(seed=0),
        lambda: RandomGaussianBlur(kernel_size=3, seed=0),
    ],
    ids=["simclr", "crop", "flip", "apply_jitter", "grayscale", "blur"],
)
def test_torch_compile(images, make_layer):
    import torch

    torch._dynamo.reset()  # each layer compiled from scratch (recompile limit per frame)
    start = time.time()
    outputs = jit_predict(make_layer(), images, jit_compile=True)
    assert_in_range(outputs)
    print(f"torch.compile predict: {time.time() - start:.1f} s")


@pytest.mark.slow
@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch.compile only")
def test_fit_with_torch_compile():
    import torch

    torch._dynamo.reset()
    assert np.isfinite(fit_once(jit_compile=True))
