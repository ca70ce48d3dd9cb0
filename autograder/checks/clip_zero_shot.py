"""Checks of the clip_zero_shot assignment: zero-shot logits, prediction, prompt
ensembling, confusion matrix and per-class accuracy.

The visible checks compare with NumPy oracles written here from CLIP's definitions
(Radford et al., 2021, Section 3.1); the hidden cases' references are ssl_keras's
`CLIPZeroShotClassifier` (driven with precomputed embeddings) and NumPy oracles for the
error-analysis functions, which the package does not implement.
"""

from __future__ import annotations

import numpy as np

from ._core import Case, expect_close, normal, record_cases, to_array

# ------------------------------------------------------------------ NumPy oracles


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype="float64")
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-6)


def _oracle_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    logits = np.zeros((len(image_embeddings), len(class_embeddings)))
    for i, image in enumerate(image_embeddings):
        for c, text in enumerate(class_embeddings):
            cosine = np.dot(image, text) / (np.linalg.norm(image) * np.linalg.norm(text))
            logits[i, c] = logit_scale * cosine
    return logits


def _oracle_ensemble(prompt_embeddings):
    classes = []
    for prompts in np.asarray(prompt_embeddings, dtype="float64"):
        mean = np.mean([p / np.linalg.norm(p) for p in prompts], axis=0)
        classes.append(mean / np.linalg.norm(mean))
    return np.stack(classes)


def _oracle_confusion(labels, predictions, num_classes):
    matrix = np.zeros((num_classes, num_classes))
    for true, predicted in zip(labels, predictions):
        matrix[int(true), int(predicted)] += 1
    return matrix


def _oracle_per_class_accuracy(confusion):
    confusion = np.asarray(confusion, dtype="float64")
    accuracy = np.zeros(len(confusion))
    for c in range(len(confusion)):
        total = confusion[c].sum()
        accuracy[c] = confusion[c, c] / total if total > 0 else 0.0
    return accuracy


# ------------------------------------------------------------------ package references


def _classifier(class_embeddings, templates, logit_scale=100.0):
    """A `CLIPZeroShotClassifier` whose text encoder looks prompts up in a table."""
    from ssl_keras.models import CLIPZeroShotClassifier

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


