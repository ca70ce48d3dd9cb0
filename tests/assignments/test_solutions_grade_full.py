"""Every solution notebook, executed top to bottom in its fast setting through the
autograder, earns full marks.

This is CI's execution of the seven notebooks: it proves that each runs end to end with
the solutions in place, that the hidden cases recorded by the notebooks agree with the
committed reference values, and that the whole grading pipeline (restore, sandboxed
execution, out-of-kernel scoring) accepts a correct submission. It runs once, in the
torch pass of the suite (the kernels use the test's backend), because executing the
notebooks costs a few minutes of CPU.
"""

from __future__ import annotations

import shutil

import keras
import pytest
from ssl_keras_autograder.config import GradeConfig
from ssl_keras_autograder.grade import grade_assignment

from tests.assignments.source_notebooks import ASSIGNMENTS

NAMES = ["temperature", "contrastive_loss", "simclr", "pretext_tasks", "clip_zero_shot",
         "foundation_models", "ablations"]

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="executes the notebooks once, in the torch pass"
)


@pytest.mark.parametrize("name", NAMES)
def test_solution_notebook_earns_full_marks(name, tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy2(ASSIGNMENTS / name / f"{name}.ipynb", submissions / "solution.ipynb")
    config = GradeConfig(backend=keras.backend.backend(), jobs=1, cell_timeout=300,
                         timeout=600, memory_mb=6000)
    (result,) = grade_assignment(name, submissions, tmp_path / "graded", config)
    failed = {cell["grade_id"]: (cell["status"], cell["messages"]) for cell in result["cells"]
              if cell["kind"] == "autograded" and cell["points"] < cell["max_points"]}
    assert not failed, (failed, result["messages"])
    assert result["max_score"] > 0
    assert result["score"] == result["max_score"]
