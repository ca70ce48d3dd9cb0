"""Reading nbgrader source notebooks: cell kinds, hidden tests, solution regions, records.

The source notebook (`assignments/<name>/<name>.ipynb`, solutions and hidden tests in place)
is the single authority on which cells exist, which are graded and for how many points; a
submission's own metadata is never trusted for that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)

# Where the grader keeps its own notes in an executed notebook's cell metadata.
GRADER_METADATA = "ssl_keras_grader"


def nbgrader_metadata(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell) -> str | None:
    value = nbgrader_metadata(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_autograded_test(cell) -> bool:
    """A code cell graded by running it (nbgrader: grade and not solution)."""
    meta = nbgrader_metadata(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def answer_digest(notebook, question: str) -> str:
    """A digest of the written answer `question` as the manual sheets show it: the answer
    cell's kind, source and pasted images, and the source of the code cell right after it
    (whose plots the sheet shows). A notebook without the cell, or none, has a digest too,
    so that an answer added later reads as changed."""
    cells = list(notebook.cells) if notebook is not None else None
    index = next((i for i, c in enumerate(cells or []) if grade_id(c) == question), None)
    if index is None:
        shown = ["no notebook" if cells is None else "no answer cell"]
    else:
        cell = cells[index]
        shown = [cell.get("cell_type"), cell.get("source", ""), cell.get("attachments") or {}]
        after = cells[index + 1] if index + 1 < len(cells) else None
        if after is not None and after.get("cell_type") == "code" and not is_autograded_test(
                after):
            shown.append(after.get("source", ""))
    text = json.dumps(shown, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_manual(cell) -> bool:
    """A cell graded by hand: a graded answer cell (solution and grade) or a task cell."""
    meta = nbgrader_metadata(cell)
    return bool(meta.get("grade") and meta.get("solution")) or bool(meta.get("task"))


def is_locked(cell) -> bool:
    """A read-only cell the grader restores from the source (tests and locked code)."""
    meta = nbgrader_metadata(cell)
    return bool(meta.get("locked")) or is_autograded_test(cell)


def is_solution(cell) -> bool:
    return bool(nbgrader_metadata(cell).get("solution"))


def points(cell) -> float:
    try:
        return float(nbgrader_metadata(cell).get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def strip_region(source: str, begin: str, end: str, replacement: list[str] | None = None) -> str:
    """Removes every `begin`...`end` region (markers included) from `source`."""
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
            if replacement:
                indent = line[: len(line) - len(line.lstrip())]
                lines.extend(indent + text for text in replacement)
            continue
        if end in line:
            inside = False
            continue
        if not inside:
            lines.append(line)
    return "\n".join(lines)


def strip_hidden_tests(source: str) -> str:
    return strip_region(source, BEGIN_HIDDEN, END_HIDDEN).rstrip()


def region_lines(source: str, begin: str, end: str) -> list[str]:
    """The lines strictly inside `begin`...`end` regions."""
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
            continue
        if end in line:
            inside = False
            continue
        if inside:
            lines.append(line)
    return lines


def without_solutions(cell) -> str:
    """The cell's source with solution regions replaced by nbgrader's stubs."""
    source = cell.get("source", "")
    if cell.get("cell_type") == "code":
        return strip_region(
            source,
            BEGIN_SOLUTION,
            END_SOLUTION,
            ["# YOUR CODE HERE", "raise NotImplementedError()"],
        )
    if is_solution(cell) and BEGIN_SOLUTION in source:
        return strip_region(source, BEGIN_SOLUTION, END_SOLUTION, ["YOUR ANSWER HERE"])
    return source


def student_version(cell) -> str:
    """What a released notebook shows for a source cell (as nbgrader's release writes it)."""
    return strip_hidden_tests(without_solutions(cell))


def normalized(source: str) -> str:
    """Source compared line by line, ignoring trailing blanks and blank lines at the ends."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


@dataclasses.dataclass(frozen=True)
class SourceNotebook:
    """The parsed source notebook of one assignment."""

    name: str
    path: Path
    notebook: nbformat.NotebookNode

    @classmethod
    def load(cls, name: str, path: str | Path) -> SourceNotebook:
        path = Path(path)
        return cls(name, path, nbformat.read(path, as_version=4))

    @property
    def cells(self) -> list:
        return list(self.notebook.cells)

    def tracked_cells(self) -> list:
        """Cells with a grade_id (the ones nbgrader tracks), in source order."""
        return [cell for cell in self.notebook.cells if grade_id(cell)]

    def autograded_cells(self) -> list:
        return [cell for cell in self.notebook.cells if grade_id(cell) and is_autograded_test(cell)]

    def manual_cells(self) -> list:
        return [cell for cell in self.notebook.cells if grade_id(cell) and is_manual(cell)]

    def hidden_test_lines(self) -> list[str]:
        lines = []
        for cell in self.notebook.cells:
            lines += region_lines(cell.source, BEGIN_HIDDEN, END_HIDDEN)
        return [line.strip() for line in lines if line.strip()]

    def solution_lines(self) -> list[str]:
        lines = []
        for cell in self.notebook.cells:
            lines += region_lines(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        return [line.strip() for line in lines if line.strip()]
