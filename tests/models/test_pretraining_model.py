"""`PretrainingModel`, the one base of the package's trainable models: every registered
model subclasses it under its unchanged registered name, and its loss, `ssl_loss` metric
and saving behave the same for the masked autoencoder, the mini-CLIP and the pretext
models as for the two-view methods."""

import inspect

import keras
import numpy as np
import pytest

import ssl_keras
from ssl_keras import clip, foundation, models, pretext
from tests.conftest import to_numpy
from tests.pretext.helpers import toy_encoder

# Every trainable model of the package and the name its `.keras` files refer to. Files
# saved before the models moved to `ssl_keras.models` name them so: the names must stay.
REGISTERED = {
    "BarlowTwins": "ssl_keras>BarlowTwins",
    "BYOL": "ssl_keras>BYOL",
    "Colorization": "ssl_keras>Colorization",
    "DINO": "ssl_keras>DINO",
    "JigsawPrediction": "ssl_keras>JigsawPrediction",
    "MaskedAutoencoder": "ssl_keras>MaskedAutoencoder",
    "MiniCLIP": "ssl_keras>MiniCLIP",
    "MoCo": "ssl_keras>MoCo",
    "PretextClassification": "ssl_keras>PretextClassification",
    "PretextRegression": "ssl_keras>PretextRegression",
    "RotationPrediction": "ssl_keras>RotationPrediction",
    "SimCLR": "ssl_keras>SimCLR",
    "SimSiam": "ssl_keras>SimSiam",
    "VICReg": "ssl_keras>VICReg",
}

# The paths the moved models had, which must keep working.
FORMER_PATHS = [
    (foundation, "MaskedAutoencoder"),
    (clip, "MiniCLIP"),
    (clip, "train_mini_clip"),
    (pretext, "RotationPrediction"),
    (pretext, "JigsawPrediction"),
    (pretext, "Colorization"),
    (pretext, "PretextClassification"),
    (pretext, "PretextRegression"),
]

IMAGES = np.random.default_rng(0).integers(0, 256, size=(6, 8, 8, 3)).astype("float32")


def _registered_models():
    registered = {}
    for module in (models, pretext, foundation, clip):
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, keras.Model):
                registered[value.__name__] = value
    return registered


def test_every_trainable_model_subclasses_the_base_under_its_registered_name():
    found = _registered_models()
    bases = {"PretrainingModel", "SelfSupervisedModel", "PretextModel"}
    assert set(found) - bases == set(REGISTERED)
    for name, registered_name in REGISTERED.items():
        model_class = found[name]
        assert issubclass(model_class, models.PretrainingModel), name
        assert model_class.__module__.startswith("ssl_keras.models."), model_class.__module__
        assert keras.saving.get_registered_name(model_class) == registered_name
        assert keras.saving.get_registered_object(registered_name) is model_class


@pytest.mark.parametrize("module, name", FORMER_PATHS, ids=lambda value: str(value))
def test_former_import_paths_reach_the_same_objects(module, name):
    assert getattr(module, name) is getattr(models, name)
    assert name in module.__all__


def test_former_module_paths_reach_the_same_objects():
    from ssl_keras.clip.mini_clip import MiniCLIP
    from ssl_keras.foundation.mae import MaskedAutoencoder, masked_patch_loss
    from ssl_keras.pretext.colorization import Colorization, colorization_loss
    from ssl_keras.pretext.jigsaw import JigsawPrediction
    from ssl_keras.pretext.pretext_task import PretextRegression
    from ssl_keras.pretext.rotation import RotationPrediction

    assert MiniCLIP is models.MiniCLIP and MaskedAutoencoder is models.MaskedAutoencoder
    assert masked_patch_loss is foundation.masked_patch_loss
    assert colorization_loss is pretext.colorization_loss and Colorization is models.Colorization
    assert JigsawPrediction is models.JigsawPrediction
    assert RotationPrediction is models.RotationPrediction
    assert PretextRegression is models.PretextRegression
    # Not a trainable model: the zero-shot classifier lives beside the rest of CLIP.
    from ssl_keras.clip.zero_shot import CLIPZeroShotClassifier
    from ssl_keras.models.clip_zero_shot import CLIPZeroShotClassifier as former

    assert CLIPZeroShotClassifier is former is clip.CLIPZeroShotClassifier
    assert CLIPZeroShotClassifier is models.CLIPZeroShotClassifier
    assert CLIPZeroShotClassifier is ssl_keras.CLIPZeroShotClassifier


