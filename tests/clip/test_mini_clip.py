import keras
import numpy as np
import pytest

from ssl_keras.clip import (
    DIGIT_WORDS,
    TRAINING_TEMPLATES,
    UNSEEN_TEMPLATES,
    MiniCLIP,
    caption_digits,
    caption_vocabulary,
    train_mini_clip,
)
from ssl_keras.models.clip_zero_shot import CLIPZeroShotClassifier
from tests.conftest import to_numpy


def tiny_image_encoder():
    # Few ops, so that JAX's per-op compilation stays cheap in these smoke tests.
    return keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 255),
                             keras.layers.Flatten(), keras.layers.Dense(8, activation="relu")])


def tiny_pairs(rng, count=24):
    labels = np.arange(count) % 10
    images = rng.integers(0, 255, size=(count, 8, 8, 3)).astype("uint8")
    return caption_digits(images, labels, TRAINING_TEMPLATES, seed=0)


def test_shapes_and_a_few_training_steps(rng):
    images, captions, labels = tiny_pairs(rng)
    model, history = train_mini_clip(
        images, captions, caption_vocabulary(), epochs=2, batch_size=8,
        image_encoder=tiny_image_encoder(), embedding_dim=8, word_embedding_dim=8, verbose=0,
    )
    assert len(history.history["loss"]) == 2
    assert np.all(np.isfinite(history.history["loss"]))
    outputs = model({"images": images[:5], "token_ids": model.tokenize(captions[:5])})
    assert tuple(outputs["image_embeddings"].shape) == (5, 8)
    assert tuple(outputs["text_embeddings"].shape) == (5, 8)
    assert model.encode_images(images, batch_size=7).shape == (24, 8)
    np.testing.assert_allclose(model.encode_images(images[:5]),
                               to_numpy(outputs["image_embeddings"]), rtol=1e-4, atol=1e-5)
    classifier = CLIPZeroShotClassifier(model.encode_images, model.encode_texts, DIGIT_WORDS,
                                        UNSEEN_TEMPLATES)
    probabilities = classifier.predict(images)
    assert probabilities.shape == (24, 10)
    assert np.all(np.isfinite(probabilities))


def test_text_embedding_is_a_bag_of_words(rng):
    model = MiniCLIP(["a", "photo", "of", "seven"], image_shape=(8, 8, 3),
                     image_encoder=tiny_image_encoder())
    same = model.encode_texts(["a photo of seven", "seven of photo a", "a photo of seven"])
    np.testing.assert_allclose(same[0], same[1], rtol=1e-5, atol=1e-6)
    different = model.encode_texts(["a photo of seven", "a photo"])
    assert np.max(np.abs(different[0] - different[1])) > 1e-4
    # Padding does not count: the mean is over real words only.
    words = to_numpy(model.word_embedding(np.array([[5]])))[0, 0]
    expected = to_numpy(model.text_projection(model.text_hidden(words[None])))
    np.testing.assert_allclose(model.encode_texts(["seven"]), expected, rtol=1e-5, atol=1e-6)


def test_config_round_trip(rng):
    model = MiniCLIP(["a", "seven"], sequence_length=4, image_shape=(8, 8, 3),
                     image_encoder=tiny_image_encoder(), embedding_dim=8, word_embedding_dim=8,
                     temperature=0.2)
    images = rng.integers(0, 255, size=(3, 8, 8, 3)).astype("float32")
    clone = MiniCLIP.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.temperature == 0.2 and clone.tokenizer.sequence_length == 4
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.encode_images(images), model.encode_images(images),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(clone.encode_texts(["a seven"]), model.encode_texts(["a seven"]),
                               rtol=1e-5, atol=1e-6)


def test_errors(rng):
    with pytest.raises(ValueError, match="`temperature` should be > 0"):
        MiniCLIP(["a"], temperature=0)
    with pytest.raises(ValueError, match="same length"):
        train_mini_clip(np.zeros((3, 8, 8, 3)), ["a", "b"], ["a"])


@pytest.mark.slow
def test_zero_shot_on_held_out_digits_with_unseen_prompts_is_far_above_chance():
    from ssl_keras.data import load_digits

    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits()
    images, captions, _ = caption_digits(x_train, y_train, captions_per_image=3)
    # The settings of benchmarks/mini_clip_zero_shot.py (72-78% there, on jax).
    model, _ = train_mini_clip(images, captions, caption_vocabulary(), epochs=12,
                               batch_size=64, learning_rate=3e-3, temperature=0.1, seed=0,
                               verbose=0)
    classifier = CLIPZeroShotClassifier(model.encode_images, model.encode_texts, DIGIT_WORDS,
                                        UNSEEN_TEMPLATES)
    accuracy = np.mean(classifier.predict_classes(x_test) == y_test)
    assert accuracy > 0.4  # chance is 0.1
