"""The pretext_tasks assignment: notebook in sync, visible checks accept the solution and
name the typical mistakes, every case (visible and hidden) matches the stored values, and
the grader's oracles agree with ssl_keras.pretext's transforms. Task 4 (a pretext task of
the student's own) has no single answer: several valid designs must pass every case, and
each kind of invalid one must fail with its reason."""

import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import _core
from ssl_keras_autograder.checks import pretext_tasks as checks
from ssl_keras_autograder.judges import pretext_tasks as judge

from ssl_keras import pretext
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
TASKS = ("rotation_batch", "jigsaw_shuffle", "colorization_pair", "my_pretext_task")


@pytest.fixture(scope="module")
def solutions():
    namespace = {"np": np, "jigsaw_permutations": jigsaw_permutations,
                 "LUMA_WEIGHTS": (0.2989, 0.587, 0.114), "pretext": pretext}
    return solution_namespace(NAME, ["rotation", "jigsaw", "colorization", "my_pretext"],
                              namespace)


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


# ------------------------------------------------------------------ Task 4: designs


def _flip_labels(images, seed):
    flipped = np.random.default_rng(seed).integers(0, 2, size=len(images))
    return np.where(flipped[:, None, None, None] == 1, images[:, :, ::-1], images), flipped


def _brightest_quadrant(images, seed):
    """Deterministic: the images unchanged, the label is their brightest quadrant."""
    images = np.asarray(images)
    h, w = images.shape[1] // 2, images.shape[2] // 2
    means = [images[:, :h, :w].mean((1, 2, 3)), images[:, :h, w:].mean((1, 2, 3)),
             images[:, h:, :w].mean((1, 2, 3)), images[:, h:, w:].mean((1, 2, 3))]
    return images, np.argmax(np.stack(means, axis=1), axis=1)


PAIRS = [(a, b) for a in range(4) for b in range(4) if a != b]


def _relative_position(images, seed):
    """Two of the four tiles side by side on top, black below; which pair (12 classes)."""
    images = np.asarray(images)
    n, h, w = len(images), images.shape[1] // 2, images.shape[2] // 2
    corners = [(0, 0), (0, w), (h, 0), (h, w)]
    labels = np.random.default_rng(seed).integers(0, len(PAIRS), size=n)
    inputs = np.zeros_like(images)
    for i, label in enumerate(labels):
        for slot, tile in enumerate(PAIRS[label]):
            top, left = corners[tile]
            inputs[i, :h, slot * w:(slot + 1) * w] = images[i, top:top + h, left:left + w]
    return inputs, labels


def _inpaint_patch(images, seed):
    """A random 4x4 patch set to 0; the target is the patch, in [0, 1]."""
    images = np.asarray(images)
    rng = np.random.default_rng(seed)
    inputs, targets = images.copy(), np.empty((len(images), 4, 4, 3), "float32")
    for i, (row, column) in enumerate(rng.integers(0, 4, size=(len(images), 2)) * 4):
        targets[i] = images[i, row:row + 4, column:column + 4] / 255.0
        inputs[i, row:row + 4, column:column + 4] = 0
    return inputs, targets


def _darkening(images, seed):
    """Images darkened by a random factor in [0.3, 1]; the target is the factor."""
    factors = np.random.default_rng(seed).uniform(0.3, 1.0, size=len(images))
    inputs = np.asarray(images, "float32") * factors[:, None, None, None].astype("float32")
    return inputs, factors.astype("float32")


def _dihedral_with_ops(images, seed):
    """The 8 symmetries of the square, computed with keras.ops (tensors returned)."""
    from keras import ops

    draws = np.random.default_rng(seed).integers(0, 8, size=len(images))
    rows = []
    for image, draw in zip(np.asarray(images), draws):
        image = np.rot90(image, draw % 4)
        rows.append(image[:, ::-1] if draw >= 4 else image)
    return ops.convert_to_tensor(np.stack(rows)), ops.convert_to_tensor(draws.astype("int32"))


