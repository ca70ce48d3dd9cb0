"""Builds nbgrader source notebooks from Python, so that their cells stay reviewable.

Each `assignments/<name>/make_notebook.py` lists its cells with these functions and
calls `write_notebook`; the committed `<name>.ipynb` is its output
(`python assignments/<name>/make_notebook.py`; `tests/assignments` checks they agree).

Cell kinds (nbgrader schema 3 metadata):

- `markdown(text)`, `code(source)`: ordinary cells the student may edit.
- `setup(grade_id, imports)`: the first code cell, locked: backend, quiet logs, the fast
  setting `FAST` (environment variable `SSL_KERAS_FAST=1`), the seed and the checks module.
- `locked(source, grade_id)`: read-only code the autograder restores if edited or deleted.
- `solution(source, grade_id)`: the student's implementation, with the reference solution
  between `### BEGIN SOLUTION` and `### END SOLUTION`.
- `tests(source, grade_id, points)`: an autograded test cell; hidden parts go between
  `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`.
- `written_answer(grade_id, points, solution_text)`: a manually graded answer cell.
"""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _clean(source: str) -> str:
    return dedent(source).strip("\n")


def _metadata(grade_id, *, grade=False, solution=False, locked=False, points=None, task=False):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _cell(cell_type: str, source: str, metadata: dict | None = None) -> dict:
    cell = {"cell_type": cell_type, "metadata": metadata or {}, "source": _clean(source)}
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def markdown(text: str) -> dict:
    return _cell("markdown", text)


def code(source: str) -> dict:
    return _cell("code", source)


def setup(grade_id: str, imports: str = "") -> dict:
    source = (
        '''
        # Setup (read-only). Pick the Keras backend before running this cell, e.g.
        # `KERAS_BACKEND=jax jupyter lab`; jax is the default. SSL_KERAS_FAST=1 gives the
        # fast setting (tiny data and few epochs) that CI and the autograder use.
        import os

        os.environ.setdefault("KERAS_BACKEND", "jax")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import logging
        import warnings

        warnings.filterwarnings("ignore")
        logging.getLogger("absl").setLevel(logging.ERROR)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        FAST = os.environ.get("SSL_KERAS_FAST", "0") == "1"

        import keras
        import numpy as np

        keras.utils.set_random_seed(0)
        '''
    )
    return _cell(
        "code", _clean(source) + ("\n" + _clean(imports) if imports else ""),
        _metadata(grade_id, locked=True),
    )


def locked(source: str, grade_id: str) -> dict:
    return _cell("code", source, _metadata(grade_id, locked=True))


def solution(source: str, grade_id: str) -> dict:
    text = _clean(source)
    if "### BEGIN SOLUTION" not in text or "### END SOLUTION" not in text:
        raise ValueError(f"solution cell {grade_id!r} needs ### BEGIN/END SOLUTION markers")
    return _cell("code", text, _metadata(grade_id, solution=True))


def tests(source: str, grade_id: str, points: float) -> dict:
    return _cell("code", source, _metadata(grade_id, grade=True, locked=True, points=points))


def written_answer(grade_id: str, points: float, solution_text: str) -> dict:
    """A markdown answer cell, graded by hand; the model answer is removed on release."""
    text = "### BEGIN SOLUTION\n" + _clean(solution_text) + "\n### END SOLUTION"
    return _cell(
        "markdown", text, _metadata(grade_id, grade=True, solution=True, points=points)
    )


def write_notebook(cells: list[dict], path: str | Path) -> Path:
    """Writes an nbformat 4.5 notebook with unique grade_ids and stable cell ids."""
    seen = set()
    for index, cell in enumerate(cells):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            if grade_id in seen:
                raise ValueError(f"duplicate grade_id {grade_id!r}")
            seen.add(grade_id)
        cell["id"] = grade_id or f"cell-{index:03d}"
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = Path(path)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return path
