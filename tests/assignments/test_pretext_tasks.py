"""The pretext_tasks assignment: notebook in sync, visible checks accept the solution and
name the typical mistakes, every case (visible and hidden) matches the stored values, and
the grader's oracles agree with ssl_keras.pretext's transforms."""

import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import pretext_tasks as checks
from ssl_keras_autograder.judges import pretext_tasks as judge

from ssl_keras.pretext import jigsaw_permutations
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

NAME = "pretext_tasks"
TASKS = ("rotation_batch", "jigsaw_shuffle", "colorization_pair")


@pytest.fixture(scope="module")
def solutions():
    namespace = {"np": np, "jigsaw_permutations": jigsaw_permutations,
                 "LUMA_WEIGHTS": (0.2989, 0.587, 0.114)}
    return solution_namespace(NAME, ["rotation", "jigsaw", "colorization"], namespace)


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure():
    check_notebook_structure(NAME, checks)


def test_visible_and_hidden_case_names_differ():
    assert not set(checks.VISIBLE) & set(judge.HIDDEN)


def test_stored_values_are_up_to_date():
    assert references.check([NAME]) == []


@pytest.mark.parametrize("task", TASKS)
def test_solution_passes_visible_checks(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    assert "all visible checks passed" in capsys.readouterr().out


def test_solution_matches_every_case(solutions):
    assert_solution_matches_expected(NAME, solutions, checks)


def _three_rotations(images):
    """Labels 0..3 but the fourth copy is not rotated (k % 3)."""
    images = np.asarray(images)
    rotated = np.stack([np.rot90(images, k % 3, axes=(1, 2)) for k in range(4)], axis=1)
    return rotated.reshape((-1,) + images.shape[1:]), np.tile(np.arange(4), len(images))


def _images_only(images):
    return judge.oracle_rotation_batch(images)[0]


def _float_labels(images):
    rotated, labels = judge.oracle_rotation_batch(images)
    return rotated, labels + 0.5


# (task, wrong implementation, the words the visible check must say)
WRONG = [
    ("rotation_batch", judge.VARIANTS["rotation_batch"]["clockwise"], "COUNTER-clockwise"),
    ("rotation_batch", judge.VARIANTS["rotation_batch"]["grouped_by_rotation"],
     "grouped by rotation"),
    ("rotation_batch", _three_rotations, "All 8 rotated images"),
    ("rotation_batch", _images_only, "should return a pair"),
    ("rotation_batch", _float_labels, "whole numbers"),
    ("jigsaw_shuffle", judge.VARIANTS["jigsaw_shuffle"]["inverse_permutation"],
     "inverse permutation"),
    ("jigsaw_shuffle", judge.VARIANTS["jigsaw_shuffle"]["column_major"], "down the columns"),
    ("colorization_pair", judge.VARIANTS["colorization_pair"]["channel_mean"],
     "averaged R, G and B"),
    ("colorization_pair", judge.VARIANTS["colorization_pair"]["one_channel"], "one channel"),
    ("colorization_pair", judge.VARIANTS["colorization_pair"]["rounded"], "rounded"),
    ("colorization_pair", judge.VARIANTS["colorization_pair"]["targets_in_unit_range"],
     "divided the targets by 255"),
    ("colorization_pair", judge.VARIANTS["colorization_pair"]["float64"], "float64"),
]


@pytest.mark.parametrize("task, wrong, message", WRONG)
def test_visible_checks_name_the_mistake(task, wrong, message):
    with pytest.raises(AssertionError, match=message):
        getattr(checks, f"check_{task}")(wrong)


@pytest.mark.parametrize("task, wrong, message", WRONG)
def test_grader_rejects_wrong_implementations(task, wrong, message):
    assert judged_problems(NAME, wrong, task, checks)


@pytest.mark.parametrize("task, wrong", [(task, wrong) for task, wrong, _ in WRONG])
def test_hidden_cases_reject_wrong_implementations(task, wrong):
    from ssl_keras_autograder.checks import _core
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(NAME)
    failing = []
    for name in spec.hidden:
        case = spec.cases[name]
        if case.task != task:
            continue
        try:
            record = _core.as_record(_core.evaluate(case, wrong, checks))
        except Exception as error:  # noqa: BLE001
            record = {"error": repr(error)}
        if _core.compare(record, spec.expected[name]):
            failing.append(name)
    assert failing


def test_not_implemented_is_reported():
    def rotation_batch(images):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_rotation_batch(rotation_batch)


def test_oracles_agree_with_the_package():
    from ssl_keras.pretext import colorization_dataset, jigsaw_shuffle, rotation_dataset

    (images,) = checks.random_images(9, (3, 4, 4, 3))
    for ours, package in zip(judge.oracle_rotation_batch(images),
                             rotation_dataset(images, mode="all")):
        np.testing.assert_array_equal(ours, package)
    indices = np.array([1, 12, 22])
    np.testing.assert_array_equal(judge.oracle_jigsaw_shuffle(images, indices),
                                  jigsaw_shuffle(images, indices))
    np.testing.assert_array_equal(judge.oracle_permutations(), jigsaw_permutations())
    for ours, package in zip(judge.oracle_colorization_pair(images),
                             colorization_dataset(images)):
        np.testing.assert_allclose(ours, package, rtol=1e-5, atol=1e-3)


def test_oracles_agree_with_closed_forms():
    image = np.arange(4).reshape(1, 2, 2, 1)  # [[0, 1], [2, 3]]
    rotated, labels = judge.oracle_rotation_batch(image)
    np.testing.assert_array_equal(rotated[1, ..., 0], [[1, 3], [0, 2]])  # 90 deg CCW
    np.testing.assert_array_equal(labels, [0, 1, 2, 3])
    np.testing.assert_array_equal(  # permutation 23 = (3, 2, 1, 0): tiles reversed
        judge.oracle_jigsaw_shuffle(image, [23])[0, ..., 0], [[3, 2], [1, 0]])
    gray, _ = judge.oracle_colorization_pair(np.array([[[[255, 255, 255]]]], "uint8"))
    np.testing.assert_allclose(gray, 255 * 0.9999, rtol=1e-6)


def test_forbidden_is_per_task_and_allows_the_given_helpers():
    assert set(judge.FORBIDDEN) == set(TASKS)
    every = [name for names in judge.FORBIDDEN.values() for name in names]
    assert not any(name.endswith(("jigsaw_permutations", "LUMA_WEIGHTS")) for name in every)
    assert "ssl_keras.pretext.rotation_dataset" in judge.FORBIDDEN["rotation_batch"]


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    for name in ("import ssl_keras", "from ssl_keras", "rotation_dataset",
                 "colorization_dataset", "np.rot90(images", "itertools", "0.2989 *", "@ np."):
        assert name not in source, name


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    notebook = execute_fast(NAME, monkeypatch)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.get("outputs", []))
    assert outputs.count("all visible checks passed") == 3