VALID_DESIGNS = {
    "flip": pretext.PretextTask("flip", _flip_labels, num_classes=2),
    "brightest_quadrant": pretext.PretextTask("brightest", _brightest_quadrant, num_classes=4),
    "relative_position": pretext.PretextTask("pairs", _relative_position, num_classes=12),
    "inpainting": pretext.PretextTask("inpaint", _inpaint_patch, target_shape=(4, 4, 3)),
    "darkening": pretext.PretextTask("darkening", _darkening, target_shape=()),
    "dihedral_keras_ops": pretext.PretextTask("dihedral", _dihedral_with_ops, num_classes=8),
    "hand_made_spec": judge.TaskSpec("flip2", _flip_labels, num_classes=2),
}


@pytest.mark.parametrize("design", sorted(VALID_DESIGNS))
def test_valid_designs_pass_every_case(design):
    """The automatic part rewards validity, not one design: every case but the training
    one (below) gives the stored value for each valid design."""
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(NAME)
    cases = [name for name, case in spec.cases.items()
             if case.task == "my_pretext_task" and name != "my_pretext_trained"]
    assert len(cases) >= 10
    for case_name in cases:
        record = _core.run_case(spec.cases[case_name], VALID_DESIGNS[design], checks)
        assert _core.compare(record, spec.expected[case_name]) is None, (case_name, record)


def test_a_regression_is_trained_and_probed():
    value = checks.pretext_trained_and_probed(
        VALID_DESIGNS["inpainting"], checks.stroke_images(6, 64), np.arange(64) % 4)
    assert value == 1


def _both_versions(images, seed):  # rotation_batch's habit: the original AND the flip
    return (np.concatenate([images, images[:, :, ::-1]]),
            np.repeat([0, 1], len(images)))


def _all_flipped(images, seed):
    return images[:, :, ::-1], np.ones(len(images), "int64")


LABELS = np.random.default_rng(0).integers(0, 10, size=2000)  # "y_train"


def _labels_by_position(images, seed):
    return images, LABELS[:len(images)]


def _noise_labels(images, seed):
    return images, np.random.default_rng(seed).integers(0, 2, size=len(images))


def _unseeded(images, seed):
    flipped = np.random.default_rng().integers(0, 2, size=len(images))
    return np.where(flipped[:, None, None, None] == 1, images[:, :, ::-1], images), flipped


def _with(transform_inputs=None, transform_labels=None):
    def batch(images, seed):
        inputs, labels = _flip_labels(images, seed)
        return ((transform_inputs or (lambda x: x))(inputs),
                (transform_labels or (lambda y: y))(labels))
    return batch


def _inputs_only(images, seed):
    return _flip_labels(images, seed)[0]


def _unclipped_noise(images, seed):
    """Noise added without clipping: values below 0 and above 255."""
    noise = np.random.default_rng(seed).normal(0, 30, images.shape).astype("float32")
    return images + noise, (noise.mean((1, 2, 3)) > 0).astype("int64")


def _float64_patch(images, seed):
    inputs, targets = _inpaint_patch(images, seed)
    return inputs, targets.astype("float64")


