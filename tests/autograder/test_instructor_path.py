"""The instructor's path, exactly as `autograder/README.md` gives it, run end to end.

The README's first command block is read, not copied: every `python -m autograder` line
after the one-time `pip install` runs in order, in a fresh folder, on a class of two
`temperature` submissions from the fixture corpus (a correct one and a wrong one). The
only changes are the ones a reader makes: the assignment's name, the submissions' zip,
and the points a grader types into the written-answer sheets between `manual sheets` and
`manual import`. The grades, feedback pages and exports must then hold the autograded
and the manual points.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from ssl_keras_autograder import paths

README = paths.PACKAGE_DIR / "README.md"
FIXTURES = paths.PACKAGE_DIR / "fixtures"
REPOSITORY = paths.PACKAGE_DIR.parent
ASSIGNMENT = "temperature"  # the cheapest assignment to grade; 1 P autograded, 2 P by hand


def _readme_commands() -> list[str]:
    """The `python -m autograder` commands of the README's first bash block, in order."""
    block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    commands, current = [], ""
    for line in block.splitlines():
        line = line.split("#", 1)[0].rstrip() if not line.lstrip().startswith("--") else (
            line.split("  #", 1)[0].rstrip())
        current = f"{current} {line.strip()}" if current else line.strip()
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        if current:
            commands.append(current)
        current = ""
    return commands


def test_the_readme_path_is_install_then_at_most_six_commands():
    commands = _readme_commands()
    assert commands[0].startswith("pip install")
    steps = commands[1:]
    assert all("python -m autograder" in command for command in steps)
    assert len(steps) <= 6, steps
    verbs = [command.split("python -m autograder", 1)[1].split()[0] for command in steps]
    assert verbs == ["release", "grade", "manual", "manual", "feedback", "export"]


def _class_zip(path: Path) -> dict:
    """A zip of two submissions, as an LMS hands them out; returns their expected points."""
    expected = json.loads((FIXTURES / ASSIGNMENT / "expected.json").read_text())["fixtures"]
    with zipfile.ZipFile(path, "w") as archive:
        for student, fixture in (("ada", "correct"), ("bob", "wrong_axis")):
            archive.write(FIXTURES / ASSIGNMENT / f"{fixture}.ipynb", f"{student}.ipynb")
    return {"ada": expected["correct"]["score"], "bob": expected["wrong_axis"]["score"]}


def _run(command: str, cwd: Path) -> str:
    arguments = shlex.split(command)
    environment = dict(os.environ)
    while "=" in arguments[0]:  # KERAS_BACKEND=jax python -m ...
        key, value = arguments.pop(0).split("=", 1)
        environment[key] = value
    assert arguments[:3] == ["python", "-m", "autograder"], command
    environment["PYTHONPATH"] = str(REPOSITORY)  # "from a clone": the clone's autograder
    completed = subprocess.run([sys.executable, *arguments[1:]], cwd=cwd, env=environment,
                               capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, f"{command}\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


def _fill_in(sheets: Path) -> dict:
    """What a grader types into the sheets: points and a comment per student and question.

    Returns `{student: manual points}`.
    """
    given: dict[str, float] = {}
    for sheet in sorted(sheets.glob("*.csv")):
        with sheet.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            points = float(row["max_points"]) if row["student"] == "ada" else 0.5
            row["points"], row["comment"] = f"{points:g}", f"seen: {row['question']}"
            given[row["student"]] = given.get(row["student"], 0.0) + points
        with sheet.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return given


@pytest.mark.slow
def test_the_readme_path_from_release_to_exports(tmp_path):
    expected = _class_zip(tmp_path / "class.zip")
    manual = None
    for command in _readme_commands()[1:]:
        command = command.replace("contrastive_loss", ASSIGNMENT).replace(
            "submissions.zip", str(tmp_path / "class.zip"))
        if " manual import " in command:
            manual = _fill_in(tmp_path / "sheets")
            command = command.replace("sheets/*.csv", " ".join(
                str(path) for path in sorted((tmp_path / "sheets").glob("*.csv"))))
        start = time.perf_counter()
        _run(command, tmp_path)
        print(f"\n{time.perf_counter() - start:6.1f} s  {command}")

    assert (tmp_path / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert manual is not None and manual["ada"] == 2.0 and manual["bob"] > 0
    with (tmp_path / "graded" / "grades.csv").open(newline="") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    for student in ("ada", "bob"):
        total = expected[student] + manual[student]
        assert float(grades[student]["total"]) == pytest.approx(total), grades[student]
        assert float(grades[student]["manual_pending"]) == 0.0
        page = (tmp_path / "feedback" / f"{student}.html").read_text()
        assert "seen: " in page  # the grader's comment reaches the student
    with (tmp_path / "export" / "gradebook.csv").open(newline="") as handle:
        gradebook = {row["student"]: row for row in csv.DictReader(handle)}
    gradescope = json.loads(
        (tmp_path / "export" / "gradescope" / "ada" / "results.json").read_text())
    assert float(gradebook["ada"]["total"]) == pytest.approx(expected["ada"] + 2.0)
    assert all(row["manual_stale"] == "" for row in grades.values())  # nobody resubmitted
    assert gradescope["score"] == pytest.approx(expected["ada"] + 2.0)