def _labels(seed, count, num_classes, bias=0.6):
    """Labels and predictions, right with probability `bias`, otherwise random."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, count)
    wrong = rng.integers(0, num_classes, count)
    predictions = np.where(rng.random(count) < bias, labels, wrong)
    return [labels, predictions, num_classes]


def _confusion_input(seed, num_classes, empty_class=None):
    labels, predictions, _ = _labels(seed, 60, num_classes)
    if empty_class is not None:
        keep = labels != empty_class
        labels, predictions = labels[keep], predictions[keep]
    return [_oracle_confusion(labels, predictions, num_classes)]


CASES: dict[str, Case] = {
    "logits_basic": Case(
        cell="zero_shot_logits_tests", task="zero_shot_logits",
        inputs=lambda: normal(11, (6, 8), (4, 8)), reference=reference_logits,
        rtol=1e-4, atol=1e-3, description="6 images, 4 classes, default scale 100",
    ),
    "logits_scale": Case(
        cell="zero_shot_logits_tests", task="zero_shot_logits",
        inputs=lambda: [x * 7.0 for x in normal(12, (5, 16), (10, 16))],
        reference=reference_logits, kwargs={"logit_scale": 1.0 / 0.07},
        rtol=1e-4, atol=1e-4, description="unnormalised embeddings, scale 1/0.07",
    ),
    "predict_basic": Case(
        cell="zero_shot_predict_tests", task="zero_shot_predict",
        inputs=lambda: normal(13, (20, 8), (5, 8)), reference=reference_predict,
        description="20 images, 5 classes",
    ),
    "predict_scaled": Case(
        cell="zero_shot_predict_tests", task="zero_shot_predict",
        inputs=lambda: [normal(14, (12, 4))[0],
                        normal(15, (3, 4))[0] * np.array([[0.1], [5.0], [30.0]], "float32")],
        reference=reference_predict,
        description="class embeddings of very different lengths (only directions count)",
    ),
    "ensemble_basic": Case(
        cell="ensemble_tests", task="ensemble_class_embeddings",
        inputs=lambda: normal(16, (4, 3, 8)), reference=reference_ensemble,
        description="4 classes, 3 templates",
    ),
    "ensemble_lengths": Case(
        cell="ensemble_tests", task="ensemble_class_embeddings",
        inputs=lambda: [normal(17, (3, 5, 6))[0]
                        * np.arange(1, 6, dtype="float32")[None, :, None] ** 2],
        reference=reference_ensemble,
        description="prompt embeddings of different lengths (normalise before averaging)",
    ),
    "confusion_basic": Case(
        cell="confusion_tests", task="confusion_matrix",
        inputs=lambda: _labels(18, 50, 4), reference=_oracle_confusion,
        description="50 predictions, 4 classes",
    ),
    "confusion_missing_class": Case(
        cell="confusion_tests", task="confusion_matrix",
        inputs=lambda: [np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), 4],
        reference=_oracle_confusion,
        description="classes 2 and 3 never occur (the matrix is still 4x4)",
    ),
    "per_class_basic": Case(
        cell="per_class_tests", task="per_class_accuracy",
        inputs=lambda: _confusion_input(19, 5), reference=_oracle_per_class_accuracy,
        description="5 classes",
    ),
    "per_class_empty": Case(
        cell="per_class_tests", task="per_class_accuracy",
        inputs=lambda: _confusion_input(20, 4, empty_class=2),
        reference=_oracle_per_class_accuracy,
        description="a class with no test image gets accuracy 0, not NaN",
    ),
}

# The cells where calling the package's own classifier or similarity would score 0.
FORBIDDEN: dict[str, list[str]] = {
    "zero_shot_logits_tests": [
        "ssl_keras.models.CLIPZeroShotClassifier",
        "ssl_keras.models.clip_zero_shot",
        "ssl_keras.ops.pairwise_cosine_similarity",
        "ssl_keras.ops.similarity",
    ],
    "zero_shot_predict_tests": [
        "ssl_keras.models.CLIPZeroShotClassifier",
        "ssl_keras.models.clip_zero_shot",
    ],
    "ensemble_tests": [
        "ssl_keras.models.CLIPZeroShotClassifier",
        "ssl_keras.models.clip_zero_shot",
    ],
    "confusion_tests": ["sklearn.metrics.confusion_matrix"],
}


# ------------------------------------------------------------------ visible checks


def check_zero_shot_logits(zero_shot_logits) -> None:
    """Visible checks of `zero_shot_logits(image_embeddings, class_embeddings, logit_scale)`."""
    image, text = normal(1, (3, 5), (4, 5))
    expect_close(zero_shot_logits(image, text), _oracle_logits(image, text),
                 "zero_shot_logits on 3 images and 4 classes (scale 100)", atol=1e-3)
    same = zero_shot_logits(text[:2], text, logit_scale=1.0)
    expect_close(np.diag(to_array(same)[:, :2]), [1.0, 1.0],
                 "The cosine similarity of an embedding with itself", atol=1e-4)
    scaled = zero_shot_logits(image * 10.0, text * 0.1, logit_scale=1.0)
    expect_close(scaled, _oracle_logits(image, text, 1.0),
                 "Logits must not depend on the embeddings' lengths (divide by the norms)",
                 atol=1e-4)
    print("zero_shot_logits: all visible checks passed.")


def record_zero_shot_logits(zero_shot_logits) -> None:
    record_cases(CASES, "zero_shot_logits", zero_shot_logits)


def check_zero_shot_predict(zero_shot_predict) -> None:
    """Visible checks of `zero_shot_predict(image_embeddings, class_embeddings)`."""
    classes = np.eye(3, 4, dtype="float32")
    images = np.array([[0.1, 0.9, 0.0, 0.0], [0.0, 0.2, 0.8, 0.1], [2.0, 0.0, 0.1, 0.0]],
                      dtype="float32")
    predicted = to_array(zero_shot_predict(images, classes))
    if predicted.shape != (3,):
        raise AssertionError(
            f"zero_shot_predict should return one class index per image, shape (3,); got "
            f"shape {predicted.shape}."
        )
    expect_close(predicted, [1, 2, 0], "Predicted classes of three easy images")
    image, text = normal(2, (10, 6), (4, 6))
    scaled = text * np.array([[0.01], [1.0], [50.0], [3.0]], "float32")
    expect_close(zero_shot_predict(image, scaled),
                 np.argmax(_oracle_logits(image, text), axis=1),
                 "Predictions with class embeddings of very different lengths "
                 "(use the cosine similarity, not the dot product)")
    print("zero_shot_predict: all visible checks passed.")


def record_zero_shot_predict(zero_shot_predict) -> None:
    record_cases(CASES, "zero_shot_predict", zero_shot_predict)


def check_ensemble_class_embeddings(ensemble_class_embeddings) -> None:
    """Visible checks of `ensemble_class_embeddings(prompt_embeddings)`."""
    (prompts,) = normal(3, (3, 4, 5))
    result = ensemble_class_embeddings(prompts)
    expect_close(result, _oracle_ensemble(prompts),
                 "ensemble_class_embeddings on 3 classes x 4 templates", atol=1e-4)
    norms = np.linalg.norm(to_array(result), axis=-1)
    expect_close(norms, np.ones(3), "The norm of each class embedding (normalise the mean)",
                 atol=1e-4)
    single = ensemble_class_embeddings(prompts[:, :1] * 4.0)
    expect_close(single, _unit(prompts[:, 0]),
                 "With one template, the class embedding is the normalised prompt embedding",
                 atol=1e-4)
    stretched = prompts * np.array([1.0, 100.0, 1.0, 0.01], "float32")[None, :, None]
    expect_close(ensemble_class_embeddings(stretched), _oracle_ensemble(prompts),
                 "Each prompt embedding must be normalised BEFORE averaging", atol=1e-4)
    print("ensemble_class_embeddings: all visible checks passed.")


def record_ensemble_class_embeddings(ensemble_class_embeddings) -> None:
    record_cases(CASES, "ensemble_class_embeddings", ensemble_class_embeddings)


def check_confusion_matrix(confusion_matrix) -> None:
    """Visible checks of `confusion_matrix(labels, predictions, num_classes)`."""
    labels = np.array([0, 0, 1, 2, 2, 2])
    predictions = np.array([0, 1, 1, 2, 0, 2])
    expected = [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    expect_close(confusion_matrix(labels, predictions, 3), expected,
                 "confusion_matrix of 6 predictions (rows = true class, columns = predicted)")
    matrix = to_array(confusion_matrix(np.array([1]), np.array([1]), 5))
    expect_close(matrix.shape, (5, 5), "The shape for num_classes=5 and only class 1 present")
    expect_close(matrix.sum(), 1.0, "The sum of all entries (one per image)")
    print("confusion_matrix: all visible checks passed.")


def record_confusion_matrix(confusion_matrix) -> None:
    record_cases(CASES, "confusion_matrix", confusion_matrix)


def check_per_class_accuracy(per_class_accuracy) -> None:
    """Visible checks of `per_class_accuracy(confusion)`."""
    confusion = np.array([[3, 1, 0], [2, 2, 0], [0, 0, 5]], dtype="float64")
    expect_close(per_class_accuracy(confusion), [0.75, 0.5, 1.0],
                 "per_class_accuracy of a 3-class confusion matrix (diagonal / row sum)")
    empty = np.array([[2, 0], [0, 0]], dtype="float64")
    expect_close(per_class_accuracy(empty), [1.0, 0.0],
                 "A class without any test image should get accuracy 0 (not NaN)")
    print("per_class_accuracy: all visible checks passed.")


def record_per_class_accuracy(per_class_accuracy) -> None:
    record_cases(CASES, "per_class_accuracy", per_class_accuracy)
