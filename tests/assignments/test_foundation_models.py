"""The foundation_models assignment: notebook in sync, checks accept the solution and
reject wrong implementations, hidden cases agree with ssl_keras.foundation."""

import numpy as np
import pytest
from ssl_keras_autograder.checks import foundation_models as checks

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

NAME = "foundation_models"
TASKS = ("patchify", "random_masking", "keep_mass_mask")


@pytest.fixture(scope="module")
def solutions():
    return solution_namespace(NAME, ["patchify", "masking", "foreground"])


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure():
    check_notebook_structure(NAME, checks)


@pytest.mark.parametrize("task", TASKS)
def test_solution_passes_visible_checks_and_hidden_references(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    getattr(checks, f"record_{task}")(solutions[task])
    assert_matches_references(checks.CASES, recorded_values(capsys), task)


def _channels_first_patchify(images, patch_size):
    images = np.asarray(images)
    n, height, width, channels = images.shape
    p = patch_size
    grid = images.reshape(n, height // p, p, width // p, p, channels)
    grid = grid.transpose(0, 1, 3, 5, 2, 4)  # flattened as (channel, row, column)
    return grid.reshape(n, (height // p) * (width // p), p * p * channels)


def _column_major_patchify(images, patch_size):
    images = np.asarray(images)
    n, height, width, channels = images.shape
    p = patch_size
    grid = images.reshape(n, height // p, p, width // p, p, channels)
    grid = grid.transpose(0, 3, 1, 2, 4, 5)  # patches numbered down the columns
    return grid.reshape(n, (height // p) * (width // p), p * p * channels)


def _masking(tokens, mask_ratio, noise, keep_highest=False, single_argsort=False):
    tokens, noise = np.asarray(tokens), np.asarray(noise)
    num_kept = tokens.shape[1] - int(round(mask_ratio * tokens.shape[1]))
    shuffle = np.argsort(-noise if keep_highest else noise, axis=1)
    restore = shuffle if single_argsort else np.argsort(shuffle, axis=1)
    visible = np.take_along_axis(tokens, shuffle[:, :num_kept, None], axis=1)
    mask = (np.argsort(shuffle, axis=1) >= num_kept).astype("float32")
    return visible, mask, restore


def _keep_highest_noise(tokens, mask_ratio, noise):
    return _masking(tokens, mask_ratio, noise, keep_highest=True)


def _single_argsort(tokens, mask_ratio, noise):
    return _masking(tokens, mask_ratio, noise, single_argsort=True)


def _inverted_mask(tokens, mask_ratio, noise):
    visible, mask, restore = _masking(tokens, mask_ratio, noise)
    return visible, 1.0 - mask, restore


def _relative_threshold(maps, keep_mass=0.6):
    maps = np.asarray(maps)
    return maps >= keep_mass * maps.max(axis=(-2, -1), keepdims=True)


def _absolute_mass(maps, keep_mass=0.6):
    maps = np.asarray(maps, "float64")
    flat = maps.reshape(-1, maps.shape[-2] * maps.shape[-1])
    order = np.argsort(-flat, axis=1)
    values = np.take_along_axis(flat, order, axis=1)
    keep_sorted = np.cumsum(values, axis=1) - values < keep_mass  # not divided by the total
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=1)
    return keep.reshape(maps.shape)


def _whole_array_mass(maps, keep_mass=0.6):
    """One threshold over all maps together instead of one per map."""
    maps = np.asarray(maps, "float64")
    flat = maps.ravel()
    order = np.argsort(-flat)
    values = flat[order] / flat.sum()
    keep = np.zeros(flat.shape, bool)
    keep[order] = np.cumsum(values) - values < keep_mass
    return keep.reshape(maps.shape)


WRONG = [
    ("patchify", _channels_first_patchify),
    ("patchify", _column_major_patchify),
    ("random_masking", _keep_highest_noise),
    ("random_masking", _single_argsort),
    ("random_masking", _inverted_mask),
    ("keep_mass_mask", _relative_threshold),
    ("keep_mass_mask", _absolute_mass),
    ("keep_mass_mask", _whole_array_mass),
]


@pytest.mark.parametrize("task, wrong", WRONG)
def test_visible_checks_reject_wrong_implementations(task, wrong):
    with pytest.raises(AssertionError):
        getattr(checks, f"check_{task}")(wrong)


@pytest.mark.parametrize("task, wrong", [WRONG[0], WRONG[2], WRONG[3], WRONG[5], WRONG[7]])
def test_hidden_cases_tell_wrong_implementations_apart(task, wrong, capsys):
    getattr(checks, f"record_{task}")(wrong)
    with pytest.raises(AssertionError):
        assert_matches_references(checks.CASES, recorded_values(capsys), task)


def test_oracles_agree_with_the_package():
    from ssl_keras.foundation import foreground_masks, patchify, random_masking

    (images,) = checks.normal(8, (2, 8, 12, 3))
    np.testing.assert_allclose(checks._oracle_patchify(images, 4),
                               np.asarray(patchify(images, 4)), rtol=1e-6)
    (tokens,) = checks.normal(9, (2, 12, 3))
    (noise,) = checks._uniform(10, (2, 12))
    for ours, package in zip(checks._oracle_masking(tokens, 0.5, noise),
                             random_masking(tokens, 0.5, noise=noise)):
        np.testing.assert_allclose(ours, np.asarray(package), rtol=1e-6)
    (maps,) = checks._uniform(11, (4, 6, 6))
    np.testing.assert_array_equal(checks._oracle_keep_mass(maps, 0.6),
                                  foreground_masks(maps, keep_mass=0.6))


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    recorded = execute_fast(NAME, monkeypatch)
    for task in {case.task for case in checks.CASES.values()}:
        assert_matches_references(checks.CASES, recorded, task)
