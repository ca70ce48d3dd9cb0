"""The GitHub Classroom template's grading step, run the way the Actions runner runs it.

`autograder/templates/github-classroom.yml` is copied to `.github/workflows/` of an
assignment's template repository, beside the grading copy in `.github/grading/`. Here a
student repository with that layout is made in a temporary folder and the template's
`Grade` step (its `run:` script, read from the YAML) runs as GitHub runs a `run:` step on
Linux (`bash -e`), with only `PATH`, `HOME` and the runner's `GITHUB_*` files in its
environment, as Classroom's own grading steps pass. The result it hands to the reporter
(`result=<base64>` in `$GITHUB_OUTPUT`) is checked against the fixture corpus's expected
points.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ssl_keras_autograder import paths
from ssl_keras_autograder.__main__ import main

TEMPLATE = paths.PACKAGE_DIR / "templates" / "github-classroom.yml"
FIXTURES = paths.PACKAGE_DIR / "fixtures"


def _workflow() -> dict:
    return yaml.safe_load(TEMPLATE.read_text())


def _grade_step(workflow: dict) -> dict:
    (job,) = workflow["jobs"].values()
    return next(step for step in job["steps"] if step.get("id") == "grade")


def test_template_grade_step_is_valid_bash_and_reports_to_classroom(tmp_path):
    workflow = _workflow()
    step = _grade_step(workflow)
    script = tmp_path / "grade.sh"
    script.write_text(step["run"])
    check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    (job,) = workflow["jobs"].values()
    reporter = next(s for s in job["steps"] if "autograding-grading-reporter" in s.get("uses", ""))
    # the reporter reads <RUNNER>_RESULTS for each runner named in `runners`
    assert reporter["with"]["runners"] == "grade"
    assert reporter["env"]["GRADE_RESULTS"] == "${{ steps.grade.outputs.result }}"
    assert workflow["env"]["ASSIGNMENT"] in paths.ASSIGNMENTS


def _student_repository(root: Path, assignment: str, submission: Path) -> Path:
    """A student's repository as the template's header says to lay it out."""
    repository = root / "repository"
    (repository / ".github" / "workflows").mkdir(parents=True)
    (repository / ".github" / "grading").mkdir()
    shutil.copy(TEMPLATE, repository / ".github" / "workflows" / "classroom.yml")
    # what the instructor types (the template's header)
    assert main(["release", assignment, "--for-grading", "--out", str(root / "grading")]) == 0
    shutil.copy(root / "grading" / assignment / f"{assignment}.grading.ipynb",
                repository / ".github" / "grading")
    shutil.copy(submission, repository / f"{assignment}.ipynb")
    return repository


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["correct", "wrong_axis"])
def test_template_grade_step_grades_a_student_push(tmp_path, fixture):
    workflow = _workflow()
    assignment = "temperature"  # the cheapest assignment to grade
    expected = json.loads((FIXTURES / assignment / "expected.json").read_text())
    expected = expected["fixtures"][fixture]
    repository = _student_repository(tmp_path, assignment, FIXTURES / assignment /
                                     f"{fixture}.ipynb")
    script = tmp_path / "grade.sh"
    script.write_text(_grade_step(workflow)["run"])
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.touch()
    summary.touch()
    (tmp_path / "home").mkdir()
    environment = {
        # `python` is the one the template's install step set up: here, the test's
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "GITHUB_WORKSPACE": str(repository),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{**workflow.get("env", {}), "ASSIGNMENT": assignment},
    }
    process = subprocess.run(["bash", "-e", str(script)], cwd=repository, env=environment,
                             capture_output=True, text=True, timeout=1800)
    assert process.returncode == 0, process.stderr[-3000:]
    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    result = json.loads(base64.b64decode(lines["result"]))
    assert result["status"] == ("pass" if expected["score"] == 1.0 else "fail")
    assert result["max_score"] == 1.0
    scores = {test["name"]: test["score"] for test in result["tests"]}
    assert scores == pytest.approx(expected["cells"])
    assert f"## Score: {expected['score']:g} / 1" in summary.read_text()
    # the feedback the workflow uploads
    assert (repository / ".feedback" / "student.html").is_file()
