"""The clip_zero_shot assignment: notebook in sync, visible checks accept the solution and
reject wrong implementations (naming the mistake), the solution matches every stored
expected value, the grader's oracles agree with ssl_keras's CLIPZeroShotClassifier (its
logits, probabilities, and its retrieval both ways)."""

import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import _core
from ssl_keras_autograder.checks import clip_zero_shot as checks
from ssl_keras_autograder.judges import clip_zero_shot as judge

from tests.assignments.source_notebooks import (
    assert_solution_matches_expected,
    built_cells,
    check_notebook_structure,
    committed_cells,
    comparable,
    execute_fast,
    judged_problems,
    solution_namespace,
)

NAME = "clip_zero_shot"
SOLUTION_CELLS = ["zero_shot_logits", "zero_shot_predict", "ensemble", "confusion", "per_class",
                  "description_probabilities", "retrieval_accuracy"]
TASKS = list(checks.TASKS.values())


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NAME, SOLUTION_CELLS)


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure():
    check_notebook_structure(NAME, checks)


def test_references_are_up_to_date():
    assert references.check([NAME]) == []


def test_visible_module_holds_no_reference():
    """The kernel-visible module has no oracle and does not import the package's classifier."""
    source = open(checks.__file__).read()
    assert "ssl_keras.models" not in source and "CLIPZeroShotClassifier" not in source
    assert not any(name.startswith(("oracle", "reference", "_oracle")) for name in dir(checks))


@pytest.mark.parametrize("task", TASKS)
def test_solution_passes_visible_checks(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    assert f"{task}: all visible checks passed." in capsys.readouterr().out


def test_solution_matches_every_expected_value(solutions):
    assert_solution_matches_expected(NAME, solutions, checks)


def test_stand_in_matches_expected_values():
    """The stand-in of zero_shot_logits (used while later tasks are judged) is right."""
    assert_solution_matches_expected(
        NAME, {"zero_shot_logits": judge.STAND_INS["zero_shot_logits"]}, checks,
        tasks=["zero_shot_logits"],
    )


@pytest.mark.parametrize("cell_id, task", [("zero_shot_predict", "zero_shot_predict"),
                                           ("description_probabilities",
                                            "description_probabilities")])
def test_solutions_work_on_the_stand_in(cell_id, task):
    """zero_shot_predict's and description_probabilities' solutions call zero_shot_logits:
    judged with the stand-in in its place, they still match every expected value."""
    namespace = {"np": np, "zero_shot_logits": judge.STAND_INS["zero_shot_logits"]}
    cell = next(c for c in committed_cells(NAME) if c["id"] == cell_id)
    exec("".join(cell["source"]), namespace)
    assert_solution_matches_expected(NAME, namespace, checks, tasks=[task])


def _loop_logits(image_embeddings, class_embeddings, logit_scale=100.0):
    return judge.oracle_logits(image_embeddings, class_embeddings, logit_scale)


def _nan_per_class(confusion):
    with np.errstate(all="ignore"):
        confusion = np.asarray(confusion, dtype="float64")
        return np.diag(confusion) / confusion.sum(axis=1)


def _naive_probabilities(image_embeddings, text_embeddings, logit_scale=100.0):
    """exp without subtracting the maximum: right, until a logit is large."""
    with np.errstate(all="ignore"):
        weights = np.exp(judge.oracle_logits(image_embeddings, text_embeddings, logit_scale))
        return weights / weights.sum(axis=-1, keepdims=True)


def _float_confusion(labels, predictions, num_classes):
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (labels, predictions), 1.0)
    return matrix


