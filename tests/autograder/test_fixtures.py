"""The contrastive_loss fixture submissions (autograder/fixtures/), graded in one batch.

Each notebook imports Keras and runs the real checks (about 15-30 s of CPU each), so the
batch runs once, in the jax pass of the suite; test_grade_toy.py runs the same cases on a
NumPy-only assignment.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import shutil
import sys
import tempfile
from pathlib import Path

import keras
import pytest
from ssl_keras_autograder import paths
from ssl_keras_autograder.config import GradeConfig
from ssl_keras_autograder.feedback import write_feedback
from ssl_keras_autograder.grade import grade_assignment
from ssl_keras_autograder.notebook import SourceNotebook

FIXTURES = paths.PACKAGE_DIR / "fixtures" / "contrastive_loss"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="run once, with jax")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("fixtures")
    submissions = root / "submissions"
    submissions.mkdir()
    for path in FIXTURES.glob("*.ipynb"):
        shutil.copy2(path, submissions / path.name)
    before = _hashes(submissions)
    config = GradeConfig(jobs=2, cell_timeout=30, timeout=400, memory_mb=2500)
    results = grade_assignment("contrastive_loss", submissions, root / "graded", config)
    yield {"root": root, "before": before, "after": _hashes(submissions),
           "results": {result["student"]: result for result in results}}
    # what writes_outside manages to write when no sandbox is available
    for folder in (Path(tempfile.gettempdir()), paths.REPOSITORY_DIR):
        (folder / "ssl_keras_injected_by_submission.txt").unlink(missing_ok=True)


@pytest.mark.parametrize("fixture", sorted(EXPECTED["fixtures"]))
def test_fixture_score(graded, fixture):
    expected = EXPECTED["fixtures"][fixture]
    result = graded["results"][fixture]
    statuses = {c["grade_id"]: c["status"] for c in result["cells"] if c["kind"] == "autograded"}
    assert statuses == expected["cells"], result
    assert result["score"] == expected["score"]
    assert result["max_score"] == EXPECTED["max_score"]


def test_submissions_unchanged(graded):
    assert graded["after"] == graded["before"]


def test_no_hidden_test_in_feedback(graded, tmp_path):
    hidden = SourceNotebook.load(
        "contrastive_loss", paths.source_notebook("contrastive_loss")).hidden_test_lines()
    assert hidden
    for page in write_feedback(graded["root"] / "graded", tmp_path):
        text = page.read_text()
        assert not any(line in text or html.escape(line) in text for line in hidden), page
        assert "BEGIN HIDDEN TESTS" not in text


def test_snoop_and_writer_reach_nothing_when_sandboxed(graded):
    executed = graded["root"] / "graded" / "executed"
    snoop = (executed / "snoop.ipynb").read_text()
    assert "hidden tests or gradebook found in:" in snoop
    if graded["results"]["snoop"]["execution"].get("sandbox") is True:
        found = ast.literal_eval(
            snoop.split("hidden tests or gradebook found in: ", 1)[1].split("\\n", 1)[0])
        # what this grader protects: this repository (outside its Python environment,
        # which holds third-party packages' own test data) and this run's folders. Other
        # checkouts of the course on the same machine are out of a same-user sandbox's
        # reach (autograder/README.md: use a container for hostile classes).
        ours = [path for path in found
                if (path.startswith(str(paths.REPOSITORY_DIR)) and not path.startswith(sys.prefix))
                or path.startswith(str(graded["root"])) or "ssl-keras-grading-" in path]
        assert ours == [], found
        assert not (paths.REPOSITORY_DIR / "ssl_keras_injected_by_submission.txt").exists()
