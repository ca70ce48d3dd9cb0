"""Reads the submitted bytes as a notebook; anything else scores 0 with a clear message."""

from __future__ import annotations

import json

import nbformat

from .base import Step


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
            text = data.decode("utf-8")
            content = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            submission.fail(
                "The submitted file is not a readable notebook (it is not valid JSON; was it "
                "saved completely, or renamed from another file type?)."
            )
            return
        if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
            submission.fail("The submitted file is JSON but not a Jupyter notebook (no cells).")
            return
        try:
            notebook = nbformat.reads(text, as_version=4)
            cells = []
            for cell in notebook.cells:
                if cell.get("cell_type") not in ("code", "markdown", "raw"):
                    continue
                if not isinstance(cell.get("metadata"), dict):
                    cell["metadata"] = nbformat.NotebookNode()
                if not isinstance(cell.get("source"), str):
                    cell["source"] = str(cell.get("source", ""))
                cells.append(cell)
            notebook.cells = cells
        except Exception as error:  # noqa: BLE001 (any parse failure is the submission's)
            submission.fail(f"The submitted notebook could not be read ({type(error).__name__}).")
            return
        if not notebook.cells:
            submission.messages.append(
                "The submitted notebook has no cells: the assignment's cells were restored, "
                "without your answers."
            )
        submission.notebook = notebook
