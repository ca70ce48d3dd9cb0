"""The simclr assignment: notebook in sync with its builder, the visible checks accept the
solutions and name the mistakes of broken answers, every case (visible and hidden) matches
the stored values, and the grader's references agree with independent implementations:
SimCLRAugmentation with NumPy oracles on the deterministic settings, the NumPy head with
the library's ProjectionHead, the NumPy feature extraction with a direct forward pass, the
NumPy logistic regression with scikit-learn's and the library's probes, the NumPy accuracy
with Keras's metric."""

import keras
import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import simclr as checks
from ssl_keras_autograder.judge import resolve
from ssl_keras_autograder.judges import simclr as judge

import ssl_keras
from tests.assignments.run_notebook import execute_fast
from tests.assignments.source_notebooks import (
    assert_solution_matches_expected,
    built_cells,
    check_notebook_structure,
    committed_cells,
    comparable,
    judged_problems,
    solution_namespace,
)

NAME = "simclr"
TASK = "TwoViewAugmentation"
HEAD, FEATURES, PROBE, ACCURACY = (checks.HEAD, checks.FEATURES, checks.PROBE,
                                   checks.ACCURACY)
ANSWERS = ["augmentation", "projection_head", "features", "linear_probe_answer",
           "probe_accuracy"]
POINTS = {"augmentation_tests": 4, "projection_head_tests": 2, "features_tests": 2,
          "linear_probe_tests": 3, "probe_accuracy_tests": 1}

pytestmark = pytest.mark.filterwarnings("ignore:`build\\(\\)` was called:UserWarning")


@pytest.fixture(scope="module")
def solutions():
    namespace = {"np": np, "keras": keras, "ops": keras.ops, "ssl_keras": ssl_keras}
    return solution_namespace(NAME, ANSWERS, namespace)


@pytest.fixture(scope="module")
def solution(solutions):
    return solutions[TASK]


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure_and_points():
    check_notebook_structure(NAME, checks)
    assert list(checks.TASKS.values()) == [TASK, HEAD, FEATURES, PROBE, ACCURACY]
    graded = [cell for cell in committed_cells(NAME)
              if cell["metadata"].get("nbgrader", {}).get("grade")]
    points = {cell["id"]: cell["metadata"]["nbgrader"]["points"] for cell in graded}
    assert {cell: points[cell] for cell in POINTS} == POINTS
    assert sum(points.values()) - sum(POINTS.values()) == 10  # the written questions
    assert sum(points.values()) == 22


def test_the_notebook_evaluates_with_the_students_functions():
    """No locked cell calls the library's versions of what the students write."""
    locked = "".join("".join(cell["source"]) for cell in committed_cells(NAME)
                     if cell["metadata"].get("nbgrader", {}).get("locked"))
    for library in ("evaluation.extract_features", "evaluation.linear_probe", "train_simclr",
                    "ProjectionHead", "SimCLRAugmentation"):
        assert library not in locked, library
    for own in ("projection_head=build_projection_head(", "extract_features(encoder, x_train)",
                "train_linear_probe(", "probe_accuracy(probe, test_features, y_test)"):
        assert own in locked, own


def test_visible_and_hidden_case_names_differ():
    assert not set(checks.VISIBLE) & set(judge.HIDDEN)


def test_stored_values_are_up_to_date():
    assert references.check([NAME]) == []


def test_solution_passes_visible_checks(solutions, capsys):
    checks.check_TwoViewAugmentation(solutions[TASK])
    checks.check_build_projection_head(solutions[HEAD])
    checks.check_extract_features(solutions[FEATURES])
    checks.check_probe_accuracy(solutions[ACCURACY])
    assert capsys.readouterr().out.count("all visible checks passed") == 4


def test_solution_matches_every_case(solutions):
    assert_solution_matches_expected(NAME, solutions, checks,
                                     tasks=[TASK, HEAD, FEATURES, ACCURACY])


@pytest.mark.slow
def test_probe_solution_passes_and_matches_every_case(solutions, capsys):
    """Trains the solution's probe on every case (about 30 s)."""
    checks.check_train_linear_probe(solutions[PROBE])
    assert "all visible checks passed" in capsys.readouterr().out
    assert_solution_matches_expected(NAME, solutions, checks, tasks=[PROBE])


# --- the augmentation's reference against NumPy oracles of the deterministic settings.


