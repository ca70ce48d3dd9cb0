"""`python -m autograder release`: the student version of an assignment, checked for leaks.

nbgrader's generate_assignment runs in a temporary course directory (source/<name>/ holds a
copy of the source notebook and its data files); its output is copied to
`OUT/<name>/`, then checked: no solution or hidden-test marker, no non-trivial line of a
solution region and no hidden-test line may appear in the released notebook.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import notebook as nb
from . import paths


class LeakError(RuntimeError):
    """The released notebook contains part of a solution or a hidden test."""


# Solution lines this short or this common may also appear in the released text on purpose.
TRIVIAL_LINES = {
    "pass", "return", "else:", "try:", "finally:", ")", "]", "}", "raise NotImplementedError()"
}


def nbgrader_environment() -> None:
    """nbgrader shells out to `alembic`: its virtual environment's bin must be on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def generate(name: str, source: Path, out: Path, data_files: list[Path] = ()) -> Path:
    """Runs nbgrader generate_assignment on `source`; returns OUT/<name>/<name>.ipynb."""
    nbgrader_environment()
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="ssl-keras-release-") as course:
        course = Path(course)
        folder = course / "source" / name
        folder.mkdir(parents=True)
        shutil.copy2(source, folder / f"{name}.ipynb")
        for path in data_files:
            target = folder / path.name
            (shutil.copytree if path.is_dir() else shutil.copy2)(path, target)
        config = Config()
        config.CourseDirectory.root = str(course)
        config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
        config.Exchange.root = str(course / "exchange")
        (course / "exchange").mkdir()
        api = NbGraderAPI(config=config)
        level = api.log.level
        api.log.setLevel(logging.WARNING)
        try:
            result = api.generate_assignment(name, force=True, create=True)
        finally:
            api.log.setLevel(level)
        if not result.get("success"):
            raise RuntimeError(
                f"nbgrader generate_assignment failed for {name!r}:\n{result.get('error')}\n"
                f"{result.get('log', '')}"
            )
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(course / "release" / name, target)
    return target / f"{name}.ipynb"


def find_leaks(source: Path, released: Path) -> list[str]:
    """Markers, solution lines and hidden-test lines present in the released notebook."""
    original = nb.SourceNotebook.load(source.stem, source)
    content = json.loads(released.read_text())
    text = "\n".join(
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in content["cells"]
    )
    lines = {line.strip() for line in text.splitlines()}
    markers = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    leaks = [f"marker {marker!r}" for marker in markers if marker in text]
    leaks += [
        f"hidden-test line {line!r}" for line in original.hidden_test_lines() if line in lines
    ]
    # a solution line counts when the released text has it and the student version of its
    # cell does not (a line may legitimately appear elsewhere, e.g. `import numpy as np`)
    visible = _visible_lines(original)
    leaks += [
        f"solution line {line!r}"
        for line in original.solution_lines()
        if line in lines and line not in visible and line not in TRIVIAL_LINES
        and not line.startswith("#")
    ]
    return leaks


def grading_copy(name: str, source: Path, out: Path) -> Path:
    """OUT/<name>/<name>.grading.ipynb: the source without its solutions, hidden tests kept.

    Enough for `grade --source` (it restores locked and test cells and re-inserts deleted
    answer cells as stubs), so a course CI (e.g. the GitHub Classroom template) can grade
    without holding the solutions. Its hidden tests only call the checks module, which is
    installed with the package anyway.
    """
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        cell.source = nb.without_solutions(cell)
    target = out / name / f"{name}.grading.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    original = nb.SourceNotebook.load(name, source)
    text = target.read_text()
    lines = {line.strip() for cell in notebook.cells for line in cell.source.splitlines()}
    visible = _visible_lines(original)
    leaks = [line for line in original.solution_lines()
             if line in lines and line not in visible and line not in TRIVIAL_LINES
             and not line.startswith("#")]
    if leaks or "BEGIN SOLUTION" in text:
        raise LeakError(f"{target} leaks solution lines: {leaks}")
    return target


def _visible_lines(original) -> set[str]:
    visible = set()
    for cell in original.cells:
        visible.update(line.strip() for line in nb.student_version(cell).splitlines())
    return visible


def release_assignments(
    names: list[str],
    out: str | Path,
    assignments_dir: str | Path | None = None,
    for_grading: bool = False,
) -> list[Path]:
    """Releases each assignment to OUT/<name>/ and raises LeakError if anything leaked.

    With `for_grading`, also writes the grading copy (see `grading_copy`).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        source = paths.source_notebook(name, assignments_dir)
        released = generate(name, source, out, paths.data_files(source.parent))
        leaks = find_leaks(source, released)
        if leaks:
            raise LeakError(f"{released} leaks: " + "; ".join(leaks))
        written.append(released)
        if for_grading:
            written.append(grading_copy(name, source, out))
    return written
