"""Grader-private judge of clip_zero_shot (never visible to student processes).

References: ssl_keras's `CLIPZeroShotClassifier` (driven with precomputed embeddings
through a text encoder that looks prompts up in a table) for the logits, the predictions,
the prompt ensemble and the probabilities over descriptions; NumPy oracles written from
the definitions for the confusion matrix, the per-class accuracy and the retrieval
accuracy of a similarity matrix, which the package does not implement as such. The NumPy
oracles of CLIP's formulas (Radford et al., 2021, Section 3.1) are kept here too: the
tests check them against the package (the retrieval oracle against the classifier's
`retrieve_texts` and `retrieve_images`).
"""

from __future__ import annotations

import math

import numpy as np

from ..checks._core import Case, normal
from ..checks.clip_zero_shot import planted_similarity

# ------------------------------------------------------------------ NumPy oracles


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype="float64")
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


def oracle_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    logits = np.zeros((len(image_embeddings), len(class_embeddings)))
    for i, image in enumerate(np.asarray(image_embeddings, dtype="float64")):
        for c, text in enumerate(np.asarray(class_embeddings, dtype="float64")):
            cosine = np.dot(image, text) / (np.linalg.norm(image) * np.linalg.norm(text))
            logits[i, c] = logit_scale * cosine
    return logits


def oracle_predict(image_embeddings, class_embeddings):
    return np.argmax(oracle_logits(image_embeddings, class_embeddings), axis=1)


def oracle_ensemble(prompt_embeddings):
    classes = []
    for prompts in np.asarray(prompt_embeddings, dtype="float64"):
        mean = np.mean([p / np.linalg.norm(p) for p in prompts], axis=0)
        classes.append(mean / np.linalg.norm(mean))
    return np.stack(classes)


def oracle_probabilities(image_embeddings, text_embeddings, logit_scale=100.0):
    """Row i: the softmax over the texts of image i's scaled cosine similarities."""
    probabilities = []
    for row in oracle_logits(image_embeddings, text_embeddings, logit_scale):
        largest = max(row)
        weights = [math.exp(value - largest) for value in row]
        probabilities.append([weight / sum(weights) for weight in weights])
    return np.array(probabilities)


def oracle_retrieval(similarity, matches):
    """[image-to-text, text-to-image] top-1 accuracy; text matches[i] describes image i.

    Image i is right if its most similar text (distractors included) is matches[i];
    description matches[i] is right if its most similar image is i. Ties go to the first
    index, as numpy.argmax.
    """
    similarity = np.asarray(similarity, dtype="float64")
    matches = [int(match) for match in matches]
    texts, images = range(similarity.shape[1]), range(len(matches))
    image_hits = text_hits = 0
    for image, match in enumerate(matches):
        image_hits += max(texts, key=lambda text: similarity[image, text]) == match
        text_hits += max(images, key=lambda other: similarity[other, match]) == image
    return np.array([image_hits / len(matches), text_hits / len(matches)])


def oracle_confusion(labels, predictions, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype="int64")
    for true, predicted in zip(labels, predictions):
        matrix[int(true), int(predicted)] += 1
    return matrix


def oracle_per_class_accuracy(confusion):
    confusion = np.asarray(confusion, dtype="float64")
    accuracy = np.zeros(len(confusion))
    for c in range(len(confusion)):
        total = confusion[c].sum()
        accuracy[c] = confusion[c, c] / total if total > 0 else 0.0
    return accuracy


# ------------------------------------------------------------------ package references


def _classifier(class_embeddings, templates, logit_scale=100.0):
    """A `CLIPZeroShotClassifier` whose text encoder looks prompts up in a table."""
    from ssl_keras.clip import CLIPZeroShotClassifier

    class_embeddings = np.asarray(class_embeddings, dtype="float32")
    names = [f"class{c}" for c in range(class_embeddings.shape[0])]
    table = {}
    for c, name in enumerate(names):
        for t, template in enumerate(templates):
            row = class_embeddings[c, t] if class_embeddings.ndim == 3 else class_embeddings[c]
            table[template.format(name)] = row

    def text_encoder(texts):
        return np.stack([table[text] for text in texts])

    return CLIPZeroShotClassifier(
        lambda images: images, text_encoder, names, templates=templates,
        logit_scale=logit_scale,
    )


