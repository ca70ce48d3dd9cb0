"""The foundation_models assignment: notebook in sync, visible checks accept the solution
and reject wrong implementations (naming the mistake), the solution matches every stored
expected value, the grader's oracles agree with ssl_keras.foundation."""

import importlib

import numpy as np
import pytest
from ssl_keras_autograder import references
from ssl_keras_autograder.checks import _core
from ssl_keras_autograder.checks import foundation_models as checks
from ssl_keras_autograder.judges import foundation_models as judge

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

NAME = "foundation_models"
TASKS = list(checks.TASKS.values())


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NAME, ["patchify", "masking", "foreground", "cls_grid",
                                     "mass_inside"])


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure():
    check_notebook_structure(NAME, checks)


def test_references_are_up_to_date():
    assert references.check([NAME]) == []


def test_visible_module_holds_no_reference():
    source = open(checks.__file__).read()
    assert "ssl_keras.foundation" not in source and "extract_patches" not in source
    assert not any(name.startswith(("oracle", "reference", "_oracle")) for name in dir(checks))


@pytest.mark.parametrize("task", TASKS)
def test_solution_passes_visible_checks(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    assert f"{task}: all visible checks passed." in capsys.readouterr().out


def test_solution_matches_every_expected_value(solutions):
    assert_solution_matches_expected(NAME, solutions, checks)


def test_expected_kinds():
    """Indices and masks of booleans are compared as whole numbers."""
    spec_values = _core.expected_values(NAME)
    assert spec_values["masking_tiny_restore"]["kind"] == "i"
    assert spec_values["keep_mass_heads"]["kind"] == "i"
    assert spec_values["patchify_rgb"]["kind"] == "f"
    assert spec_values["cls_grid_heads"]["kind"] == "f"
    assert spec_values["mass_heads"]["kind"] == "f"


def _keep_mass_float(maps, keep_mass=0.6):
    """A right answer given as 0.0 / 1.0 floats instead of booleans."""
    return judge.oracle_keep_mass(maps, keep_mass).astype("float32")


def _masking_lists(tokens, mask_ratio, noise):
    """A right answer returned as a list, with a boolean mask."""
    visible, mask, restore = judge.oracle_masking(tokens, mask_ratio, noise)
    return [visible, mask.astype(bool), restore]


def _cls_grid_keras(attention, grid_size, num_registers=0):
    """A right answer computed with keras.ops, returned as a backend tensor."""
    import keras

    attention = keras.ops.convert_to_tensor(attention)
    rows = attention[:, :, 0, 1 + num_registers:]
    return keras.ops.reshape(rows, tuple(attention.shape[:2]) + tuple(grid_size))


def _mass_float32(attention_maps, masks):
    """A right answer in float32, masks used as booleans where they are booleans."""
    maps = np.asarray(attention_maps, "float32")
    return (maps * np.asarray(masks, "float32")).sum((-2, -1)) / maps.sum((-2, -1))


def test_right_variants_pass():
    checks.check_keep_mass_mask(_keep_mass_float)
    checks.check_random_masking(_masking_lists)
    checks.check_patchify(judge.oracle_patchify)
    checks.check_cls_attention_grid(_cls_grid_keras)
    checks.check_mass_inside_mask(_mass_float32)
    assert not judged_problems(NAME, _keep_mass_float, "keep_mass_mask", checks)
    assert not judged_problems(NAME, _masking_lists, "random_masking", checks)
    assert not judged_problems(NAME, judge.oracle_patchify, "patchify", checks)
    assert not judged_problems(NAME, _cls_grid_keras, "cls_attention_grid", checks)
    assert not judged_problems(NAME, judge.oracle_cls_attention_grid, "cls_attention_grid",
                               checks)
    assert not judged_problems(NAME, _mass_float32, "mass_inside_mask", checks)
    assert not judged_problems(NAME, judge.oracle_mass_inside, "mass_inside_mask", checks)


def _two_values(tokens, mask_ratio, noise):
    visible, mask, _ = judge.oracle_masking(tokens, mask_ratio, noise)
    return visible, mask


WRONG = [
    # (task, variant or function, words the visible check's message must contain)
    ("patchify", "channels_first", "flattened as .channel, row, column."),
    ("patchify", "column_major", "numbered down the columns"),
    ("random_masking", "keep_highest", "highest noise were kept"),
    ("random_masking", "single_argsort", "argsort of the argsort"),
    ("random_masking", "inverted_mask", "the mask is inverted"),
    ("random_masking", _two_values, "tuple of three arrays"),
    ("keep_mass_mask", "relative_threshold", "relative to the maximum"),
    ("keep_mass_mask", "absolute_mass", "not divided by each map's total"),
    ("keep_mass_mask", "whole_array", "one threshold over all maps together"),
    ("cls_attention_grid", "patch_row", "the row of a patch token"),
    ("cls_attention_grid", "cls_column", "attention the patches pay to the class token"),
    ("cls_attention_grid", "keeps_cls_column", "the columns start one too early"),
    ("cls_attention_grid", "transposed_grid", "the grid is transposed"),
    ("cls_attention_grid", "query_mean", "averaged over the query axis"),
    ("cls_attention_grid", "head_mean", "averaged over the heads"),
    ("cls_attention_grid", "renormalised", "renormalised to sum to 1"),
    ("cls_attention_grid", "ignores_registers", "register tokens were taken as patches"),
    ("mass_inside_mask", "not_normalised", "not divided by each map's total"),
    ("mass_inside_mask", "mean_inside", "divided by the mask's area"),
    ("mass_inside_mask", "inverted", "attention outside the mask"),
    ("mass_inside_mask", "all_maps", "one fraction for all maps together"),
    ("mass_inside_mask", "thresholded", "the mask was thresholded"),
]


def _wrong(task, variant):
    return judge.VARIANTS[task][variant] if isinstance(variant, str) else variant


@pytest.mark.parametrize("task, variant, words", WRONG)
def test_visible_checks_reject_wrong_implementations(task, variant, words):
    with pytest.raises(AssertionError, match=words):
        getattr(checks, f"check_{task}")(_wrong(task, variant))


@pytest.mark.parametrize("task, variant, words", WRONG)
def test_grader_rejects_wrong_implementations(task, variant, words):
    assert judged_problems(NAME, _wrong(task, variant), task, checks)


def test_not_implemented_says_so():
    def missing(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        checks.check_random_masking(missing)


def test_oracles_agree_with_the_package():
    from ssl_keras.foundation import foreground_masks, patchify, random_masking

    (images,) = checks.normal(8, (2, 8, 12, 3))
    np.testing.assert_allclose(judge.oracle_patchify(images, 4),
                               np.asarray(patchify(images, 4)), rtol=1e-6)
    (tokens,) = checks.normal(9, (2, 12, 3))
    (noise,) = checks.uniform(10, (2, 12))
    for ours, package in zip(judge.oracle_masking(tokens, 0.5, noise),
                             random_masking(tokens, 0.5, noise=noise)):
        np.testing.assert_allclose(ours, np.asarray(package), rtol=1e-6)
    (maps,) = checks.uniform(11, (4, 6, 6))
    np.testing.assert_array_equal(judge.oracle_keep_mass(maps, 0.6),
                                  foreground_masks(maps, keep_mass=0.6))
    from ssl_keras.foundation import attention_mass_inside, cls_attention_maps

    attention = checks.softmax_attention(13, 2, 3, 1 + 2 + 15)
    np.testing.assert_array_equal(judge.oracle_cls_attention_grid(attention, (3, 5), 2),
                                  cls_attention_maps(attention, (3, 5), num_registers=2))
    (masks,) = checks.uniform(14, (4, 6, 6))
    np.testing.assert_allclose(judge.oracle_mass_inside(maps, masks),
                               attention_mass_inside(maps, masks), rtol=1e-12)


def test_oracles_agree_with_closed_forms():
    ramp = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(
        judge.oracle_patchify(ramp, 2)[0],
        [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]])
    tokens = np.arange(8, dtype="float32").reshape(1, 4, 2)
    visible, mask, restore = judge.oracle_masking(tokens, 0.5, np.array([[0.9, 0.1, 0.5, 0.3]]))
    np.testing.assert_array_equal(visible, [[[2, 3], [6, 7]]])
    np.testing.assert_array_equal(mask, [[1, 0, 1, 0]])
    np.testing.assert_array_equal(restore, [[3, 0, 2, 1]])
    single = np.array([[0.5, 0.05], [0.3, 0.15]])
    np.testing.assert_array_equal(judge.oracle_keep_mass(single), [[1, 0], [1, 0]])
    np.testing.assert_array_equal(judge.oracle_keep_mass(single, 0.5), [[1, 0], [0, 0]])
    readable, grid = checks._readable_attention()
    np.testing.assert_array_equal(judge.oracle_cls_attention_grid(readable, grid),
                                  [[[[1, 2], [3, 4]]]])
    share = judge.oracle_mass_inside(np.array([[0.4, 0.1], [0.2, 0.1]]), np.eye(2))
    assert share.shape == () and float(share) == pytest.approx(0.625)
    (maps,) = checks.uniform(15, (3, 4, 4))
    np.testing.assert_allclose(judge.oracle_mass_inside(maps, np.ones((3, 4, 4))), 1.0)


def test_keras_extract_patches_is_patchify():
    """keras.ops.image.extract_patches computes patchify (so it is forbidden there)."""
    import keras

    (images,) = checks.normal(12, (2, 8, 4, 3))
    patches = keras.ops.convert_to_numpy(keras.ops.image.extract_patches(images, 2))
    np.testing.assert_allclose(patches.reshape(2, -1, 12), judge.oracle_patchify(images, 2))


def test_forbidden_names_are_per_task_and_resolve():
    assert set(judge.FORBIDDEN) <= set(TASKS)
    assert judge.STAND_INS == {}
    for names in judge.FORBIDDEN.values():
        for name in names:
            module, _, attribute = name.rpartition(".")
            assert callable(getattr(importlib.import_module(module), attribute)), name


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    notebook = execute_fast(NAME, monkeypatch)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not any(out.get("output_type") == "error" for out in cell.outputs)
