"""The pretext_tasks assignment: notebook in sync, checks accept the solution and reject
wrong transforms, hidden cases agree with ssl_keras.pretext's transforms."""

import numpy as np
import pytest
from ssl_keras_autograder.checks import pretext_tasks as checks

from ssl_keras.pretext import jigsaw_permutations
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


@pytest.mark.parametrize("task", TASKS)
def test_solution_passes_visible_checks_and_hidden_references(solutions, task, capsys):
    getattr(checks, f"check_{task}")(solutions[task])
    getattr(checks, f"record_{task}")(solutions[task])
    assert_matches_references(checks.CASES, recorded_values(capsys), task)


def _clockwise(images):
    images = np.asarray(images)
    rotated = np.stack([np.rot90(images, -k, axes=(1, 2)) for k in range(4)], axis=1)
    return rotated.reshape((-1,) + images.shape[1:]), np.tile(np.arange(4), len(images))


def _grouped_by_rotation(images):
    images = np.asarray(images)
    rotated = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
    return rotated, np.repeat(np.arange(4), len(images))


def _three_rotations(images):
    """Labels 0..3 but the fourth copy is not rotated (k % 3)."""
    images = np.asarray(images)
    rotated = np.stack([np.rot90(images, k % 3, axes=(1, 2)) for k in range(4)], axis=1)
    return rotated.reshape((-1,) + images.shape[1:]), np.tile(np.arange(4), len(images))


def _tiles(images):
    n, height, width, channels = images.shape
    h, w = height // 2, width // 2
    return [images[:, :h, :w], images[:, :h, w:], images[:, h:, :w], images[:, h:, w:]], h, w


def _assemble(tiles, shape):
    out = np.empty(shape, tiles[0].dtype)
    h, w = tiles[0].shape[1:3]
    out[:, :h, :w], out[:, :h, w:], out[:, h:, :w], out[:, h:, w:] = tiles
    return out


def _inverse_jigsaw(images, permutation_indices):
    """Tile t goes TO position p[t] (the inverse permutation)."""
    images = np.asarray(images)
    out = np.empty_like(images)
    for i, index in enumerate(permutation_indices):
        tiles, _, _ = _tiles(images[i:i + 1])
        placed = [None] * 4
        for tile, position in enumerate(jigsaw_permutations()[index]):
            placed[position] = tiles[tile]
        out[i:i + 1] = _assemble(placed, images[i:i + 1].shape)
    return out


def _column_major_jigsaw(images, permutation_indices):
    images = np.asarray(images)
    out = np.empty_like(images)
    for i, index in enumerate(permutation_indices):
        tiles, _, _ = _tiles(images[i:i + 1])
        tiles = [tiles[0], tiles[2], tiles[1], tiles[3]]  # numbered down the columns
        shuffled = [tiles[p] for p in jigsaw_permutations()[index]]
        shuffled = [shuffled[0], shuffled[2], shuffled[1], shuffled[3]]
        out[i:i + 1] = _assemble(shuffled, images[i:i + 1].shape)
    return out


def _mean_gray(images):
    images = np.asarray(images, "float32")
    gray = images.mean(axis=-1, keepdims=True)
    return np.repeat(gray, 3, axis=-1), images


def _one_channel_gray(images):
    images = np.asarray(images, "float32")
    return images @ np.array([0.2989, 0.587, 0.114], "float32"), images


def _rounded_gray(images):
    images = np.asarray(images, "float32")
    gray = np.round(images @ np.array([0.2989, 0.587, 0.114], "float32"))
    return np.repeat(gray[..., None], 3, axis=-1).astype("uint8"), images


WRONG = [
    ("rotation_batch", _clockwise),
    ("rotation_batch", _grouped_by_rotation),
    ("rotation_batch", _three_rotations),
    ("jigsaw_shuffle", _inverse_jigsaw),
    ("jigsaw_shuffle", _column_major_jigsaw),
    ("colorization_pair", _mean_gray),
    ("colorization_pair", _one_channel_gray),
    ("colorization_pair", _rounded_gray),
]


@pytest.mark.parametrize("task, wrong", WRONG)
def test_visible_checks_reject_wrong_implementations(task, wrong):
    with pytest.raises(AssertionError):
        getattr(checks, f"check_{task}")(wrong)


@pytest.mark.parametrize("task, wrong", [WRONG[0], WRONG[1], WRONG[3], WRONG[4], WRONG[5]])
def test_hidden_cases_tell_wrong_implementations_apart(task, wrong, capsys):
    getattr(checks, f"record_{task}")(wrong)
    with pytest.raises(AssertionError):
        assert_matches_references(checks.CASES, recorded_values(capsys), task)


def test_oracles_agree_with_the_package():
    from ssl_keras.pretext import colorization_dataset, jigsaw_shuffle, rotation_dataset

    (images,) = checks._images(9, (3, 4, 4, 3))
    for ours, package in zip(checks._oracle_rotation_batch(images),
                             rotation_dataset(images, mode="all")):
        np.testing.assert_array_equal(ours, package)
    indices = np.array([1, 12, 22])
    np.testing.assert_array_equal(checks._oracle_jigsaw(images, indices),
                                  jigsaw_shuffle(images, indices))
    for ours, package in zip(checks._oracle_colorization(images), colorization_dataset(images)):
        np.testing.assert_allclose(ours, package, rtol=1e-5, atol=1e-3)


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(monkeypatch):
    recorded = execute_fast(NAME, monkeypatch)
    for task in {case.task for case in checks.CASES.values()}:
        assert_matches_references(checks.CASES, recorded, task)
