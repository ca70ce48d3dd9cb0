"""Restores the assignment's read-only cells from the source notebook (OverwriteCells).

nbgrader 0.9.6's `OverwriteCells.add_missing_cells` re-adds deleted *grade* cells only and
looks the previous cell up among graded cells (a KeyError when it is a locked setup cell);
this step does the same job from the source notebook, for every tracked cell:

- locked and test cells (by grade_id) get the source's text, hidden tests included, and
  the source's metadata, wherever the student moved them; edited ones are reported;
- solution cells keep the student's text but get the source's metadata (so points and
  kinds cannot be edited);
- deleted tracked cells are re-inserted after the nearest earlier tracked cell that is
  present, in source order (deleted answer cells come back as the released stub);
- cells claiming a grade_id the source does not have lose their nbgrader metadata.
"""

from __future__ import annotations

import copy
import uuid

import nbformat

from .. import notebook as nb
from .base import Step


class RestoreCells(Step):
    restore_locked_cells = True
    add_missing_cells = True
    restore_solution_cells = True

    def run(self, submission, assignment, config):
        notebook = submission.notebook
        if notebook is None:
            return
        source_cells = assignment.source.tracked_cells()
        by_id = {nb.grade_id(cell): cell for cell in source_cells}
        # cells claiming unknown grade_ids become ordinary cells
        for cell in notebook.cells:
            if "nbgrader" in cell.get("metadata", {}) and nb.grade_id(cell) not in by_id:
                cell["metadata"].pop("nbgrader")
        present = {nb.grade_id(cell): index for index, cell in enumerate(notebook.cells)}
        for grade_id, source_cell in by_id.items():
            if grade_id not in present:
                continue
            cell = notebook.cells[present[grade_id]]
            if nb.is_locked(source_cell) and self.restore_locked_cells:
                released = nb.normalized(nb.student_version(source_cell))
                if nb.normalized(cell.get("source", "")) != released or (
                    cell.get("cell_type") != source_cell.cell_type
                ):
                    submission.restored[grade_id] = "edited"
                replacement = _copy_cell(source_cell)
                replacement["id"] = cell.get("id", grade_id)
                notebook.cells[present[grade_id]] = replacement
            else:
                cell["metadata"]["nbgrader"] = copy.deepcopy(source_cell.metadata["nbgrader"])
                if cell.get("cell_type") != source_cell.cell_type:
                    new = _copy_cell(source_cell)
                    new["source"] = cell.get("source", "")
                    notebook.cells[present[grade_id]] = new
        if self.add_missing_cells:
            self._insert_missing(submission, notebook, source_cells)
        _unique_ids(notebook)

    def _insert_missing(self, submission, notebook, source_cells):
        order = [nb.grade_id(cell) for cell in source_cells]
        for position, source_cell in enumerate(source_cells):
            grade_id = order[position]
            present = {nb.grade_id(cell): index for index, cell in enumerate(notebook.cells)}
            if grade_id in present:
                continue
            if nb.is_solution(source_cell) and not nb.is_locked(source_cell):
                if not self.restore_solution_cells:
                    continue
                cell = _copy_cell(source_cell)
                cell["source"] = nb.student_version(source_cell)
            else:
                cell = _copy_cell(source_cell)
            submission.restored[grade_id] = "deleted"
            before = [present[g] for g in order[:position] if g in present]
            notebook.cells.insert(max(before) + 1 if before else 0, cell)


def _copy_cell(cell):
    new = nbformat.from_dict(copy.deepcopy(dict(cell)))
    if new.get("cell_type") == "code":
        new["outputs"] = []
        new["execution_count"] = None
    return new


def _unique_ids(notebook) -> None:
    seen = set()
    for cell in notebook.cells:
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id or cell_id in seen:
            cell_id = uuid.uuid4().hex[:12]
            cell["id"] = cell_id
        seen.add(cell_id)
    notebook["nbformat"], notebook["nbformat_minor"] = 4, max(notebook.get("nbformat_minor", 5), 5)
