"""CLIPZeroShotClassifier against NumPy oracles of the CLIP zero-shot formulas."""

import zlib

import keras
import numpy as np
import pytest

from ssl_keras.models.clip_zero_shot import CLIPZeroShotClassifier

DIM = 6


def text_vector(text):
    """A fixed random vector per string, with a norm that depends on the string too."""
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    return rng.normal(size=DIM) * rng.uniform(0.2, 5.0)


class TextEncoder:
    """Returns backend tensors; counts its calls."""

    def __init__(self, dim=DIM):
        self.dim = dim
        self.calls = 0

    def __call__(self, texts):
        self.calls += 1
        return keras.ops.convert_to_tensor(
            np.stack([text_vector(text)[: self.dim] for text in texts]).astype("float32")
        )


def image_encoder_model(dim=DIM):
    model = keras.Sequential(
        [keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(dim)]
    )
    return model


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


CLASSES = ["cat", "dog", "car", "ship"]
TEMPLATES = ("a photo of a {}.", "a blurry {}", "{} in the wild")


@pytest.fixture
def setup(rng):
    images = rng.uniform(0, 255, size=(7, 4, 4, 3)).astype("float32")
    encoder = image_encoder_model()
    image_features = np.asarray(keras.ops.convert_to_numpy(encoder(images)), "float64")
    return images, encoder, image_features


def oracle_class_embeddings(class_names, templates):
    rows = []
    for name in class_names:
        vectors = np.stack([unit(text_vector(t.format(name))) for t in templates])
        rows.append(unit(vectors.mean(axis=0)))
    return np.stack(rows)


def test_logits_equal_scaled_cosine_formula(setup):
    images, encoder, features = setup
    classifier = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, TEMPLATES,
                                        logit_scale=50.0)
    expected = np.zeros((len(images), len(CLASSES)))
    classes = oracle_class_embeddings(CLASSES, TEMPLATES)
    for i in range(len(images)):
        for j in range(len(CLASSES)):
            expected[i, j] = 50.0 * features[i] @ classes[j] / (
                np.linalg.norm(features[i]) * np.linalg.norm(classes[j]))
    np.testing.assert_allclose(classifier.logits(images), expected, rtol=1e-4, atol=1e-4)
    probabilities = classifier.predict(images)
    softmax = np.exp(expected - expected.max(-1, keepdims=True))
    softmax /= softmax.sum(-1, keepdims=True)
    np.testing.assert_allclose(probabilities, softmax, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, atol=1e-5)


def test_prompt_ensemble_is_normalised_mean_of_normalised(setup):
    _, encoder, _ = setup
    classifier = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, TEMPLATES)
    expected = oracle_class_embeddings(CLASSES, TEMPLATES)
    np.testing.assert_allclose(classifier.class_embeddings, expected, rtol=1e-5, atol=1e-6)
    # The test discriminates: averaging the raw (unnormalised) embeddings differs.
    naive = np.stack([unit(np.mean([text_vector(t.format(n)) for t in TEMPLATES], axis=0))
                      for n in CLASSES])
    assert np.max(np.abs(naive - expected)) > 1e-2
    assert classifier.prompts[1] == [t.format("dog") for t in TEMPLATES]


def test_argmax_is_the_sheet_formula(setup):
    images, encoder, features = setup
    classifier = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, ("a photo of a {}",))
    expected = []
    for feature in features:
        scores = [feature @ text_vector(f"a photo of a {name}")
                  / (np.linalg.norm(feature) * np.linalg.norm(text_vector(f"a photo of a {name}")))
                  for name in CLASSES]
        expected.append(int(np.argmax(scores)))
    np.testing.assert_array_equal(classifier.predict_classes(images), expected)


def test_temperature_equals_inverse_logit_scale_and_default_scale(setup):
    images, encoder, _ = setup
    by_temperature = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, temperature=0.01)
    by_scale = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, logit_scale=100.0)
    default = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES)
    np.testing.assert_allclose(by_temperature.logits(images), by_scale.logits(images),
                               rtol=1e-5)
    np.testing.assert_allclose(default.logits(images), by_scale.logits(images), rtol=1e-5)
    cosine = by_scale.logits(images) / 100.0
    assert np.all(np.abs(cosine) <= 1.0 + 1e-5)


def test_class_embeddings_are_cached_and_batches_do_not_matter(setup):
    images, encoder, _ = setup
    text_encoder = TextEncoder()
    small_batches = CLIPZeroShotClassifier(encoder, text_encoder, CLASSES, TEMPLATES,
                                           batch_size=2)
    one_batch = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, TEMPLATES)
    np.testing.assert_allclose(small_batches.logits(images), one_batch.logits(images),
                               rtol=1e-5, atol=1e-5)
    small_batches.predict(images)
    small_batches.top_k(images, 2)
    assert text_encoder.calls == 1
    small_batches.reset_cache()
    small_batches.predict(images[:1])
    assert text_encoder.calls == 2