WRONG = [
    # (task, variant or function, words the visible check's message must contain)
    ("zero_shot_logits", "dot_products", "plain dot products"),
    ("zero_shot_logits", "unscaled", "without the factor `logit_scale`"),
    ("zero_shot_logits", "norm_over_batch", "norms taken over the batch"),
    ("zero_shot_predict", "argmin", "argmin"),
    ("zero_shot_predict", "dot_products", "the dot product was used"),
    ("ensemble_class_embeddings", "mean_then_normalise", "without normalising each"),
    ("ensemble_class_embeddings", "not_renormalised", "was not normalised again"),
    ("confusion_matrix", "transposed", "rows and columns are swapped"),
    ("confusion_matrix", "observed_classes", "sized by the classes that occur"),
    ("per_class_accuracy", "columns", "column sums"),
    ("per_class_accuracy", _nan_per_class, "NaN"),
    ("description_probabilities", "no_normalisation", "plain dot products"),
    ("description_probabilities", "softmax_over_images", "a softmax over the images"),
    ("description_probabilities", "transposed", "the rows should be the images"),
    ("description_probabilities", "unscaled", "without the factor `logit_scale`"),
    ("description_probabilities", _naive_probabilities, "NaN"),
    ("retrieval_accuracy", "arange", "`matches` was ignored"),
    ("retrieval_accuracy", "text_axis", "down its column"),
    ("retrieval_accuracy", "distractor_queries", "counted as text queries"),
    ("retrieval_accuracy", "ignore_distractors", "compared only the descriptions"),
]


def _wrong(task, variant):
    return judge.VARIANTS[task][variant] if isinstance(variant, str) else variant


@pytest.mark.parametrize("task, variant, words", WRONG)
def test_visible_checks_reject_wrong_implementations(task, variant, words):
    with pytest.raises(AssertionError, match=words.replace("`", ".").replace("(", ".")):
        getattr(checks, f"check_{task}")(_wrong(task, variant))


@pytest.mark.parametrize("task, variant, words", WRONG)
def test_grader_rejects_wrong_implementations(task, variant, words):
    assert judged_problems(NAME, _wrong(task, variant), task, checks)


def test_right_variants_of_the_solution_pass():
    """A loop oracle (float64) and a float confusion matrix with whole counts pass."""
    checks.check_zero_shot_logits(_loop_logits)
    checks.check_confusion_matrix(_float_confusion)
    assert not judged_problems(NAME, _loop_logits, "zero_shot_logits", checks)
    assert not judged_problems(NAME, _float_confusion, "confusion_matrix", checks)


def test_fractional_counts_are_rejected():
    def fractional(labels, predictions, num_classes):
        return _float_confusion(labels, predictions, num_classes) + 0.5

    with pytest.raises(AssertionError, match="whole numbers"):
        checks.check_confusion_matrix(fractional)