def reference_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    classifier = _classifier(class_embeddings, ("{}",), logit_scale)
    return classifier.logits_from_embeddings(np.asarray(image_embeddings, "float32"))


def reference_predict(image_embeddings, class_embeddings):
    classifier = _classifier(class_embeddings, ("{}",))
    return classifier.predict_classes(np.asarray(image_embeddings, "float32"))


def reference_ensemble(prompt_embeddings):
    templates = tuple(f"{{}} t{t}" for t in range(np.shape(prompt_embeddings)[1]))
    return _classifier(prompt_embeddings, templates).class_embeddings


def reference_probabilities(image_embeddings, text_embeddings, logit_scale=100.0):
    classifier = _classifier(text_embeddings, ("{}",), logit_scale)
    return classifier.predict(np.asarray(image_embeddings, "float32"))


REFERENCES = {
    "zero_shot_logits": reference_logits,
    "zero_shot_predict": reference_predict,
    "ensemble_class_embeddings": reference_ensemble,
    "confusion_matrix": oracle_confusion,
    "per_class_accuracy": oracle_per_class_accuracy,
    "description_probabilities": reference_probabilities,
    "retrieval_accuracy": oracle_retrieval,
}


# ------------------------------------------------------------------ typical mistakes


def _dot_product_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    return logit_scale * np.asarray(image_embeddings, "float64") @ np.asarray(
        class_embeddings, "float64").T


def _unscaled_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    return oracle_logits(image_embeddings, class_embeddings, 1.0)


def _norm_over_batch_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    a = np.asarray(image_embeddings, "float64")
    b = np.asarray(class_embeddings, "float64")
    a = a / np.linalg.norm(a, axis=0, keepdims=True)
    b = b / np.linalg.norm(b, axis=0, keepdims=True)
    return logit_scale * a @ b.T


def _argmin_predict(image_embeddings, class_embeddings):
    return np.argmin(oracle_logits(image_embeddings, class_embeddings), axis=1)


def _dot_product_predict(image_embeddings, class_embeddings):
    return np.argmax(_dot_product_logits(image_embeddings, class_embeddings), axis=1)


def _mean_then_normalise(prompt_embeddings):
    return _unit(np.asarray(prompt_embeddings, "float64").mean(axis=1))


def _not_renormalised(prompt_embeddings):
    return _unit(prompt_embeddings).mean(axis=1)


def _transposed_confusion(labels, predictions, num_classes):
    return oracle_confusion(predictions, labels, num_classes)


def _observed_classes_confusion(labels, predictions, num_classes):
    size = int(max(np.max(labels), np.max(predictions))) + 1
    return oracle_confusion(labels, predictions, size)


def _column_per_class(confusion):
    confusion = np.asarray(confusion, dtype="float64")
    return np.diag(confusion) / np.maximum(confusion.sum(axis=0), 1)


def _softmax(logits, axis=-1):
    logits = np.asarray(logits, "float64")
    weights = np.exp(logits - logits.max(axis=axis, keepdims=True))
    return weights / weights.sum(axis=axis, keepdims=True)


def _dot_product_probabilities(image_embeddings, text_embeddings, logit_scale=100.0):
    return _softmax(_dot_product_logits(image_embeddings, text_embeddings, logit_scale))


def _probabilities_over_images(image_embeddings, text_embeddings, logit_scale=100.0):
    return _softmax(oracle_logits(image_embeddings, text_embeddings, logit_scale), axis=0)


def _transposed_probabilities(image_embeddings, text_embeddings, logit_scale=100.0):
    return _softmax(oracle_logits(image_embeddings, text_embeddings, logit_scale).T)


def _unscaled_probabilities(image_embeddings, text_embeddings, logit_scale=100.0):
    return _softmax(oracle_logits(image_embeddings, text_embeddings, 1.0))


def _retrieval_parts(similarity, matches):
    similarity = np.asarray(similarity, "float64")
    matches = np.asarray(matches, "int64")
    return similarity, matches, np.arange(len(matches))


def _arange_retrieval(similarity, matches):
    similarity, matches, images = _retrieval_parts(similarity, matches)
    return np.array([np.mean(similarity.argmax(axis=1) == images),
                     np.mean(similarity[:, :len(images)].argmax(axis=0) == images)])


def _text_axis_retrieval(similarity, matches):
    similarity, matches, images = _retrieval_parts(similarity, matches)
    return np.array([np.mean(similarity.argmax(axis=1) == matches),
                     np.mean(similarity[:, matches].argmax(axis=1) == images)])


