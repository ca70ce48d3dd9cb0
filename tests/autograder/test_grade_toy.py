"""Every robustness case, graded in one batch on a tiny NumPy assignment (about a minute).

The same pipeline grades the contrastive_loss fixtures in test_fixtures.py (slow).
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

import keras
import pytest
from ssl_keras_autograder.config import GradeConfig
from ssl_keras_autograder.export import export_grades
from ssl_keras_autograder.feedback import write_feedback
from ssl_keras_autograder.grade import grade_submissions
from ssl_keras_autograder.submissions import collect

from . import toy

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax",
    reason="grades notebooks in kernels of their own: run once, with KERAS_BACKEND=jax",
)
CONFIG = GradeConfig(jobs=2, cell_timeout=5, timeout=90, memory_mb=600, startup_timeout=120,
                     judge_floor=5.0)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    assignment = toy.make_assignment(root / "source")
    submissions = root / "submissions"
    submissions.mkdir()
    cases = toy.submissions()
    for name, (content, _, _) in cases.items():
        (submissions / f"{name}.ipynb").write_bytes(content)
    before = _hashes(submissions)
    out = root / "graded"
    results = grade_submissions(assignment, collect(submissions, "toy"), out, CONFIG)
    injected = root.parent / "TOY_INJECTED.txt"
    yield {
        "root": root,
        "out": out,
        "results": {result["student"]: result for result in results},
        "before": before,
        "after": _hashes(submissions),
        "cases": cases,
        "injected": injected.exists(),
    }
    injected.unlink(missing_ok=True)


@pytest.mark.parametrize("student", list(toy.submissions()))
def test_each_submission_gets_the_score_it_deserves(graded, student):
    result = graded["results"][student]
    _, score, statuses = graded["cases"][student]
    cells = {cell["grade_id"]: cell for cell in result["cells"]}
    assert {g: cells[g]["status"] for g in statuses} == statuses, result
    assert result["score"] == score, result
    assert result["max_score"] == 3.0  # the edited test cell's "points: 100" is ignored
    assert cells["why"]["status"] == "pending manual grading"
    assert result["manual_pending"] == 1.0
    for grade_id, cell in cells.items():
        if cell["status"] not in ("passed", "pending manual grading"):
            assert cell["messages"], (student, grade_id)


def test_messages_say_what_happened(graded):
    results = graded["results"]

    def messages(student, grade_id="square_tests"):
        cell = next(c for c in results[student]["cells"] if c["grade_id"] == grade_id)
        return " ".join(cell["messages"] + results[student]["messages"])

    assert "square differs from the expected values by up to 1" in messages("wrong")
    assert "hidden case: x = [0, 1, 2]" in messages("wrong")  # the case's description
    assert "ValueError: no" in messages("raising")
    assert "NaN" in messages("nan")
    assert "s limit" in messages("infinite_loop") and "(an infinite loop" in messages(
        "infinite_loop")
    assert "memory" in messages("huge_memory")
    assert "SystemExit" in messages("sys_exit")
    assert "os._exit" in messages("os_exit_in_function")
    assert "deleted" in messages("deleted_test_cell") and "restored" in messages(
        "deleted_test_cell")
    assert "edited" in messages("edited_test_cell")
    for student in ("reference_only", "reference_caught"):
        assert "calls `numpy.square`" in messages(student)
    assert "empty" in messages("empty_file")
    assert "not valid JSON" in messages("corrupt_json")
    assert "not a Jupyter notebook" in messages("not_a_notebook")
    # stderr never costs points, and is no failure message either
    assert all(not c["messages"] for c in results["correct_warns"]["cells"] if
               c["kind"] == "autograded")


def test_submitted_files_are_never_modified(graded):
    assert graded["after"] == graded["before"]


def test_grades_csv_has_one_row_per_student(graded):
    lines = (graded["out"] / "grades.csv").read_text().splitlines()
    assert lines[0] == (
        "student,square_tests,scale_tests,why,total,max_total,manual_pending,manual_stale,"
        "status")
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert set(rows) == set(toy.submissions())
    # the written answer "why" is empty until graded by hand (test_manual.py)
    assert rows["correct"][1:7] == ["2", "1", "", "3", "3", "1"]
    assert rows["empty_file"][-1] == "not graded"


def test_hostile_submissions_reach_nothing(graded):
    executed = graded["out"] / "executed"
    snoop = json.loads((executed / "snoop.ipynb").read_text())
    printed = "".join(
        "".join(output.get("text", "")) for cell in snoop["cells"]
        for output in cell.get("outputs", []))
    assert "SNOOP FOUND" in printed
    found = ast.literal_eval(printed.split("SNOOP FOUND", 1)[1].splitlines()[0].strip())
    # no gradebook or source notebook of this run exists while kernels run, and the grade
    # folder is out of reach. (Without the sandbox, e.g. when the repository itself lies in
    # /tmp, the snoop may also see unrelated files other programs left in /tmp.)
    ours = [path for path in found if not path.startswith(sys.prefix) and (
        path.startswith(str(graded["root"])) or "ssl-keras-grading-" in path)]
    assert ours == []
    if graded["results"]["snoop"]["execution"].get("sandbox") == "bwrap":
        # the Python environment may lie in /tmp too; it holds third-party test data only
        assert [path for path in found if not path.startswith(sys.prefix)] == []
        assert not graded["injected"]
    # whatever it wrote, the grader's own files are intact
    assert "victim" not in (graded["out"] / "grades.csv").read_text()


def test_feedback_and_results_hold_no_hidden_tests(graded, tmp_path):
    pages = write_feedback(graded["out"], tmp_path / "feedback",
                           source=graded["root"] / "source" / "toy" / "toy.ipynb")
    assert len(pages) == len(toy.submissions())
    for page in pages:
        text = page.read_text()
        assert "BEGIN SOLUTION" not in text
        assert "np.asarray(x, float) ** 2" not in text or page.stem in (
            "correct", "correct_warns", "deleted_test_cell", "snoop", "writes_outside",
            "os_exit", "names_library_outside", "reference_caught")
    correct = (tmp_path / "feedback" / "correct.html").read_text()
    assert "3 / 3" in correct and "assert np.allclose(square" in correct
    assert "return np.asarray(x, float) ** 2" in correct  # the student's own code


def test_export_formats(graded, tmp_path):
    export_grades(graded["out"], tmp_path, formats=("all",))
    gradescope = json.loads((tmp_path / "gradescope" / "wrong" / "results.json").read_text())
    assert gradescope["score"] == 1.0 and gradescope["max_score"] == 3.0
    assert [t["name"] for t in gradescope["tests"]] == ["square_tests", "scale_tests"]
    assert gradescope["tests"][0]["score"] == 0 and "hidden case" in gradescope["tests"][0][
        "output"]
    assert {"name", "score", "max_score", "output", "visibility"} <= set(gradescope["tests"][0])
    classroom = json.loads((tmp_path / "classroom" / "correct.json").read_text())
    assert classroom["status"] == "pass" and classroom["max_score"] == 3.0
    csv_lines = (tmp_path / "gradebook.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + len(toy.submissions())
