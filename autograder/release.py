"""`python -m autograder release`: the student version of an assignment, checked for leaks.

nbgrader's generate_assignment runs in a temporary course directory (source/<name>/ holds a
copy of the source notebook and its data files); its output is copied to
`OUT/<name>/`, then checked: no solution or hidden-test marker, no non-trivial line of a
solution region and no hidden-test line may appear in the released notebook.

The released notebook's first code cell installs the course package where it is missing
(`assignments/notebook_builder.py`, `install`): `install_url` is where students install it
from (a git URL, a wheel's URL, or with `wheel` a wheel beside the notebook); `wheel`
builds the package's wheel into `OUT/` and each `OUT/<name>/`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import notebook as nb
from . import paths


class LeakError(RuntimeError):
    """The released notebook contains part of a solution or a hidden test."""


INSTALL_GRADE_ID = "install"
# The install cell's placeholder (assignments/notebook_builder.py: INSTALL_URL_PLACEHOLDER)
INSTALL_URL_PLACEHOLDER = "<install-url: set by python -m autograder release --install-url>"


# Solution lines this short or this common may also appear in the released text on purpose.
TRIVIAL_LINES = {
    "pass", "return", "else:", "try:", "finally:", ")", "]", "}", "raise NotImplementedError()"
}


def nbgrader_environment() -> None:
    """nbgrader shells out to `alembic`: its virtual environment's bin must be on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def set_install_url(notebook: dict, url: str) -> dict:
    """Points the install cell of `notebook` (nbformat JSON, changed in place) at `url`."""
    if re.search(r'["\\\s]', url):
        raise ValueError(f"an install URL cannot contain quotes, backslashes or spaces: {url!r}")
    line = f'INSTALL_URL = "{INSTALL_URL_PLACEHOLDER}"'
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == INSTALL_GRADE_ID:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if line not in text:
                raise ValueError("the install cell has no install URL placeholder")
            cell["source"] = text.replace(line, f'INSTALL_URL = "{url}"')
            return notebook
    raise ValueError(f"the notebook has no install cell (grade_id {INSTALL_GRADE_ID!r})")


def build_wheel(out: Path) -> Path:
    """Builds the course package's wheel (library and checks) into `out`; returns its path.

    From a clone only (the package's own sources), copied to a temporary folder first, so
    that no stale `build/` of the clone enters the wheel; no network: the build uses this
    environment's setuptools.
    """
    root = paths.REPOSITORY_DIR
    if not (root / "pyproject.toml").is_file():
        raise FileNotFoundError("--wheel builds from a clone of the repository")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ssl-keras-wheel-") as folder:
        sources, wheels_dir = Path(folder) / "src", Path(folder) / "wheels"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "fixtures")
        for name in ("ssl_keras", paths.PACKAGE_DIR.name):
            shutil.copytree(root / name, sources / name, ignore=ignore)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(root / name, sources / name)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", "--wheel-dir", str(wheels_dir), str(sources)],
            capture_output=True, text=True,
        )
        wheels = list(wheels_dir.glob("ssl_keras-*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise RuntimeError(f"building the wheel failed:\n{result.stdout}\n{result.stderr}")
        target = out / wheels[0].name
        shutil.copy2(wheels[0], target)
    return target


def generate(name: str, source: Path, out: Path, data_files: list[Path] = (),
             install_url: str | None = None) -> Path:
    """Runs nbgrader generate_assignment on `source` (its install cell pointing at
    `install_url`, when given); returns OUT/<name>/<name>.ipynb."""
    nbgrader_environment()
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="ssl-keras-release-") as course:
        course = Path(course)
        folder = course / "source" / name
        folder.mkdir(parents=True)
        if install_url:
            notebook = set_install_url(json.loads(source.read_text()), install_url)
            (folder / f"{name}.ipynb").write_text(json.dumps(notebook, indent=1) + "\n")
        else:
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


def grading_copy(name: str, source: Path, out: Path, install_url: str | None = None) -> Path:
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
    if install_url:
        set_install_url(notebook, install_url)
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
    install_url: str | None = None,
    wheel: bool = False,
) -> list[Path]:
    """Releases each assignment to OUT/<name>/ and raises LeakError if anything leaked.

    With `for_grading`, also writes the grading copy (see `grading_copy`). `install_url`:
    where the notebooks' install cell installs the course package from (a `git+https://`
    URL or a wheel's URL; without it the cell asks students to ask their instructor).
    `wheel`: also builds the package's wheel into OUT/ and each OUT/<name>/; an
    `install_url` ending in "/" (where OUT/ will be served) then gets the wheel's file name
    appended, and without `install_url` the cell installs the wheel beside the notebook.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    wheel_path = build_wheel(out) if wheel else None
    if wheel_path is not None:
        written.append(wheel_path)
        if install_url is None:
            install_url = wheel_path.name
        elif install_url.endswith("/"):
            install_url += wheel_path.name
    elif install_url is None:
        logging.getLogger(__name__).warning(
            "no --install-url: the released notebooks cannot install the course package "
            "(fine where it is installed already, e.g. a course JupyterHub)")
    for name in names:
        source = paths.source_notebook(name, assignments_dir)
        released = generate(name, source, out, paths.data_files(source.parent), install_url)
        leaks = find_leaks(source, released)
        if leaks:
            raise LeakError(f"{released} leaks: " + "; ".join(leaks))
        written.append(released)
        if wheel_path is not None:
            written.append(Path(shutil.copy2(wheel_path, released.parent / wheel_path.name)))
        if for_grading:
            written.append(grading_copy(name, source, out, install_url))
    return written