def test_fixed_class_counts_match_the_pretext_transforms():
    assert models.RotationPrediction.num_classes == len(pretext.ROTATION_ANGLES)
    assert models.JigsawPrediction.num_classes == len(pretext.jigsaw_permutations())


def _l2_penalty(model, factor):
    return factor * sum(np.sum(to_numpy(w) ** 2) for w in model.encoder.trainable_weights
                        if w.path.endswith("kernel"))


def _regularized_encoder(factor):
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(6, kernel_regularizer=keras.regularizers.L2(factor))(x)
    return keras.Model(inputs, x)


def _log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_pretext_objective_is_the_weighted_compiled_loss_plus_regularisation():
    factor = 0.01
    model = models.PretextClassification(_regularized_encoder(factor), num_classes=3)
    model.compile()
    labels = np.array([0, 1, 2, 0, 1, 2])
    weights = np.array([1.0, 0.5, 2.0, 0.0, 1.0, 1.5], dtype="float32")
    logs = model.evaluate(IMAGES, labels, sample_weight=weights, return_dict=True, verbose=0)
    # NumPy: softmax cross-entropy per example, weighted, divided by the batch size (Keras's
    # "sum_over_batch_size"), plus the L2 penalty of the encoder's kernel.
    logits = to_numpy(model(IMAGES))
    per_example = -_log_softmax(logits)[np.arange(6), labels]
    expected = np.sum(per_example * weights) / 6
    np.testing.assert_allclose(logs["ssl_loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], expected + _l2_penalty(model, factor), rtol=1e-5)


def test_function_losses_reduce_as_compile_does():
    # A plain function given to compile(): per-example values, averaged over the batch.
    model = models.PretextRegression(toy_encoder(output_dim=4), (2,))
    model.compile(loss=lambda y_true, y_pred: keras.ops.sum(keras.ops.abs(y_true - y_pred), -1))
    targets = np.random.default_rng(1).normal(size=(6, 2)).astype("float32")
    logs = model.evaluate(IMAGES, targets, return_dict=True, verbose=0)
    expected = np.mean(np.sum(np.abs(targets - to_numpy(model(IMAGES))), axis=-1))
    np.testing.assert_allclose(logs["ssl_loss"], expected, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], expected, rtol=1e-5)


def test_mini_clip_counts_regularisation_and_saves(tmp_path):
    factor = 0.01
    model = models.MiniCLIP(["a", "seven"], sequence_length=4, image_shape=(8, 8, 3),
                            image_encoder=_regularized_encoder(factor), embedding_dim=4,
                            word_embedding_dim=4)
    inputs = {"images": IMAGES, "token_ids": model.tokenize(["a seven", "seven"] * 3)}
    model.compile(optimizer="sgd")
    logs = model.evaluate(inputs, batch_size=6, return_dict=True, verbose=0)
    penalty = factor * np.sum(to_numpy(model.image_encoder.layers[-1].kernel) ** 2)
    np.testing.assert_allclose(logs["loss"] - logs["ssl_loss"], penalty, rtol=1e-4)
    path = tmp_path / "mini_clip.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is models.MiniCLIP
    for key in models.MiniCLIP.config_arguments:
        assert loaded.get_config()[key] == model.get_config()[key]
    np.testing.assert_allclose(loaded.encode_images(IMAGES), model.encode_images(IMAGES),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded.encode_texts(["a seven"]), model.encode_texts(["a seven"]),
                               rtol=1e-5, atol=1e-6)


def test_encoder_must_be_a_keras_layer():
    with pytest.raises(ValueError, match="`encoder` should be a Keras model or layer"):
        models.RotationPrediction(np.zeros(3))
    with pytest.raises(ValueError, match="`encoder` should be a Keras model or layer"):
        models.SimCLR("small_cnn")
