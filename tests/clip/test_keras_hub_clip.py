"""A tiny randomly initialised keras-hub CLIP through CLIPZeroShotClassifier (offline)."""

import numpy as np
import pytest

keras_hub = pytest.importorskip("keras_hub")

from ssl_keras.models.clip_zero_shot import CLIPZeroShotClassifier  # noqa: E402
from tests.conftest import to_numpy  # noqa: E402

WORDS = ["a", "photo", "of", "the", "cat", "dog", "car", "digit"]
SEQUENCE_LENGTH = 8


def tiny_vocabulary_and_merges(words):
    """A byte-pair vocabulary in which every word of `words` is one token.

    Each word is built from its letters by merges left to right ("c a", "ca t</w>"), with
    CLIP's end-of-word suffix on the last piece. The end-of-text token gets the largest
    id, as keras-hub's CLIP text pooler finds it with an argmax over the token ids.
    """
    vocabulary, merges = {}, []

    def add(token):
        vocabulary.setdefault(token, len(vocabulary))

    for word in words:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        for piece in pieces:
            add(piece)
        current = pieces[0]
        for piece in pieces[1:]:
            if f"{current} {piece}" not in merges:
                merges.append(f"{current} {piece}")
            current += piece
            add(current)
    for punctuation in (".", ".</w>"):
        add(punctuation)
    add("<|startoftext|>")
    add("<|endoftext|>")
    return vocabulary, merges


def tiny_clip():
    vocabulary, merges = tiny_vocabulary_and_merges(WORDS)
    try:
        tokenizer = keras_hub.models.CLIPTokenizer(vocabulary=vocabulary, merges=merges)
    except (AttributeError, ImportError) as error:
        # keras-hub 0.32's CLIPTokenizer needs tensorflow-text to be importable.
        pytest.skip(f"keras-hub CLIPTokenizer unavailable here: {error}")
    preprocessor = keras_hub.models.CLIPPreprocessor(
        tokenizer,
        image_converter=keras_hub.layers.CLIPImageConverter(image_size=(16, 16), scale=1 / 255),
        sequence_length=SEQUENCE_LENGTH,
    )
    vision_encoder = keras_hub.models.CLIPVisionEncoder(
        patch_size=8, hidden_dim=8, num_layers=1, num_heads=2, intermediate_dim=16,
        image_shape=(16, 16, 3),
    )
    text_encoder = keras_hub.models.CLIPTextEncoder(
        vocabulary_size=len(vocabulary), embedding_dim=8, hidden_dim=8, num_layers=1,
        num_heads=2, intermediate_dim=16, max_sequence_length=SEQUENCE_LENGTH,
    )
    backbone = keras_hub.models.CLIPBackbone(vision_encoder, text_encoder, projection_dim=4)
    return backbone, preprocessor


@pytest.fixture(scope="module")
def clip():
    return tiny_clip()


@pytest.fixture
def images(rng):
    # 20x20 raw images: the preprocessor's image converter resizes them to 16x16.
    return rng.uniform(0, 255, size=(3, 20, 20, 3)).astype("float32")


def test_logits_equal_the_backbones_own_clip_head(clip, images):
    backbone, preprocessor = clip
    class_names = ["cat", "dog", "car"]
    classifier = CLIPZeroShotClassifier.from_keras_hub(
        backbone, class_names, preprocessor=preprocessor, templates=("a photo of the {}.",)
    )
    prompts = [f"a photo of the {name}." for name in class_names]
    tokens = preprocessor({"images": images, "prompts": prompts})
    # keras-hub's full forward pass: CLIPHead's exp(logit_scale) * cosine similarities.
    outputs = backbone({"images": tokens["images"], "token_ids": tokens["token_ids"]})
    expected = to_numpy(outputs["vision_logits"])
    assert expected.shape == (3, 3)
    np.testing.assert_allclose(classifier.logits(images), expected, rtol=1e-4, atol=1e-4)
    assert classifier.scale == pytest.approx(1 / 0.07, rel=1e-5)
    assert classifier.class_embeddings.shape == (3, 4)
    probabilities = classifier.predict(images)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(classifier.predict_classes(images), expected.argmax(-1))
    indices, _ = classifier.retrieve_images(["a photo of the car."], images, k=3)
    np.testing.assert_array_equal(indices[0], np.argsort(-expected[:, 2], kind="stable"))


def test_local_preset_directory_round_trip(clip, images, tmp_path):
    backbone, preprocessor = clip
    backbone.save_to_preset(str(tmp_path))
    preprocessor.save_to_preset(str(tmp_path))
    from_directory = CLIPZeroShotClassifier.from_keras_hub(
        str(tmp_path), ["cat", "dog"], logit_scale=10.0
    )
    in_memory = CLIPZeroShotClassifier.from_keras_hub(
        backbone, ["cat", "dog"], preprocessor=preprocessor, logit_scale=10.0
    )
    np.testing.assert_allclose(from_directory.logits(images), in_memory.logits(images),
                               rtol=1e-5, atol=1e-5)


def test_offline_preset_error_names_the_local_path_option(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'api.kaggle.com'")

    monkeypatch.setattr(keras_hub.models.CLIPBackbone, "from_preset", offline)
    with pytest.raises(RuntimeError, match="local preset directory") as error:
        CLIPZeroShotClassifier.from_keras_hub("clip_vit_base_patch32", ["cat", "dog"])
    assert "clip_vit_base_patch32" in str(error.value)
    assert "ConnectionError" in str(error.value)


def test_backbone_without_preprocessor_is_an_error(clip):
    backbone, _ = clip
    with pytest.raises(ValueError, match="`preprocessor` is required"):
        CLIPZeroShotClassifier.from_keras_hub(backbone, ["cat", "dog"])