def oracle_grayscale(images) -> np.ndarray:
    gray = np.asarray(images, "float64") @ np.array([0.2989, 0.587, 0.114])
    return np.repeat(gray[..., None], 3, axis=-1)


def test_deterministic_cases_match_numpy_oracles():
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(NAME)
    oracles = {
        "identity": lambda x: x,
        "identity_views": lambda x: x,
        "flip_always": lambda x: x[:, :, ::-1],
        "flip_views": lambda x: x[:, :, ::-1],
        "grayscale_always": oracle_grayscale,
        "grayscale_views": oracle_grayscale,
        "flip_and_grayscale": lambda x: oracle_grayscale(x[:, :, ::-1]),
    }
    for name, oracle in oracles.items():
        view = oracle(spec.cases[name].inputs()[0].astype("float64"))
        np.testing.assert_allclose(spec.expected[name]["value"],
                                   checks.profiles(np.stack([view, view])), atol=0.5,
                                   err_msg=name)
    np.testing.assert_array_equal(spec.expected["random_pipeline"]["value"],
                                  [6, 16, 16, 3, 6, 16, 16, 3, 1, 1, 1, 1])
    np.testing.assert_array_equal(spec.expected["random_pipeline_resized"]["value"],
                                  [6, 12, 12, 3, 6, 12, 12, 3, 1, 1, 1, 1])
    for name in ("full_value_range", "full_different_views", "full_same_seed",
                 "full_other_seed", "color_jitter_changes_views", "color_jitter_applied"):
        assert spec.expected[name]["value"] == [1.0], name


# --- the other references against independent implementations.


def _library_head(input_dim, hidden_dim, output_dim):
    return ssl_keras.layers.ProjectionHead(hidden_dims=(hidden_dim,), output_dim=output_dim,
                                           use_batch_norm=False)


def test_numpy_head_is_the_library_head_without_batch_norm():
    """On every case of the head, the NumPy reference gives what ssl_keras's ProjectionHead
    (Dense-ReLU-Dense without batch norm) gives through the same harness."""
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(NAME)
    cases = {name: case for name, case in spec.cases.items() if case.task == HEAD}
    assert len(cases) == 9
    for name, case in cases.items():
        library = checks._core.evaluate(case, _library_head, checks)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(library),
                                   spec.expected[name]["value"], rtol=1e-4, atol=1e-4,
                                   err_msg=name)


def test_the_notebook_head_has_the_notebooks_size():
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(NAME)
    structure = spec.cases["hidden_head_structure_notebook"]
    assert structure.kwargs == dict(input_dim=256, hidden_dim=512, output_dim=128)
    assert spec.expected["hidden_head_structure_notebook"]["value"] == [
        4, 256 * 512 + 512 + 512 * 128 + 128, 0]


def test_numpy_features_are_the_encoders_inference_outputs():
    """The NumPy extraction equals one direct call of the harness encoder in inference
    mode and ssl_keras's extract_features; training mode gives other values."""
    images = checks.random_images(7, (9, 5, 5, 3))
    encoder = checks.harness_encoder(images.shape[1:], seed=3)
    oracle = judge.oracle_extract_features(encoder, images)
    direct = keras.ops.convert_to_numpy(encoder(images, training=False))
    library = ssl_keras.evaluation.extract_features(encoder, images, batch_size=4, verbose=0)
    np.testing.assert_allclose(oracle, direct, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(oracle, library, rtol=1e-5, atol=1e-5)
    training = keras.ops.convert_to_numpy(encoder(images, training=True))
    assert np.max(np.abs(training - oracle)) > 0.1


def test_extraction_properties_see_what_they_claim():
    """Each property of the harness is 0 exactly for the answer that breaks it."""
    images = checks.random_images(8, (10, 4, 4, 3))
    measure = checks.extraction_properties
    assert list(measure(judge.oracle_extract_features, images, 0, batch_size=4)) == [1, 1, 1]
    for variant, expected in (("tensor", [0, 1, 1]), ("training_mode", [1, 0, 1]),
                              ("all_at_once", [1, 1, 0])):
        values = measure(judge.VARIANTS[FEATURES][variant], images, 0, batch_size=4)
        assert list(values) == expected, variant


def _sklearn_accuracy(train_features, train_labels, test_features, test_labels, classes):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train_features)
    model = LogisticRegression(C=1e4, max_iter=5000).fit(scaler.transform(train_features),
                                                         train_labels)
    return np.mean(model.predict(scaler.transform(test_features)) == test_labels)