WRONG_TASKS = [
    (pretext.PretextTask("rotation", _flip_labels, num_classes=2), "built-in method"),
    (judge.TaskSpec("flip", _flip_labels, num_classes=1), "integer >= 2"),
    (judge.TaskSpec("flip", _flip_labels), "exactly one"),
    (_flip_labels, "should be pretext.PretextTask"),
    (pretext.PretextTask("flip", _inputs_only, num_classes=2), "should return a pair"),
    (pretext.PretextTask("flip", _both_versions, num_classes=2), "one example per image"),
    (pretext.PretextTask("flip", _with(lambda x: x[..., 0]), num_classes=2),
     "one example per image"),
    (pretext.PretextTask("flip", _with(lambda x: x.astype("float64")), num_classes=2),
     "float64"),
    (pretext.PretextTask("noisy", _unclipped_noise, num_classes=2), r"\[0, 255\]"),
    (pretext.PretextTask("flip", _with(transform_labels=lambda y: np.eye(2)[y]),
                         num_classes=2), "not one-hot"),
    (pretext.PretextTask("flip", _with(transform_labels=lambda y: y.astype("float32")),
                         num_classes=2), "integers"),
    (pretext.PretextTask("flip", _with(transform_labels=lambda y: y + 1), num_classes=2),
     r"in \[0, 1\]"),
    (pretext.PretextTask("flip", _unseeded, num_classes=2), "same images and seed"),
    (pretext.PretextTask("flip", _all_flipped, num_classes=2), "the same target"),
    (pretext.PretextTask("digits", _labels_by_position, num_classes=10),
     "identical inputs but different targets"),
    (pretext.PretextTask("noise", _noise_labels, num_classes=2),
     "identical inputs but different targets"),
    (pretext.PretextTask("inpaint", _inpaint_patch, target_shape=(4, 4)), "target_shape"),
    (pretext.PretextTask("inpaint", _float64_patch, target_shape=(4, 4, 3)), "float32"),
]


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
] + [("my_pretext_task", wrong, message) for wrong, message in WRONG_TASKS]


def test_a_task_that_changes_the_checks_fails():
    saved = (np.array_equal, checks.pretext_deterministic)

    def sneaky(images, seed):  # makes the next cases pass, whatever they check
        np.array_equal = lambda *args, **kwargs: True
        checks.pretext_deterministic = lambda *args, **kwargs: 1
        return _unseeded(images, seed)

    try:
        record = _core.run_case(checks.VISIBLE["my_pretext_format"],
                                pretext.PretextTask("flip", sneaky, num_classes=2), checks)
    finally:
        np.array_equal, checks.pretext_deterministic = saved
    assert "replaced functions of the checks" in record["error"], record


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
    # Task 4: every built-in transform and every dataset loader, never the spec's class.
    own = judge.FORBIDDEN["my_pretext_task"]
    for name in ("rotation_dataset", "rotate_images", "jigsaw_dataset", "jigsaw_shuffle",
                 "colorization_dataset", "rgb_to_grayscale"):
        assert f"ssl_keras.pretext.{name}" in own, name
    assert {"ssl_keras.data.load_digits", "sklearn.datasets.load_digits"} <= set(own)
    assert not any(name.endswith(("PretextTask", "compare_pretext_tasks")) for name in own)


def test_task_4_images_look_like_the_notebooks_digits():
    from ssl_keras.data import load_digits

    (digits, _), _ = load_digits(seed=0)
    for images in (checks.stroke_images(0, 20), judge.drawn_digits(0, 20), digits[:20]):
        assert images.shape[1:] == (16, 16, 3) and images.dtype == np.uint8
        assert np.all(images[..., 0] == images[..., 2])  # gray
        assert images.min() < 60 and images.max() > 150  # dark background, bright strokes
    # scikit-learn's digits, drawn: no two alike, none its own mirror image (else a
    # valid flip task would give identical inputs two different targets)
    drawn = judge.drawn_digits(1, 64)
    assert len({image.tobytes() for image in drawn}) == 64
    assert not any(np.array_equal(image, image[:, ::-1]) for image in drawn)


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    for name in ("import ssl_keras", "rotation_dataset", "colorization_dataset",
                 "np.rot90(images", "itertools", "0.2989 *", "@ np."):
        assert name not in source, name
    # Task 4's training check runs the comparison job; nothing else of the package.
    imports = [line.strip() for line in source.splitlines() if "from ssl_keras" in line]
    assert imports == ["from ssl_keras.experiments import compare_pretext_tasks",
                       "from ssl_keras.pretext import PretextTask"], imports


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    notebook = execute_fast(NAME, monkeypatch)
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.get("outputs", []))
    assert outputs.count("all visible checks passed") == 4
