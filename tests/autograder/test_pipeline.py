"""The grader's parts without kernels: restoring cells, the comparison rule,
finding submissions, the leak check of release, references, fixtures and the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import nbformat
import pytest
from ssl_keras_autograder import paths, references
from ssl_keras_autograder.__main__ import main
from ssl_keras_autograder.checks._core import compare
from ssl_keras_autograder.config import GradeConfig, Submission
from ssl_keras_autograder.notebook import strip_hidden_tests
from ssl_keras_autograder.release import find_leaks, release_assignments
from ssl_keras_autograder.steps import ClearOutputs, RestoreCells
from ssl_keras_autograder.submissions import collect, row_name, student_name

from . import toy

REPOSITORY = Path(__file__).resolve().parents[2]
# nbgrader runs and fixture builds do not depend on the backend: once, with jax
jax_only = pytest.mark.skipif(keras.backend.backend() != "jax", reason="run once, with jax")


@pytest.fixture
def assignment(tmp_path):
    return toy.make_assignment(tmp_path)


def _submission(notebook: dict) -> Submission:
    submission = Submission("s", Path("s.ipynb"), b"", "")
    submission.notebook = nbformat.from_dict(copy.deepcopy(notebook))
    return submission


def _ids(notebook) -> list:
    return [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]


def _sanitize(assignment, notebook) -> Submission:
    submission = _submission(notebook)
    for step in (ClearOutputs(), RestoreCells()):
        step.run(submission, assignment, GradeConfig())
    return submission


def test_restore_cells_puts_back_deleted_and_edited_cells(assignment):
    released = toy.released_notebook()
    released["cells"][4]["source"] = "def scale(x, factor):\n    return x * factor"
    edited = copy.deepcopy(released)
    del edited["cells"][3]  # square_tests
    edited["cells"][4]["source"] = "pass  # checks removed"  # scale_tests
    edited["cells"][4]["metadata"]["nbgrader"]["points"] = 100
    edited["cells"][1]["source"] = "CASES = {}"  # the locked setup cell
    edited["cells"].append({"cell_type": "code", "id": "x", "metadata": {"nbgrader": {
        "grade": True, "grade_id": "bonus_tests", "points": 50, "locked": True,
        "solution": False, "schema_version": 3}}, "outputs": [], "execution_count": None,
        "source": "pass"})
    submission = _sanitize(assignment, edited)
    source = assignment.source.notebook
    notebook = submission.notebook
    assert _ids(notebook) == [None, "setup", "square", "square_tests", "scale", "scale_tests",
                              "why", None]
    assert notebook.cells[3].source == source.cells[3].source
    assert notebook.cells[5].source == source.cells[5].source
    assert notebook.cells[5].metadata.nbgrader.points == 1
    assert notebook.cells[1].source == source.cells[1].source
    assert notebook.cells[4].source == "def scale(x, factor):\n    return x * factor"
    assert submission.restored == {"square_tests": "deleted", "scale_tests": "edited",
                                   "setup": "edited"}
    assert len({cell.id for cell in notebook.cells}) == len(notebook.cells)


def test_restore_cells_brings_back_a_deleted_answer_cell_as_the_stub(assignment):
    released = toy.released_notebook()
    del released["cells"][2]  # the square answer cell
    notebook = _sanitize(assignment, released).notebook
    assert _ids(notebook)[:4] == [None, "setup", "square", "square_tests"]
    assert "raise NotImplementedError()" in notebook.cells[2].source
    assert "BEGIN SOLUTION" not in notebook.cells[2].source


def test_unchanged_released_cells_are_not_reported(assignment):
    assert _sanitize(assignment, toy.released_notebook()).restored == {}


def test_clear_outputs_drops_a_submission_s_own_outputs(assignment):
    released = toy.released_notebook()
    released["cells"][3]["outputs"] = [{"output_type": "stream", "name": "stdout",
                                        "text": toy.FAKE_RECORD + "\n"}]
    released["cells"][3]["execution_count"] = 3
    notebook = _sanitize(assignment, released).notebook
    assert all(not cell.get("outputs") for cell in notebook.cells)


def test_compare_explains_each_failure_in_words():
    expected = {"task": "nt_xent", "description": "temperature 0.5", "value": 1.87,
                "shape": [], "kind": "f", "rtol": 1e-4, "atol": 1e-5}
    assert compare({"shape": [], "value": 1.87}, expected) is None
    message = compare({"shape": [], "value": 2.31}, expected)
    assert message == "nt_xent gave 2.31; the expected value is 1.87"
    assert "NaN" in compare({"shape": [], "value": float("nan")}, expected)
    assert "shape (2,)" in compare({"shape": [2], "value": [1.0, 2.0]}, expected)
    assert "not an array of 1" in compare({"shape": [1], "value": [1.87]}, expected)
    assert "raised ValueError: x" in compare({"error": "ValueError: x"}, expected)
    assert "gave no value" in compare(None, expected)
    assert "not an array of numbers" in compare({"value": [[1], [1, 2]]}, expected)
    counts = {**expected, "kind": "i", "value": [1.0, 2.0], "shape": [2]}
    assert "whole numbers" in compare({"value": [1.0, 2.5]}, counts)
    assert compare({"value": [1.0, 2.0]}, counts) is None


def test_collect_reads_folders_zips_and_single_notebooks(tmp_path):
    notebook = json.dumps(toy.released_notebook()).encode()
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "ann lee.ipynb").write_bytes(notebook)
    (flat / ".ipynb_checkpoints").mkdir()
    (flat / ".ipynb_checkpoints" / "x.ipynb").write_bytes(b"")
    nested = tmp_path / "nested"
    for student, files in {"bob": ["toy.ipynb", "scratch.ipynb"], "cy": ["mine.ipynb"],
                           "dee": ["a.ipynb", "b.ipynb"], "eve": []}.items():
        (nested / student).mkdir(parents=True)
        for name in files:
            (nested / student / name).write_bytes(notebook)
    assert [s.student for s in collect(flat, "toy")] == [row_name("ann lee")]
    found = {s.student: s for s in collect(nested, "toy")}
    assert found["bob"].path.name == "toy.ipynb" and found["cy"].path.name == "mine.ipynb"
    assert "several notebooks" in found["dee"].failure and "no notebook" in found["eve"].failure
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("class/bob/toy.ipynb", notebook)
        handle.writestr("class/ann.ipynb", notebook)
        handle.writestr("__MACOSX/class/._ann.ipynb", b"junk")
    zipped = {s.student: s for s in collect(archive, "toy")}
    assert set(zipped) == {"ann", "bob"} and zipped["bob"].data == notebook
    single = collect(flat / "ann lee.ipynb", "toy", student="ann")
    assert [s.student for s in single] == ["ann"]
    assert student_name("../../etc/passwd") == "etc_passwd"


@jax_only
def test_release_writes_the_student_version_without_leaks(tmp_path):
    [released] = release_assignments(["contrastive_loss"], tmp_path)
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "checks.check_nt_xent(nt_xent)" in text
    source = paths.source_notebook("contrastive_loss")
    assert find_leaks(source, released) == []
    leaked = json.loads(text)
    test_cell = next(c for c in leaked["cells"] if c["metadata"].get("nbgrader", {}).get(
        "grade_id") == "nt_xent_tests")
    test_cell["source"] = ("".join(test_cell["source"])
                           + "\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS")
    answer = next(c for c in leaked["cells"] if c["metadata"].get("nbgrader", {}).get(
        "grade_id") == "nt_xent")
    solution = nbformat.read(source, as_version=4)
    body = next(c.source for c in solution.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") == "nt_xent")
    answer["source"] = body
    leaked_path = tmp_path / "leaked.ipynb"
    leaked_path.write_text(json.dumps(leaked))
    leaks = " ".join(find_leaks(source, leaked_path))
    assert "BEGIN SOLUTION" in leaks and "HIDDEN TESTS" in leaks and "solution line" in leaks


def test_strip_hidden_tests_keeps_the_visible_lines():
    source = "a()\n### BEGIN HIDDEN TESTS\nb()\n### END HIDDEN TESTS\nc()"
    assert strip_hidden_tests(source) == "a()\nc()"


def test_references_are_up_to_date():
    """On every backend: the committed values hold within a tenth of each case's tolerance."""
    assert references.check() == []


@jax_only
def test_fixtures_are_up_to_date():
    script = REPOSITORY / "autograder" / "fixtures" / "make_fixtures.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", ["release", "grade", "feedback", "export", "references"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m autograder " + command in capsys.readouterr().out


def test_github_classroom_template_sets_the_backend_in_the_command():
    template = (paths.PACKAGE_DIR / "templates" / "github-classroom.yml").read_text()
    assert "KERAS_BACKEND=jax python -m ssl_keras_autograder grade" in template
    assert "autograding-grading-reporter" in template


def test_misuse_gives_a_clear_error_and_exit_code_2(tmp_path, capsys):
    assert main(["grade", "no_such_assignment", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "No source notebook" in capsys.readouterr().err
