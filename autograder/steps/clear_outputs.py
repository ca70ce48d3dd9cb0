"""nbgrader's ClearOutput and DeduplicateIds: outputs and repeated grade_ids go."""

from __future__ import annotations

from .base import Step


class ClearOutputs(Step):
    """Clears every output (a submission's own outputs are never scored) and keeps only one
    cell per grade_id (nbgrader keeps the last one; RestoreCells then overwrites it)."""

    deduplicate_ids = True

    def run(self, submission, assignment, config):
        notebook = submission.notebook
        if notebook is None:
            return
        for cell in notebook.cells:
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
            cell.get("metadata", {}).pop("collapsed", None)
            cell.get("metadata", {}).pop("scrolled", None)
        if not self.deduplicate_ids:
            return
        try:
            from nbgrader.preprocessors import DeduplicateIds

            submission.notebook, _ = DeduplicateIds().preprocess(notebook, {})
        except Exception:  # noqa: BLE001 (odd metadata: keep the first cell per grade_id)
            seen = set()
            for cell in notebook.cells:
                meta = cell.get("metadata", {}).get("nbgrader")
                grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
                if grade_id in seen or (meta is not None and not isinstance(grade_id, str)):
                    cell["metadata"].pop("nbgrader", None)
                seen.add(grade_id)
