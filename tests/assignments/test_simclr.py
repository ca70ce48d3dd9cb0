"""The simclr assignment: notebook in sync with its builder, the augmentation checks accept
the solution and reject broken pipelines, hidden cases agree with SimCLRAugmentation."""

import keras
import numpy as np
import pytest
from ssl_keras_autograder.checks import _core
from ssl_keras_autograder.checks import simclr as checks

import ssl_keras
from tests.assignments.run_notebook import execute_fast
from tests.assignments.source_notebooks import (
    assert_matches_references,
    built_cells,
    check_notebook_structure,
    committed_cells,
    comparable,
    recorded_values,
    solution_namespace,
)

NAME = "simclr"
TASK = "two_view_augmentation"


@pytest.fixture(scope="module")
def solution():
    namespace = {"np": np, "keras": keras, "ssl_keras": ssl_keras}
    return solution_namespace(NAME, ["augmentation"], namespace)["TwoViewAugmentation"]


def test_committed_notebook_matches_builder():
    assert comparable(committed_cells(NAME)) == comparable(built_cells(NAME))


def test_notebook_structure_and_points():
    check_notebook_structure(NAME, checks)
    graded = [cell for cell in committed_cells(NAME)
              if cell["metadata"].get("nbgrader", {}).get("grade")]
    points = {cell["id"]: cell["metadata"]["nbgrader"]["points"] for cell in graded}
    assert points["augmentation_tests"] == 4
    assert sum(points.values()) == 14  # as exercise sheet 8's SimCLR task


def test_solution_passes_visible_check_and_hidden_references(solution, capsys):
    checks.check_two_view_augmentation(solution)
    checks.record_two_view_augmentation(solution)
    assert_matches_references(checks.CASES, recorded_values(capsys), TASK)


def test_deterministic_cases_match_numpy_oracles():
    # The reference values of the deterministic cases are what the oracles say.
    references = _core.reference_values(checks.CASES)
    images = {name: case.inputs()[0].astype("float64") for name, case in checks.CASES.items()}
    expected = {
        "identity": images["identity"],
        "flip_always": images["flip_always"][:, :, ::-1],
        "grayscale_always": checks.oracle_grayscale(images["grayscale_always"]),
        "flip_and_grayscale": checks.oracle_grayscale(images["flip_and_grayscale"][:, :, ::-1]),
    }
    for name, value in expected.items():
        np.testing.assert_allclose(references[name]["value"],
                                   checks.profiles(np.stack([value, value])), atol=0.5,
                                   err_msg=name)
    np.testing.assert_array_equal(references["random_pipeline"]["value"],
                                  [6, 16, 16, 3, 6, 16, 16, 3, 1, 1, 1, 1])


# --- broken pipelines, each must fail with a message that names the problem.

L = ssl_keras.layers


class _Base(keras.layers.Layer):
    def __init__(self, height, width, crop_scale=(0.08, 1.0), flip_probability=0.5,
                 color_jitter_strength=0.5, color_jitter_probability=0.8,
                 grayscale_probability=0.2, seed=None, **kwargs):
        super().__init__(**kwargs)

        def layer_seed(index):
            return None if seed is None else seed + 1_000_003 * index

        self.crop = L.RandomResizedCrop(height, width, scale=crop_scale, seed=layer_seed(1))
        self.flip = L.RandomHorizontalFlip(flip_probability, seed=layer_seed(2))
        self.color_jitter = L.RandomApply(
            L.RandomColorJitter(color_jitter_strength, seed=layer_seed(3)),
            probability=color_jitter_probability, seed=layer_seed(4))
        self.grayscale = L.RandomGrayscale(grayscale_probability, seed=layer_seed(5))

    def augment(self, images):
        x = self.crop(images, training=True)
        x = self.flip(x, training=True)
        x = self.color_jitter(x, training=True)
        return self.grayscale(x, training=True)

    def call(self, images, training=True):
        return self.augment(images), self.augment(images)


class SameViewTwice(_Base):
    def call(self, images, training=True):
        view = self.augment(images)
        return view, view


class RescaledToUnit(_Base):
    def call(self, images, training=True):
        view_a, view_b = super().call(images)
        return view_a / 255.0, view_b / 255.0


class VerticalFlip(_Base):
    def augment(self, images):
        x = self.crop(images, training=True)
        if self.flip.probability == 1.0:
            x = keras.ops.flip(x, axis=1)  # height: upside down
        return self.grayscale(self.color_jitter(x, training=True), training=True)


class NoGrayscale(_Base):
    def augment(self, images):
        x = self.crop(images, training=True)
        x = self.flip(x, training=True)
        return self.color_jitter(x, training=True)


class NoColorJitter(_Base):
    def augment(self, images):
        return self.grayscale(self.flip(self.crop(images, training=True), training=True),
                              training=True)


class Unseeded(_Base):
    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(height, width, seed=None, **kwargs)


class NoResize(_Base):
    def __init__(self, height, width, **kwargs):
        super().__init__(None, None, **kwargs)


class OneView(_Base):
    def call(self, images, training=True):
        return self.augment(images)


class ShuffledPairs(_Base):
    def call(self, images, training=True):
        view_a, view_b = super().call(images)
        return view_a, keras.ops.flip(view_b, axis=0)


class WrongArguments(keras.layers.Layer):
    def __init__(self, size, **kwargs):
        super().__init__()


@pytest.mark.parametrize("wrong, message", [
    (SameViewTwice, "identical"),
    (RescaledToUnit, r"\[0, 1\]"),
    (VerticalFlip, "upside down"),
    (NoGrayscale, "gray"),
    (NoColorJitter, "colour jitter"),
    # These two run the whole random pipeline several times before failing: slow on jax.
    pytest.param(Unseeded, "seed", marks=pytest.mark.slow),
    pytest.param(NoResize, r"\(12, 12\)", marks=pytest.mark.slow),
    (OneView, "pair"),
    (ShuffledPairs, "image i itself"),
    (WrongArguments, "Keep the constructor's arguments"),
])
@pytest.mark.filterwarnings("ignore:`build\\(\\)` was called:UserWarning")  # unused sub-layers
def test_visible_check_rejects(wrong, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_two_view_augmentation(wrong)


@pytest.mark.slow
def test_hidden_cases_reject_a_pipeline_that_reuses_one_view(capsys):
    checks.record_two_view_augmentation(SameViewTwice)
    with pytest.raises(AssertionError, match="random_pipeline"):
        assert_matches_references(checks.CASES, recorded_values(capsys), TASK)


def test_simclr_augmentation_is_forbidden():
    assert "ssl_keras.layers.SimCLRAugmentation" in checks.FORBIDDEN["augmentation_tests"]
    source = "".join(cell["source"] for cell in committed_cells(NAME)
                     if cell["id"] == "augmentation")
    assert "SimCLRAugmentation" not in source.split("### BEGIN SOLUTION", 1)[1]


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_in_fast_mode(tmp_path, monkeypatch):
    notebook = execute_fast(NAME, tmp_path, monkeypatch)
    outputs = "".join(output.get("text", "") for cell in notebook.cells
                      if cell.cell_type == "code" for output in cell.outputs)
    assert "all visible checks passed" in outputs