def _distractor_queries_retrieval(similarity, matches):
    similarity, matches, images = _retrieval_parts(similarity, matches)
    hits = np.sum(similarity[:, matches].argmax(axis=0) == images)
    return np.array([np.mean(similarity.argmax(axis=1) == matches),
                     hits / similarity.shape[1]])


def _ignore_distractors_retrieval(similarity, matches):
    similarity, matches, images = _retrieval_parts(similarity, matches)
    return np.array([np.mean(similarity[:, matches].argmax(axis=1) == images),
                     np.mean(similarity[:, matches].argmax(axis=0) == images)])


VARIANTS = {
    "zero_shot_logits": {
        "dot_products": _dot_product_logits,
        "unscaled": _unscaled_logits,
        "norm_over_batch": _norm_over_batch_logits,
    },
    "zero_shot_predict": {
        "argmin": _argmin_predict,
        "dot_products": _dot_product_predict,
    },
    "ensemble_class_embeddings": {
        "mean_then_normalise": _mean_then_normalise,
        "not_renormalised": _not_renormalised,
    },
    "confusion_matrix": {
        "transposed": _transposed_confusion,
        "observed_classes": _observed_classes_confusion,
    },
    "per_class_accuracy": {
        "columns": _column_per_class,
    },
    "description_probabilities": {
        "no_normalisation": _dot_product_probabilities,
        "softmax_over_images": _probabilities_over_images,
        "transposed": _transposed_probabilities,
        "unscaled": _unscaled_probabilities,
    },
    "retrieval_accuracy": {
        "arange": _arange_retrieval,
        "text_axis": _text_axis_retrieval,
        "distractor_queries": _distractor_queries_retrieval,
        "ignore_distractors": _ignore_distractors_retrieval,
    },
}


# ------------------------------------------------------------------ hidden cases


