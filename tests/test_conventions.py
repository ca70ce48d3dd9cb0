"""Every public layer and loss keeps the package's conventions (`tests/conventions.py`).

The tables below name how to build each class; a class exported from `ssl_keras.layers`
or `ssl_keras.losses` that is missing from them fails `test_every_class_is_covered`, so
a new layer or loss cannot skip these checks.
"""

import inspect

import keras
import numpy as np
import pytest

from ssl_keras import layers, losses
from tests import conventions

IMAGES = np.random.default_rng(0).integers(0, 256, size=(4, 12, 12, 3)).astype("float32")
FEATURES = np.random.default_rng(1).normal(size=(6, 10)).astype("float32")

# name -> (factory taking keyword arguments such as dtype, inputs)
LAYERS = {
    "BatchNormalization": (lambda **kw: layers.BatchNormalization(**kw), FEATURES),
    "MultiCropAugmentation": (
        lambda **kw: layers.MultiCropAugmentation(
            global_size=10, local_size=6, num_local_crops=2, preset="cifar", seed=3, **kw),
        IMAGES),
    "PerImageStandardization": (lambda **kw: layers.PerImageStandardization(**kw), IMAGES),
    "ProjectionHead": (lambda **kw: layers.ProjectionHead((8,), 4, **kw), FEATURES),
    "RandomApply": (
        lambda **kw: layers.RandomApply(layers.RandomGrayscale(probability=1.0),
                                        probability=0.5, seed=3, **kw),
        IMAGES),
    "RandomColorJitter": (lambda **kw: layers.RandomColorJitter(seed=3, **kw), IMAGES),
    "RandomGaussianBlur": (
        lambda **kw: layers.RandomGaussianBlur(kernel_size=3, probability=1.0, seed=3, **kw),
        IMAGES),
    "RandomGrayscale": (lambda **kw: layers.RandomGrayscale(probability=0.5, seed=3, **kw),
                        IMAGES),
    "RandomHorizontalFlip": (lambda **kw: layers.RandomHorizontalFlip(seed=3, **kw), IMAGES),
    "RandomResizedCrop": (lambda **kw: layers.RandomResizedCrop(8, 8, seed=3, **kw), IMAGES),
    "SimCLRAugmentation": (
        lambda **kw: layers.SimCLRAugmentation(height=12, width=12, seed=3, **kw), IMAGES),
}

# name -> (class instance, function, the function's keyword arguments)
LOSSES = {
    # The function returns the two parts; the class weighs them (1 and 1 by default).
    "AlignmentUniformity": (losses.AlignmentUniformity(temperature=0.7),
                            lambda z_a, z_b, **kw: sum(losses.alignment_uniformity(z_a, z_b, **kw)),
                            {"temperature": 0.7}),
    "BarlowTwinsLoss": (losses.BarlowTwinsLoss(lambda_param=0.01), losses.barlow_twins_loss,
                        {"lambda_param": 0.01}),
    "ChunkedNTXent": (losses.ChunkedNTXent(temperature=0.3, chunk_size=4),
                      losses.chunked_nt_xent, {"temperature": 0.3, "chunk_size": 4}),
    "CLIPContrastiveLoss": (losses.CLIPContrastiveLoss(temperature=0.2),
                            losses.clip_contrastive_loss, {"temperature": 0.2}),
    "MarginTriplet": (losses.MarginTriplet(margin=0.5), losses.margin_triplet,
                      {"margin": 0.5}),
    "NegativeCosineSimilarity": (losses.NegativeCosineSimilarity(),
                                 losses.negative_cosine_similarity, {}),
    "NTLogistic": (losses.NTLogistic(temperature=0.3), losses.nt_logistic,
                   {"temperature": 0.3}),
    "NTXent": (losses.NTXent(temperature=0.3), losses.nt_xent, {"temperature": 0.3}),
    "PositivesOnlyLoss": (losses.PositivesOnlyLoss(), losses.positives_only_loss, {}),
    "VICRegLoss": (losses.VICRegLoss(lambda_param=20.0, nu_param=2.0), losses.vicreg_loss,
                   {"lambda_param": 20.0, "nu_param": 2.0}),
}


# Losses whose `y_true` and `y_pred` are not two stacked views: their test file makes the
# same checks (the function, the config round trip, low precision, fit and saving).
OTHER_LAYOUT_LOSSES = {"DINOLoss": "tests/losses/test_dino.py"}


def _exported_classes(module, base):
    return {name for name in module.__all__
            if inspect.isclass(getattr(module, name))
            and issubclass(getattr(module, name), base)}


def test_every_class_is_covered():
    assert _exported_classes(layers, keras.layers.Layer) == set(LAYERS)
    assert _exported_classes(losses, keras.losses.Loss) == set(LOSSES) | set(OTHER_LAYOUT_LOSSES)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_config_round_trip(name):
    make, _ = LAYERS[name]
    conventions.check_layer_config_round_trip(make())


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_saves_and_loads(name, tmp_path):
    make, inputs = LAYERS[name]
    conventions.check_layer_saves(make, inputs, tmp_path)


@pytest.mark.parametrize("policy", conventions.POLICIES)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_dtype_policy(name, policy):
    make, inputs = LAYERS[name]
    conventions.check_layer_dtype_policy(make, inputs, policy)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_trains_inside_fit(name):
    make, inputs = LAYERS[name]
    conventions.check_layer_trains(make, inputs)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_class_is_the_function(name):
    loss, function, kwargs = LOSSES[name]
    conventions.check_loss_matches_function(loss, function, kwargs)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_config_round_trip(name):
    conventions.check_loss_config_round_trip(LOSSES[name][0])


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_low_precision_inputs(name):
    conventions.check_loss_low_precision(LOSSES[name][0])


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_trains_and_saves(name, tmp_path):
    conventions.check_loss_trains_and_saves(LOSSES[name][0], tmp_path)
