"""Every notebook states its total in its title, and the total is what the grader counts."""

import json
import re
from pathlib import Path

import pytest
from ssl_keras_autograder import paths

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def _points(notebook: dict) -> tuple[float, float]:
    """(autograded, written) points from the nbgrader metadata, as the grader reads them."""
    automatic = written = 0.0
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("solution") or meta.get("task"):
                written += meta.get("points", 0)
            else:
                automatic += meta.get("points", 0)
    return automatic, written


@pytest.mark.parametrize("name", paths.ASSIGNMENTS)
def test_the_stated_total_is_the_graded_total(name):
    notebook = json.loads((ASSIGNMENTS / name / f"{name}.ipynb").read_text())
    introduction = "".join(notebook["cells"][0]["source"])
    automatic, written = _points(notebook)
    title = re.search(r"\((\d+) P\)$", introduction.splitlines()[0].strip())
    split = re.search(r"Total: (\d+) P for code, (\d+) P for written", introduction)
    assert title or split, f"{name}: the introduction states no total"
    if title:
        assert float(title.group(1)) == automatic + written, name
    if split:
        assert (float(split.group(1)), float(split.group(2))) == (automatic, written), name
    assert re.search(r"graded", introduction, re.IGNORECASE), f"{name}: no word on grading"