def _labels(seed, count, num_classes, bias=0.6):
    """Labels and predictions, right with probability `bias`, otherwise random."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, count)
    wrong = rng.integers(0, num_classes, count)
    predictions = np.where(rng.random(count) < bias, labels, wrong)
    return [labels, predictions, num_classes]


def _confusion_input(seed, num_classes, empty_class=None, count=60):
    labels, predictions, _ = _labels(seed, count, num_classes)
    if empty_class is not None:
        keep = labels != empty_class
        labels, predictions = labels[keep], predictions[keep]
    return [oracle_confusion(labels, predictions, num_classes).astype("float64")]


HIDDEN: dict[str, Case] = {
    "logits_basic": Case(
        task="zero_shot_logits",
        inputs=lambda: normal(11, (6, 8), (4, 8)),
        rtol=1e-4, atol=1e-3, description="6 images, 4 classes, default scale 100",
    ),
    "logits_scale": Case(
        task="zero_shot_logits",
        inputs=lambda: [x * 7.0 for x in normal(12, (5, 16), (10, 16))],
        kwargs={"logit_scale": 1.0 / 0.07},
        rtol=1e-4, atol=1e-4, description="unnormalised embeddings, scale 1/0.07",
    ),
    "logits_one_image": Case(
        task="zero_shot_logits",
        inputs=lambda: [normal(21, (1, 3))[0] * 0.01, normal(22, (7, 3))[0] * 30.0],
        kwargs={"logit_scale": 1.0},
        description="one short image embedding against 7 long class embeddings, scale 1",
    ),
    "logits_self_hidden": Case(
        task="zero_shot_logits",
        measure="self_similarity",
        inputs=lambda: [normal(23, (6, 12))[0] * np.arange(1, 7, dtype="float32")[:, None]],
        description="the cosine similarity of an embedding with itself is 1",
    ),
    "predict_basic": Case(
        task="zero_shot_predict",
        inputs=lambda: normal(13, (20, 8), (5, 8)),
        description="20 images, 5 classes",
    ),
    "predict_scaled": Case(
        task="zero_shot_predict",
        inputs=lambda: [normal(14, (12, 4))[0],
                        normal(15, (3, 4))[0] * np.array([[0.1], [5.0], [30.0]], "float32")],
        description="class embeddings of very different lengths (only directions count)",
    ),
    "predict_many_classes": Case(
        task="zero_shot_predict",
        inputs=lambda: normal(24, (40, 16), (10, 16)),
        description="40 images, 10 classes",
    ),
    "ensemble_basic": Case(
        task="ensemble_class_embeddings",
        inputs=lambda: normal(16, (4, 3, 8)),
        description="4 classes, 3 templates",
    ),
    "ensemble_lengths": Case(
        task="ensemble_class_embeddings",
        inputs=lambda: [normal(17, (3, 5, 6))[0]
                        * np.arange(1, 6, dtype="float32")[None, :, None] ** 2],
        description="prompt embeddings of different lengths (normalise before averaging)",
    ),
    "ensemble_norms_hidden": Case(
        task="ensemble_class_embeddings",
        measure="norms",
        inputs=lambda: [normal(25, (6, 2, 10))[0] * 5.0],
        description="each ensembled class embedding has norm 1",
    ),
    "ensemble_single_template": Case(
        task="ensemble_class_embeddings",
        inputs=lambda: [normal(26, (5, 1, 7))[0] * 0.2],
        description="one template: the normalised prompt embeddings",
    ),
    "confusion_basic": Case(
        task="confusion_matrix",
        inputs=lambda: _labels(18, 50, 4),
        description="50 predictions, 4 classes",
    ),
    "confusion_missing_class": Case(
        task="confusion_matrix",
        inputs=lambda: [np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), 4],
        description="classes 2 and 3 never occur (the matrix is still 4x4)",
    ),
    "confusion_ten_classes": Case(
        task="confusion_matrix",
        inputs=lambda: _labels(27, 300, 10, bias=0.3),
        description="300 predictions, 10 classes",
    ),
    "per_class_basic": Case(
        task="per_class_accuracy",
        inputs=lambda: _confusion_input(19, 5),
        description="5 classes",
    ),
    "hidden_per_class_empty": Case(
        task="per_class_accuracy",
        inputs=lambda: _confusion_input(20, 4, empty_class=2),
        description="a class with no test image gets accuracy 0, not NaN",
    ),
    "per_class_integer_counts": Case(
        task="per_class_accuracy",
        inputs=lambda: [oracle_confusion(*_labels(28, 80, 6, bias=0.4))],
        description="an integer confusion matrix, 6 classes",
    ),
    "probabilities_basic": Case(
        task="description_probabilities",
        inputs=lambda: normal(41, (6, 8), (9, 8)),
        kwargs={"logit_scale": 10.0},
        description="6 images, 9 descriptions, logit_scale=10",
    ),
    "probabilities_default_scale": Case(
        task="description_probabilities",
        inputs=lambda: normal(42, (4, 64), (7, 64)),
        description="4 images, 7 descriptions in 64 dimensions, default scale 100",
    ),
    "probabilities_lengths_hidden": Case(
        task="description_probabilities",
        inputs=lambda: [normal(43, (5, 16))[0] * np.arange(1, 6, dtype="float32")[:, None],
                        normal(44, (8, 16))[0] * 0.05],
        kwargs={"logit_scale": 1.0 / 0.07},
        description="embeddings of different lengths, logit_scale 1/0.07",
    ),
    "probabilities_overflow_hidden": Case(
        task="description_probabilities",
        inputs=lambda: [normal(45, (6, 12))[0][[5, 1, 3, 0]] * 7.0, normal(45, (6, 12))[0]],
        kwargs={"logit_scale": 2000.0},
        description="images pointing exactly as descriptions, logit_scale=2000 (subtract "
                    "each row's maximum before the exponential)",
    ),
    "probabilities_row_sums_hidden": Case(
        task="description_probabilities",
        measure="row_sums",
        inputs=lambda: normal(46, (10, 6), (12, 6)),
        kwargs={"logit_scale": 20.0},
        description="every row of 10 images sums to 1 over 12 descriptions",
    ),
    "probabilities_one_image": Case(
        task="description_probabilities",
        inputs=lambda: normal(47, (1, 5), (3, 5)),
        kwargs={"logit_scale": 2.0},
        description="one image, 3 descriptions: shape (1, 3)",
    ),
    "retrieval_planted": Case(
        task="retrieval_accuracy",
        inputs=lambda: [planted_similarity(48, list(range(8)), 10, signal=2.0), np.arange(8)],
        description="8 images, their descriptions in order, 2 distractors",
    ),
    "retrieval_shuffled_hidden": Case(
        task="retrieval_accuracy",
        inputs=lambda: [planted_similarity(52, [4, 7, 0, 2, 8, 5], 9, signal=2.0),
                        np.array([4, 7, 0, 2, 8, 5])],
        description="6 images whose descriptions are not in image order, 3 distractors",
    ),
    "retrieval_weak_signal": Case(
        task="retrieval_accuracy",
        inputs=lambda: [planted_similarity(37, [9, 0, 1, 2, 3, 4, 5, 6, 7, 8], 13, signal=0.8),
                        np.array([9, 0, 1, 2, 3, 4, 5, 6, 7, 8])],
        description="10 images, 13 texts, weak matches",
    ),
    "retrieval_lists": Case(
        task="retrieval_accuracy",
        inputs=lambda: [planted_similarity(62, [1, 0, 2, 3, 4], 7, signal=2.0).tolist(),
                        [1, 0, 2, 3, 4]],
        description="a similarity given as nested Python lists, `matches` as a list",
    ),
    "retrieval_no_distractors": Case(
        task="retrieval_accuracy",
        inputs=lambda: [planted_similarity(32, [2, 0, 4, 1, 3], 5), np.array([2, 0, 4, 1, 3])],
        description="5 images and 5 descriptions, no distractor",
    ),
    "retrieval_distractor_wins": Case(
        task="retrieval_accuracy",
        inputs=lambda: [planted_similarity(36, [0, 1, 2, 3, 4], 8)
                        + np.array([0, 0, 0, 0, 0, 3.0, 0, 0], "float32"), np.arange(5)],
        description="one distractor more similar to every image than any description",
    ),
}


# ------------------------------------------------------------------ stand-ins


def zero_shot_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    """Stand-in for the student's zero_shot_logits while later tasks are judged."""
    images = np.asarray(image_embeddings, dtype="float64")
    classes = np.asarray(class_embeddings, dtype="float64")
    images = images / np.maximum(np.linalg.norm(images, axis=-1, keepdims=True), 1e-6)
    classes = classes / np.maximum(np.linalg.norm(classes, axis=-1, keepdims=True), 1e-6)
    return logit_scale * images @ classes.T