def test_numpy_probe_is_a_converged_logistic_regression():
    """On every accuracy case the NumPy probe's test accuracy is within 2 points of
    scikit-learn's logistic regression (lbfgs, standardised features, almost no
    regularisation), and its gradient has vanished."""
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(NAME)
    cases = {name: case for name, case in spec.cases.items()
             if case.measure == "probe_test_accuracy"}
    assert len(cases) == 5
    for name, case in cases.items():
        inputs = case.inputs()
        reference = spec.expected[name]["value"]
        assert abs(reference - _sklearn_accuracy(*inputs)) <= 0.02, name
        assert reference >= 0.9, name  # broken probes stay far below
    features, labels, _, _, classes = checks.blobs(1, 400, 200, 8, 4, 1.4)
    x = (features - features.mean(0)) / features.std(0)
    probe = judge.oracle_train_linear_probe(features, labels, classes)
    scores = probe(features)
    gradient = x.T @ (judge._softmax(scores) - np.eye(classes)[labels]) / len(x)
    assert np.max(np.abs(gradient)) < 1e-3


@pytest.mark.slow
def test_library_probe_agrees_with_the_numpy_probe():
    """ssl_keras's linear_probe (Adam, cosine decay, mini-batches) lands within the
    tolerance of the NumPy probe on every accuracy case."""
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(NAME)
    for name, case in spec.cases.items():
        if case.measure != "probe_test_accuracy":
            continue
        train_features, train_labels, test_features, test_labels, classes = case.inputs()
        result = ssl_keras.evaluation.linear_probe(
            train_features, train_labels, test_features, test_labels, num_classes=classes,
            seed=0, verbose=0, **case.kwargs)
        assert abs(result.accuracy - spec.expected[name]["value"]) <= checks.PROBE_TOLERANCE


def test_numpy_accuracy_is_kerass_metric():
    for seed, n in ((30, 40), (31, 23), (60, 300)):
        features, labels, kernel, bias = checks.probe_weights(seed, n, 6, 4)
        probe = checks.linear_probe_model(kernel, bias)
        metric = keras.metrics.SparseCategoricalAccuracy()
        metric.update_state(labels, probe.predict(features, verbose=0))
        assert judge.oracle_probe_accuracy(probe, features, labels) == pytest.approx(
            float(metric.result()), abs=1e-6)


def test_probe_linearity_measure_tells_logits_and_probabilities_from_networks():
    inputs = checks.blobs(8, 60, 40, 6, 3, 1.0)

    def softmax_probe(*args, **kwargs):
        probe = judge.oracle_train_linear_probe(*args, **kwargs)
        return lambda features: judge._softmax(probe(features))

    assert checks.probe_is_linear(judge.oracle_train_linear_probe, *inputs) == [1.0]
    assert checks.probe_is_linear(softmax_probe, *inputs) == [1.0]
    assert checks.probe_is_linear(judge.VARIANTS[PROBE]["mlp"], *inputs) == [0.0]


# --- broken answers: each fails the visible check, which names the mistake, and the
# grader's cases (visible and hidden) reject it.

WRONG = [
    (TASK, "unit_range", r"\[0, 1\]"),
    (TASK, "shuffled_pairs", "view_b is not in the order"),
    (TASK, "vertical_flip", "upside down"),
    (TASK, "no_flip", "not flipped"),
    (TASK, "no_grayscale", "no view is gray"),
    (TASK, "no_color_jitter", "colour jitter should be applied"),
    (TASK, "no_resize", r"\(12, 12\)"),
    (TASK, "same_view_twice", "identical"),
    (TASK, "unseeded", "derived from `seed`"),
    (TASK, "fixed_seed", "seeds 0 and 1 give the same views"),
    (HEAD, "no_relu", "ReLU between the two Dense layers is missing"),
    (HEAD, "relu_on_output", "output goes through a ReLU"),
    (HEAD, "normalized_output", "L2-normalised"),
    (HEAD, "no_bias", "no bias"),
    (HEAD, "batch_norm", "batch normalisation"),
    (HEAD, "linear_head", "only one Dense layer"),
    (HEAD, "hidden_is_input", "hidden layer has input_dim units"),
    (HEAD, "shared", "same head"),
    (FEATURES, "drop_last", "last, smaller batch is missing"),
    (FEATURES, "tensor", "backend tensor"),
    (FEATURES, "training_mode", "training mode"),
    (FEATURES, "all_at_once", "more than batch_size images"),
    (ACCURACY, "percent", "percentage"),
    (ACCURACY, "count", "number of correct predictions"),
    (ACCURACY, "drop_last", "last, smaller batch is left out"),
]
CHECKS = {TASK: checks.check_TwoViewAugmentation, HEAD: checks.check_build_projection_head,
          FEATURES: checks.check_extract_features, PROBE: checks.check_train_linear_probe,
          ACCURACY: checks.check_probe_accuracy}


