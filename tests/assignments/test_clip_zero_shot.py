"""The clip_zero_shot assignment: notebook in sync, checks accept the solution and reject
wrong implementations, hidden cases agree with ssl_keras's CLIPZeroShotClassifier."""

import numpy as np
import pytest
from ssl_keras_autograder.checks import clip_zero_shot as checks

from tests.assignments.source_notebooks import (
    assert_matches_references,
    built_cells,
    check_notebook_structure,
    committed_cells,
    comparable,
    execute_fast,
    recorded_values,
    solution_namespace,
)

NAME = "clip_zero_shot"
SOLUTION_CELLS = ["zero_shot_logits", "zero_shot_predict", "ensemble", "confusion", "per_class"]
TASKS = {
    "zero_shot_logits": "zero_shot_logits",
    "zero_shot_predict": "zero_shot_predict",
    "ensemble_class_embeddings": "ensemble_class_embeddings",
    "confusion_matrix": "confusion_matrix",
    "per_class_accuracy": "per_class_accuracy",
}


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NAME, SOLUTION_CELLS)


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure():
    check_notebook_structure(NAME, checks)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_solution_passes_visible_checks_and_hidden_references(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    getattr(checks, f"record_{task}")(solutions[task])
    assert_matches_references(checks.CASES, recorded_values(capsys), task)


def _unnormalised_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    return logit_scale * np.asarray(image_embeddings) @ np.asarray(class_embeddings).T


def _unscaled_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    a = image_embeddings / np.linalg.norm(image_embeddings, axis=1, keepdims=True)
    b = class_embeddings / np.linalg.norm(class_embeddings, axis=1, keepdims=True)
    return a @ b.T


def _wrong_axis_norm_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    a = image_embeddings / np.linalg.norm(image_embeddings, axis=0, keepdims=True)
    b = class_embeddings / np.linalg.norm(class_embeddings, axis=0, keepdims=True)
    return logit_scale * a @ b.T


def _dot_product_predict(image_embeddings, class_embeddings):
    return np.argmax(np.asarray(image_embeddings) @ np.asarray(class_embeddings).T, axis=1)


def _argmin_predict(image_embeddings, class_embeddings):
    return np.argmin(_unscaled_logits(image_embeddings, class_embeddings), axis=1)


def _mean_then_normalise(prompt_embeddings):
    mean = np.asarray(prompt_embeddings).mean(axis=1)
    return mean / np.linalg.norm(mean, axis=-1, keepdims=True)


def _not_renormalised(prompt_embeddings):
    p = prompt_embeddings / np.linalg.norm(prompt_embeddings, axis=-1, keepdims=True)
    return p.mean(axis=1)


def _transposed_confusion(labels, predictions, num_classes):
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (predictions, labels), 1)
    return matrix


def _observed_classes_confusion(labels, predictions, num_classes):
    size = int(max(np.max(labels), np.max(predictions))) + 1
    matrix = np.zeros((size, size))
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def _nan_per_class(confusion):
    with np.errstate(all="ignore"):
        return np.diag(confusion) / confusion.sum(axis=1)


def _column_per_class(confusion):
    return np.diag(confusion) / np.maximum(confusion.sum(axis=0), 1)


@pytest.mark.parametrize(
    "task, wrong",
    [
        ("zero_shot_logits", _unnormalised_logits),
        ("zero_shot_logits", _unscaled_logits),
        ("zero_shot_logits", _wrong_axis_norm_logits),
        ("zero_shot_predict", _dot_product_predict),
        ("zero_shot_predict", _argmin_predict),
        ("ensemble_class_embeddings", _mean_then_normalise),
        ("ensemble_class_embeddings", _not_renormalised),
        ("confusion_matrix", _transposed_confusion),
        ("confusion_matrix", _observed_classes_confusion),
        ("per_class_accuracy", _nan_per_class),
        ("per_class_accuracy", _column_per_class),
    ],
)
def test_visible_checks_reject_wrong_implementations(task, wrong):
    with pytest.raises(AssertionError):
        getattr(checks, f"check_{task}")(wrong)


@pytest.mark.parametrize(
    "task, wrong",
    [
        ("zero_shot_logits", _unnormalised_logits),
        ("zero_shot_predict", _dot_product_predict),
        ("ensemble_class_embeddings", _mean_then_normalise),
        ("confusion_matrix", _transposed_confusion),
        ("per_class_accuracy", _column_per_class),
    ],
)
def test_hidden_cases_tell_wrong_implementations_apart(task, wrong, capsys):
    getattr(checks, f"record_{task}")(wrong)
    with pytest.raises(AssertionError):
        assert_matches_references(checks.CASES, recorded_values(capsys), task)


def test_oracles_agree_with_the_package_classifier():
    """The visible checks' NumPy oracles and the hidden references (the package) agree."""
    image, text = checks.normal(5, (7, 6), (3, 6))
    np.testing.assert_allclose(checks.reference_logits(image, text),
                               checks._oracle_logits(image, text), rtol=1e-4, atol=1e-3)
    (prompts,) = checks.normal(6, (3, 4, 6))
    np.testing.assert_allclose(checks.reference_ensemble(prompts),
                               checks._oracle_ensemble(prompts), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    recorded = execute_fast(NAME, monkeypatch)
    for task in {case.task for case in checks.CASES.values()}:
        assert_matches_references(checks.CASES, recorded, task)