STAND_INS = {"zero_shot_logits": zero_shot_logits}


# ------------------------------------------------------------------ forbidden names

# Every alias path of each callable (the judge replaces a function's code and a class's
# constructor, so any path reaches the refusal; the last name of an object is the one the
# student is told).
_CLASSIFIER = (
    "ssl_keras.clip.zero_shot.CLIPZeroShotClassifier",
    "ssl_keras.clip.CLIPZeroShotClassifier",
    "ssl_keras.models.clip_zero_shot.CLIPZeroShotClassifier",
    "ssl_keras.models.CLIPZeroShotClassifier",
    "ssl_keras.CLIPZeroShotClassifier",
)
_METHODS = "ssl_keras.clip.zero_shot.CLIPZeroShotClassifier."

FORBIDDEN = {
    "zero_shot_logits": [
        *_CLASSIFIER,
        _METHODS + "logits",
        _METHODS + "logits_from_embeddings",
        "ssl_keras.ops.similarity.pairwise_cosine_similarity",
        "ssl_keras.pairwise_cosine_similarity",
        "ssl_keras.ops.pairwise_cosine_similarity",
    ],
    "zero_shot_predict": [
        *_CLASSIFIER,
        _METHODS + "predict",
        _METHODS + "predict_classes",
        _METHODS + "top_k",
    ],
    "ensemble_class_embeddings": [*_CLASSIFIER],
    "confusion_matrix": [
        "sklearn.metrics._classification.confusion_matrix",
        "sklearn.metrics.confusion_matrix",
    ],
    "description_probabilities": [
        *_CLASSIFIER,
        _METHODS + "logits",
        _METHODS + "logits_from_embeddings",
        _METHODS + "predict",
        _METHODS + "top_k",
        "ssl_keras.ops.similarity.pairwise_cosine_similarity",
        "ssl_keras.pairwise_cosine_similarity",
        "ssl_keras.ops.pairwise_cosine_similarity",
        "ssl_keras.ops.softmax.softmax_with_temperature",
        "ssl_keras.ops.softmax_with_temperature",
        "ssl_keras.softmax_with_temperature",
    ],
    "retrieval_accuracy": [
        *_CLASSIFIER,
        _METHODS + "retrieve_texts",
        _METHODS + "retrieve_images",
    ],
}

SETUP = ("setup",)