def test_not_implemented_says_so():
    def missing(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_zero_shot_logits(missing)


def test_oracles_agree_with_the_package_classifier():
    """The NumPy oracles and the references (the package's classifier) agree."""
    image, text = _core.normal(5, (7, 6), (3, 6))
    np.testing.assert_allclose(judge.reference_logits(image, text),
                               judge.oracle_logits(image, text), rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(judge.reference_predict(image, text),
                                  judge.oracle_predict(image, text))
    (prompts,) = _core.normal(6, (3, 4, 6))
    np.testing.assert_allclose(judge.reference_ensemble(prompts),
                               judge.oracle_ensemble(prompts), rtol=1e-4, atol=1e-5)


def test_probability_oracle_agrees_with_the_package_classifier():
    """Softmax over the texts of the scaled cosines: the loop oracle and the package's
    `CLIPZeroShotClassifier.predict` (the reference), on plain and on overflowing logits."""
    image, text = _core.normal(9, (5, 8), (7, 8))
    for scale in (1.0, 10.0, 100.0):
        np.testing.assert_allclose(judge.reference_probabilities(image, text, scale),
                                   judge.oracle_probabilities(image, text, scale),
                                   rtol=1e-4, atol=1e-6)
    same = text[[3, 1]] * 4.0
    np.testing.assert_allclose(judge.reference_probabilities(same, text, 5000.0),
                               np.eye(7)[[3, 1]], atol=1e-6)
    np.testing.assert_allclose(judge.oracle_probabilities(same, text, 5000.0),
                               np.eye(7)[[3, 1]], atol=1e-12)


def test_retrieval_oracle_agrees_with_the_package_retrieval():
    """The oracle's two accuracies on a cosine matrix equal the hit rates of the package's
    `retrieve_texts` (top-1 text of each image, distractors included) and
    `retrieve_images` (top-1 image of each description), for shuffled descriptions."""
    for seed in range(5):
        images, texts = _core.normal(60 + seed, (6, 10), (9, 10))
        matches = np.random.default_rng(seed).permutation(9)[:6]
        texts[matches] += 1.5 * images  # most images are close to their description
        classifier = judge._classifier(texts, ("{}",))
        names = list(classifier.class_names)
        best_texts, _ = classifier.retrieve_texts(images, names, k=1)
        best_images, _ = classifier.retrieve_images([names[m] for m in matches], images, k=1)
        expected = [np.mean(best_texts[:, 0] == matches),
                    np.mean(best_images[:, 0] == np.arange(6))]
        similarity = judge.oracle_logits(images, texts, 1.0)
        np.testing.assert_allclose(judge.oracle_retrieval(similarity, matches), expected)


def test_retrieval_oracle_closed_forms():
    """By hand: the visible hand-made case; a perfect diagonal; a distractor above all."""
    similarity = checks._HAND_SIMILARITY
    np.testing.assert_allclose(judge.oracle_retrieval(similarity, [0, 1, 2]), [1 / 3, 1.0])
    np.testing.assert_allclose(judge.oracle_retrieval(np.eye(4, 6), [0, 1, 2, 3]), [1.0, 1.0])
    dominated = np.eye(3, 4) + np.array([0.0, 0.0, 0.0, 2.0])
    np.testing.assert_allclose(judge.oracle_retrieval(dominated, [0, 1, 2]), [0.0, 1.0])
    # Ties go to the first index, as numpy.argmax.
    # image 0 picks text 0 (not its 1), image 1 picks text 0 (its own); text 1 picks image
    # 0 (its own), text 0 picks image 0 (not its 1).
    np.testing.assert_allclose(judge.oracle_retrieval(np.ones((2, 3)), [1, 0]), [0.5, 0.5])


def test_oracles_agree_with_closed_forms():
    labels, predictions = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(judge.oracle_confusion(labels, predictions, 3),
                                  [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_allclose(
        judge.oracle_per_class_accuracy([[3, 1, 0], [2, 2, 0], [0, 0, 5]]), [0.75, 0.5, 1.0])
    np.testing.assert_allclose(judge.oracle_per_class_accuracy([[2, 0], [0, 0]]), [1.0, 0.0])
    (text,) = _core.normal(7, (4, 5))
    np.testing.assert_allclose(np.diag(judge.oracle_logits(text, text, 1.0)), np.ones(4))
    (prompts,) = _core.normal(8, (3, 1, 5))
    np.testing.assert_allclose(judge.oracle_ensemble(prompts * 3.0),
                               judge._unit(prompts[:, 0]), atol=1e-12)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    labels, predictions, _ = judge._labels(9, 100, 6)
    np.testing.assert_array_equal(
        judge.oracle_confusion(labels, predictions, 6),
        sklearn_metrics.confusion_matrix(labels, predictions, labels=range(6)))


def test_forbidden_names_are_per_task():
    """Each task forbids only its own implementations; the stand-in's helpers stay free."""
    assert set(judge.FORBIDDEN) <= set(TASKS)
    assert "sklearn.metrics.confusion_matrix" not in judge.FORBIDDEN["zero_shot_logits"]
    for names in judge.FORBIDDEN.values():
        assert not any("l2_normalize" in name for name in names)
    import importlib

    for names in judge.FORBIDDEN.values():
        for name in names:
            module, _, attribute = name.partition(".")
            target = importlib.import_module(module)
            parts = attribute.split(".")
            for index, part in enumerate(parts):
                try:
                    target = getattr(target, part)
                except AttributeError:
                    target = importlib.import_module(f"{module}." + ".".join(parts[:index + 1]))
            assert callable(target), name


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    notebook = execute_fast(NAME, monkeypatch)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not any(out.get("output_type") == "error" for out in cell.outputs)
