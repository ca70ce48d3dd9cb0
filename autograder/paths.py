"""Where the grader finds assignments, checks modules and reference values."""

from __future__ import annotations

import importlib
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The root package's import name: `autograder` from a clone, `ssl_keras_autograder` installed.
PACKAGE = __name__.rpartition(".")[0]
REPOSITORY_DIR = PACKAGE_DIR.parent
ASSIGNMENTS_DIR = REPOSITORY_DIR / "assignments"
REFERENCES_DIR = PACKAGE_DIR / "references"
ASSIGNMENTS = (
    "temperature",
    "contrastive_loss",
    "simclr",
    "pretext_tasks",
    "clip_zero_shot",
    "foundation_models",
    "ablations",
)


def source_notebook(name: str, assignments_dir: str | Path | None = None) -> Path:
    """The nbgrader source notebook of an assignment (solutions and hidden tests in place)."""
    folder = Path(assignments_dir or ASSIGNMENTS_DIR) / name
    path = folder / f"{name}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(
            f"No source notebook for assignment {name!r}: expected {path}. Run the grader "
            "from a clone of the repository or pass the assignments folder."
        )
    return path


def available_assignments(assignments_dir: str | Path | None = None) -> list[str]:
    folder = Path(assignments_dir or ASSIGNMENTS_DIR)
    return [name for name in ASSIGNMENTS if (folder / name / f"{name}.ipynb").is_file()]


def data_files(folder: str | Path) -> list[Path]:
    """Files a notebook needs beside it (everything but notebooks and the build script)."""
    folder = Path(folder)
    skipped = {"make_notebook.py", "__pycache__", ".ipynb_checkpoints"}
    return sorted(
        path
        for path in folder.iterdir()
        if path.name not in skipped and path.suffix != ".ipynb" and not path.name.startswith(".")
    )


def checks_module(name: str):
    """`checks/<name>.py`, imported as part of this package."""
    return importlib.import_module(f"{PACKAGE}.checks.{name}")


def references_path(name: str, references_dir: str | Path | None = None) -> Path:
    return Path(references_dir or REFERENCES_DIR) / f"{name}.json"
