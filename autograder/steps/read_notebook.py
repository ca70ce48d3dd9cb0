"""Reads the submitted bytes as a notebook; anything else scores 0 with a clear message.

What a notebook editor may leave behind is repaired, not punished (`repair_notebook`):
nbformat 3 (`worksheets`), cells without `metadata`, `id`, `outputs` or `execution_count`,
duplicate ids, `source` as a list of lines, unknown keys, junk attachments or outputs,
invalid metadata. Only input that is not JSON, or is JSON without a notebook's shape, fails.
"""

from __future__ import annotations

import copy
import json
import re

import nbformat
from nbformat.validator import normalize

from .base import Step

CELL_KEYS = {
    "code": ("id", "cell_type", "metadata", "source", "outputs", "execution_count"),
    "markdown": ("id", "cell_type", "metadata", "source", "attachments"),
    "raw": ("id", "cell_type", "metadata", "source", "attachments"),
}
_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class ReadNotebook(Step):
    """Parses the submission (kept in memory: the submitted file is never written).

    Options:
        max_bytes: larger files are refused (a notebook with huge outputs or a zip bomb).
    """

    max_bytes = 50 * 1024 * 1024

    def run(self, submission, assignment, config):
        data = submission.data
        if not data.strip():
            submission.fail("The submitted file is empty: there is no notebook to grade.")
            return
        if len(data) > self.max_bytes:
            submission.fail(
                f"The submitted file is {len(data) / 2**20:.0f} MB, more than the "
                f"{self.max_bytes / 2**20:.0f} MB a notebook may have (clear its outputs)."
            )
            return
        try:
            content = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            submission.fail(
                "The submitted file is not a readable notebook (it is not valid JSON; was it "
                "saved completely, or renamed from another file type?)."
            )
            return
        except RecursionError:
            submission.fail(_TOO_DEEP)
            return
        cells = notebook_cells(content)
        if cells is None:
            submission.fail("The submitted file is JSON but not a Jupyter notebook (no cells).")
            return
        try:
            notebook = nbformat.from_dict(repair_notebook(content))
            nbformat.validate(notebook)
        except RecursionError:
            submission.fail(_TOO_DEEP)
            return
        except Exception as error:  # noqa: BLE001 (any parse failure is the submission's)
            submission.fail(f"The submitted notebook could not be read ({type(error).__name__}).")
            return
        left_out = len(cells) - len(notebook.cells)
        if left_out:
            submission.messages.append(
                f"{left_out} cell(s) of the submitted notebook were not code, markdown or raw "
                "cells and were left out."
            )
        if not notebook.cells:
            submission.messages.append(
                "The submitted notebook has no cells: the assignment's cells were restored, "
                "without your answers."
            )
        submission.notebook = notebook


_TOO_DEEP = "The submitted file is not a readable notebook (its JSON is nested too deeply)."


def notebook_cells(content) -> list | None:
    """The cells of a notebook's JSON (v4 `cells`, or every v3 worksheet's), or None if
    `content` does not have a notebook's shape."""
    if not isinstance(content, dict):
        return None
    if isinstance(content.get("cells"), list):
        return content["cells"]
    worksheets = content.get("worksheets")
    if isinstance(worksheets, list):  # nbformat 3
        return [
            _upgrade_v3_cell(cell)
            for worksheet in worksheets if isinstance(worksheet, dict)
            and isinstance(worksheet.get("cells"), list)
            for cell in worksheet["cells"]
        ]
    return None


def repair_notebook(content: dict) -> dict:
    """A valid nbformat 4.5 notebook made from `content`, a v3 or v4 notebook's JSON.

    Cells keep their type, source and metadata (invalid metadata keys are dropped, as
    nbformat's `normalize(strip_invalid_metadata=True)` does); outputs and execution counts
    are dropped (the grader clears them anyway); cells that are not code, markdown or raw
    are left out; missing, invalid or duplicate ids get new ones (`cell-<index>`). `content`
    is not modified.

    Raises:
        ValueError: if `content` has no cells (neither v4 `cells` nor v3 `worksheets`).
    """
    cells = notebook_cells(content)
    if cells is None:
        raise ValueError("Not a notebook: no `cells` (nor nbformat 3 `worksheets`).")
    cells = [_repair_cell(cell) for cell in cells]
    cells = [cell for cell in cells if cell is not None]
    _repair_ids(cells)
    metadata = content.get("metadata")
    notebook = {
        "cells": cells,
        "metadata": metadata if isinstance(metadata, dict) else {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    _, notebook = normalize(notebook, 4, 5, strip_invalid_metadata=True)  # a deep copy
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError:  # metadata normalize could not mend: keep nbgrader's
        notebook["metadata"] = {}
        for cell in notebook["cells"]:
            nbgrader = cell["metadata"].get("nbgrader")
            cell["metadata"] = {"nbgrader": nbgrader} if isinstance(nbgrader, dict) else {}
    return notebook


def _upgrade_v3_cell(cell):
    """A v4-shaped cell from an nbformat 3 one (code in `input`; heading and html cells)."""
    if not isinstance(cell, dict):
        return cell
    cell = dict(cell)
    if cell.get("cell_type") == "code":
        cell["source"] = cell.pop("input", "")
    elif cell.get("cell_type") == "heading":
        level = cell.get("level")
        level = level if isinstance(level, int) and 1 <= level <= 6 else 1
        text = " ".join(_text(cell.get("source")).splitlines())
        cell = {"cell_type": "markdown", "metadata": cell.get("metadata"),
                "source": f"{'#' * level} {text}"}
    elif cell.get("cell_type") == "html":
        cell["cell_type"] = "markdown"
    return cell


def _repair_cell(cell) -> dict | None:
    if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_KEYS:
        return None
    kind = cell["cell_type"]
    metadata = cell.get("metadata")
    repaired = {
        "id": cell.get("id"),
        "cell_type": kind,
        "metadata": copy.deepcopy(metadata) if isinstance(metadata, dict) else {},
        "source": _text(cell.get("source")),
    }
    if kind == "code":
        repaired["outputs"] = []
        repaired["execution_count"] = None
    elif _valid_attachments(cell.get("attachments")):
        repaired["attachments"] = copy.deepcopy(cell["attachments"])
    return repaired


def _text(source) -> str:
    """A cell's source as one string (files store it as a list of lines)."""
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        return "".join(line if isinstance(line, str) else str(line) for line in source)
    return "" if source is None else str(source)


def _valid_attachments(attachments) -> bool:
    """`{filename: {mime type: data (a string or a list of strings)}}`."""
    return isinstance(attachments, dict) and all(
        isinstance(name, str) and isinstance(bundle, dict) and all(
            isinstance(data, str)
            or (isinstance(data, list) and all(isinstance(line, str) for line in data))
            for data in bundle.values()
        )
        for name, bundle in attachments.items()
    )


def _repair_ids(cells: list[dict]) -> None:
    """Every cell gets a valid id, unique in the notebook; valid first uses are kept."""
    valid = [isinstance(cell["id"], str) and _CELL_ID.fullmatch(cell["id"]) for cell in cells]
    taken = {cell["id"] for cell, ok in zip(cells, valid) if ok}
    seen = set()
    for index, (cell, ok) in enumerate(zip(cells, valid)):
        if ok and cell["id"] not in seen:
            seen.add(cell["id"])
            continue
        new, number = f"cell-{index}", 0
        while new in taken:
            number += 1
            new = f"cell-{index}-{number}"
        cell["id"] = new
        taken.add(new)
        seen.add(new)