def test_top_k_matches_numpy_argsort(setup):
    images, encoder, _ = setup
    classifier = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, TEMPLATES,
                                        logit_scale=10.0)
    indices, probabilities = classifier.top_k(images, k=3)
    full = classifier.predict(images)
    np.testing.assert_array_equal(indices, np.argsort(-full, axis=-1)[:, :3])
    np.testing.assert_allclose(probabilities, np.sort(full, axis=-1)[:, ::-1][:, :3])
    np.testing.assert_array_equal(indices[:, 0], classifier.predict_classes(images))


def test_retrieval_in_both_directions(setup):
    images, encoder, features = setup
    classifier = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES)
    queries = ["a red car", "a small dog", "the sea"]
    similarity = unit(features) @ unit(np.stack([text_vector(q) for q in queries])).T  # (7, 3)

    indices, scores = classifier.retrieve_images(queries, images, k=4)
    np.testing.assert_array_equal(indices, np.argsort(-similarity.T, axis=-1)[:, :4])
    np.testing.assert_allclose(scores, np.sort(similarity.T, axis=-1)[:, ::-1][:, :4],
                               rtol=1e-4, atol=1e-5)
    single, _ = classifier.retrieve_images("a red car", images, k=2)
    np.testing.assert_array_equal(single, indices[:1, :2])

    indices, scores = classifier.retrieve_texts(images, queries, k=2)
    np.testing.assert_array_equal(indices, np.argsort(-similarity, axis=-1)[:, :2])
    np.testing.assert_allclose(scores, np.sort(similarity, axis=-1)[:, ::-1][:, :2],
                               rtol=1e-4, atol=1e-5)


def test_ties_keep_the_original_order():
    def text_encoder(texts):
        return np.array([[1.0, 0.0]] * len(texts))

    def image_encoder(images):
        return np.asarray(images, "float32")

    classifier = CLIPZeroShotClassifier(image_encoder, text_encoder, ["a", "b", "c"])
    indices, _ = classifier.top_k(np.array([[1.0, 0.0]]), k=3)
    np.testing.assert_array_equal(indices, [[0, 1, 2]])
    indices, _ = classifier.retrieve_images("x", np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0]]),
                                            k=3)
    np.testing.assert_array_equal(indices, [[1, 2, 0]])


def test_get_config_keeps_arguments(setup):
    _, encoder, _ = setup
    classifier = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES, TEMPLATES,
                                        temperature=0.5, batch_size=3)
    config = classifier.get_config()
    assert config == {"class_names": CLASSES, "templates": list(TEMPLATES),
                      "logit_scale": None, "temperature": 0.5, "batch_size": 3}
    clone = CLIPZeroShotClassifier(encoder, TextEncoder(), **config)
    assert clone.scale == pytest.approx(2.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"class_names": []}, "at least one class"),
        ({"class_names": "cat"}, "not one string"),
        ({"class_names": ["cat", "cat"]}, "distinct"),
        ({"class_names": ["cat", ""]}, "non-empty"),
        ({"templates": ("a photo of a cat",)}, r"containing '\{\}'"),
        ({"templates": ()}, "at least one template"),
        ({"templates": ("{} and {}",)}, "exactly one"),
        ({"temperature": 0}, r"`temperature` should be > 0. Received: temperature=0"),
        ({"logit_scale": -1.0}, "`logit_scale` should be > 0"),
        ({"logit_scale": 10.0, "temperature": 0.1}, "not both"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_argument_errors(setup, kwargs, match):
    _, encoder, _ = setup
    arguments = {"class_names": CLASSES, **kwargs}
    with pytest.raises(ValueError, match=match):
        CLIPZeroShotClassifier(encoder, TextEncoder(), **arguments)


def test_encoder_errors(setup):
    images, encoder, _ = setup
    mismatched = CLIPZeroShotClassifier(encoder, TextEncoder(dim=4), CLASSES)
    with pytest.raises(ValueError, match="same size"):
        mismatched.predict(images)
    with pytest.raises(ValueError, match="same size"):
        mismatched.retrieve_texts(images, ["a"], k=1)
    with pytest.raises(ValueError, match="one embedding per text"):
        CLIPZeroShotClassifier(encoder, lambda texts: np.ones((1, DIM)), CLASSES).predict(images)
    with pytest.raises(ValueError, match=r"\(batch, dim\)"):
        CLIPZeroShotClassifier(encoder, lambda texts: np.ones(len(texts)), CLASSES).predict(images)
    classifier = CLIPZeroShotClassifier(encoder, TextEncoder(), CLASSES)
    with pytest.raises(ValueError, match="`k` should be an integer between 1 and"):
        classifier.top_k(images, k=5)
    with pytest.raises(ValueError, match="`k`"):
        classifier.retrieve_images("cat", images, k=0)
    with pytest.raises(ValueError, match="callable"):
        CLIPZeroShotClassifier("not a model", TextEncoder(), CLASSES)
