"""The simclr assignment: notebook in sync with its builder, the visible checks accept the
solution and name the mistake of broken pipelines, every case (visible and hidden) matches
the stored values, and the reference (SimCLRAugmentation) agrees with NumPy oracles on the
deterministic settings."""

import keras
import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import simclr as checks
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

pytestmark = pytest.mark.filterwarnings("ignore:`build\\(\\)` was called:UserWarning")


@pytest.fixture(scope="module")
def solution():
    namespace = {"np": np, "keras": keras, "ssl_keras": ssl_keras}
    return solution_namespace(NAME, ["augmentation"], namespace)[TASK]


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure_and_points():
    check_notebook_structure(NAME, checks)
    graded = [cell for cell in committed_cells(NAME)
              if cell["metadata"].get("nbgrader", {}).get("grade")]
    points = {cell["id"]: cell["metadata"]["nbgrader"]["points"] for cell in graded}
    assert points["augmentation_tests"] == 4
    assert sum(points.values()) == 14  # as exercise sheet 8's SimCLR task


def test_visible_and_hidden_case_names_differ():
    assert not set(checks.VISIBLE) & set(judge.HIDDEN)


def test_stored_values_are_up_to_date():
    assert references.check([NAME]) == []


def test_solution_passes_visible_checks(solution, capsys):
    checks.check_TwoViewAugmentation(solution)
    assert "all visible checks passed" in capsys.readouterr().out


def test_solution_matches_every_case(solution):
    assert_solution_matches_expected(NAME, {TASK: solution}, checks)


# --- the reference against NumPy oracles of the deterministic settings.


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


# --- broken pipelines: each fails the visible check, which names the mistake, and the
# grader's cases (visible and hidden) reject it.

WRONG = [
    ("unit_range", r"\[0, 1\]"),
    ("shuffled_pairs", "view_b is not in the order"),
    ("vertical_flip", "upside down"),
    ("no_flip", "not flipped"),
    ("no_grayscale", "no view is gray"),
    ("no_color_jitter", "colour jitter should be applied"),
    ("no_resize", r"\(12, 12\)"),
    ("same_view_twice", "identical"),
    ("unseeded", "derived from `seed`"),
    ("fixed_seed", "seeds 0 and 1 give the same views"),
]


@pytest.mark.parametrize("variant, message", WRONG)
def test_visible_check_names_the_mistake(variant, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_TwoViewAugmentation(judge.VARIANTS[TASK][variant])


@pytest.mark.parametrize("variant", [variant for variant, _ in WRONG])
def test_grader_rejects_the_mistake(variant):
    assert judged_problems(NAME, judge.VARIANTS[TASK][variant], TASK, checks)


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


@pytest.mark.parametrize("wrong, message", [
    (OneView, "should return a pair"),
    (WrongArguments, "keep the constructor's arguments"),
    (NotImplemented_, "not implemented yet"),
])
def test_visible_check_explains_broken_interfaces(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_TwoViewAugmentation(wrong)


def test_simclr_augmentation_is_forbidden_and_the_layers_are_not():
    forbidden = judge.FORBIDDEN[TASK]
    for path in ("ssl_keras.layers.SimCLRAugmentation", "ssl_keras.SimCLRAugmentation",
                 "ssl_keras.layers.simclr_augmentation.SimCLRAugmentation"):
        assert path in forbidden
    for allowed in ("RandomResizedCrop", "RandomHorizontalFlip", "RandomColorJitter",
                    "RandomApply", "RandomGrayscale", "build_encoder", "config_for"):
        assert not any(name.endswith(allowed) for name in forbidden), allowed
    assert "ssl_keras.pretrain" not in forbidden  # the whole module: build_encoder stays
    source = "".join(cell["source"] for cell in committed_cells(NAME)
                     if cell["id"] == "augmentation")
    assert "SimCLRAugmentation" not in source.split("### BEGIN SOLUTION", 1)[1]


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    for name in ("import ssl_keras", "from ssl_keras", "SimCLRAugmentation", "0.2989 *",
                 "@ LUMA"):
        assert name not in source, name


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(tmp_path, monkeypatch):
    notebook = execute_fast(NAME, tmp_path, monkeypatch)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.get("output_type") == "error"]
    assert not errors
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert "all visible checks passed" in outputs