@pytest.mark.parametrize("task, variant, message", WRONG)
def test_visible_check_names_the_mistake(task, variant, message):
    with pytest.raises(AssertionError, match=message):
        CHECKS[task](judge.VARIANTS[task][variant])


@pytest.mark.parametrize("task, variant", [(task, variant) for task, variant, _ in WRONG])
def test_grader_rejects_the_mistake(task, variant):
    assert judged_problems(NAME, judge.VARIANTS[task][variant], task, checks)


def test_probe_mistakes_are_named_by_their_cases():
    """The probe's shape and linearity cases name the NumPy variants (training cases
    aside: a trained probe's accuracy is not a stored value to match)."""
    inputs = checks.VISIBLE["probe_scores_shape"].inputs()
    assert list(checks.probe_scores_shape(judge.VARIANTS[PROBE]["classes_from_labels"],
                                          *inputs)) == [40, 4]
    assert list(checks.probe_scores_shape(judge.oracle_train_linear_probe, *inputs)) == [40, 6]


# Broken answers as students write them, in Keras.


def _keras_head(hidden_activation=None, batch_norm=False):
    def build_projection_head(input_dim, hidden_dim=512, output_dim=128):
        layers = [keras.Input((input_dim,)), keras.layers.Dense(hidden_dim)]
        if batch_norm:
            layers.append(keras.layers.BatchNormalization())
        if hidden_activation:
            layers.append(keras.layers.Activation(hidden_activation))
        return keras.Sequential([*layers, keras.layers.Dense(output_dim)])

    return build_projection_head


def _features(training=None, drop_last=False):
    def extract_features(encoder, images, batch_size=256):
        stop = len(images) - len(images) % batch_size if drop_last else len(images)
        return np.concatenate([
            keras.ops.convert_to_numpy(encoder(images[i:i + batch_size], training=training))
            for i in range(0, stop, batch_size)])

    return extract_features


def test_keras_answers_are_judged_as_they_deserve():
    assert not judged_problems(NAME, _keras_head("relu"), HEAD, checks)
    assert not judged_problems(NAME, _features(training=False), FEATURES, checks)
    assert not judged_problems(NAME, _features(training=None), FEATURES, checks)  # inference
    for wrong in (_keras_head(None), _keras_head("tanh"), _keras_head("relu", batch_norm=True)):
        assert judged_problems(NAME, wrong, HEAD, checks)
    for wrong in (_features(training=True), _features(training=False, drop_last=True)):
        assert judged_problems(NAME, wrong, FEATURES, checks)


def _keras_probe(loss, activation=None, fit=True):
    def train_linear_probe(train_features, train_labels, num_classes, epochs=50,
                           batch_size=256, learning_rate=1e-2):
        standardize = keras.layers.Normalization()
        standardize.adapt(train_features)
        probe = keras.Sequential([keras.Input((train_features.shape[1],)), standardize,
                                  keras.layers.Dense(num_classes, activation=activation)])
        probe.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
        if fit:
            probe.fit(train_features, train_labels, epochs=epochs, batch_size=batch_size,
                      verbose=0)
        return probe

    return train_linear_probe


@pytest.mark.slow
def test_keras_probes_are_judged_as_they_deserve():
    """Logits or probabilities with the matching loss: accepted; logits given to a loss
    that expects probabilities, or no training at all: rejected (about a minute)."""
    logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    probabilities = keras.losses.SparseCategoricalCrossentropy()
    assert not judged_problems(NAME, _keras_probe(logits), PROBE, checks)
    assert not judged_problems(NAME, _keras_probe(probabilities, "softmax"), PROBE, checks)
    assert judged_problems(NAME, _keras_probe(probabilities), PROBE, checks)
    assert judged_problems(NAME, _keras_probe(logits, fit=False), PROBE, checks)


class OneView(judge._Pipeline):
    def call(self, images, training=True):
        return self.augment(images)


class WrongArguments(keras.layers.Layer):
    def __init__(self, size, **kwargs):
        super().__init__()


class NotImplemented_(keras.layers.Layer):
    def __init__(self, height, width, **kwargs):
        super().__init__()
        raise NotImplementedError()


def _not_implemented(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("check, wrong, message", [
    (checks.check_TwoViewAugmentation, OneView, "should return a pair"),
    (checks.check_TwoViewAugmentation, WrongArguments, "keep the constructor's arguments"),
    (checks.check_TwoViewAugmentation, NotImplemented_, "not implemented yet"),
    (checks.check_build_projection_head, lambda input_dim, hidden_dim, output_dim: None,
     "should return a Keras model"),
    (checks.check_build_projection_head, lambda size: None, "keep the function's arguments"),
    (checks.check_build_projection_head, _not_implemented, "not implemented yet"),
    (checks.check_extract_features, _not_implemented, "not implemented yet"),
    (checks.check_train_linear_probe, lambda *args, **kwargs: None, "return the trained probe"),
    (checks.check_probe_accuracy, _not_implemented, "not implemented yet"),
])
def test_visible_check_explains_broken_interfaces(check, wrong, message):
    with pytest.raises(AssertionError, match=message):
        check(wrong)


def test_forbidden_names_exist_and_stay_per_task():
    assert set(judge.FORBIDDEN) == {TASK, HEAD, FEATURES, PROBE, ACCURACY}
    for task, names in judge.FORBIDDEN.items():
        for name in names:
            assert callable(resolve(name)), (task, name)
    assert {"ssl_keras.layers.SimCLRAugmentation", "ssl_keras.SimCLRAugmentation",
            "ssl_keras.layers.simclr_augmentation.SimCLRAugmentation"} <= set(
        judge.FORBIDDEN[TASK])
    assert {"ssl_keras.layers.ProjectionHead", "ssl_keras.ProjectionHead"} <= set(
        judge.FORBIDDEN[HEAD])
    assert {"ssl_keras.evaluation.extract_features", "ssl_keras.extract_features"} <= set(
        judge.FORBIDDEN[FEATURES])
    assert {"ssl_keras.evaluation.linear_probe", "ssl_keras.linear_probe",
            "sklearn.linear_model.LogisticRegression"} <= set(judge.FORBIDDEN[PROBE])
    assert {"keras.metrics.SparseCategoricalAccuracy",
            "sklearn.metrics.accuracy_score"} <= set(judge.FORBIDDEN[ACCURACY])
    everything = {name for names in judge.FORBIDDEN.values() for name in names}
    for allowed in ("RandomResizedCrop", "RandomHorizontalFlip", "RandomColorJitter",
                    "RandomApply", "RandomGrayscale", "build_encoder", "config_for", "Dense",
                    "Normalization", "predict", "Adam", "SparseCategoricalCrossentropy",
                    "convert_to_numpy"):
        assert not any(name.endswith(allowed) for name in everything), allowed
    assert "ssl_keras.pretrain" not in everything  # the whole module: build_encoder stays
    for cell_id, library in (("augmentation", "SimCLRAugmentation"),
                             ("projection_head", "ProjectionHead"),
                             ("features", "evaluation"), ("linear_probe_answer", "evaluation"),
                             ("probe_accuracy", "metrics")):
        source = "".join(cell["source"] for cell in committed_cells(NAME)
                         if cell["id"] == cell_id)
        assert library not in source.split("### BEGIN SOLUTION", 1)[1], cell_id


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    for name in ("import ssl_keras", "from ssl_keras", "SimCLRAugmentation", "0.2989 *",
                 "@ LUMA", "NumpyHead", "oracle_", "LogisticRegression"):
        assert name not in source, name


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(tmp_path, monkeypatch):
    notebook = execute_fast(NAME, tmp_path, monkeypatch)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.get("output_type") == "error"]
    assert not errors
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert outputs.count("all visible checks passed") == 5
