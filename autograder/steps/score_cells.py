"""Scores each autograded cell from the executed notebook, outside the kernel.

nbgrader's rule, except that stderr never costs points: a test cell earns its points iff it
ran without an error AND every hidden case of that cell (references/<assignment>.json,
"cell") was recorded in its output and matches the reference (same shape, finite,
`numpy.allclose` with the case's rtol/atol). Written answers are pending manual grading.
"""

from __future__ import annotations

import numpy as np

from .. import notebook as nb
from ..config import CellResult
from .base import Step


class ScoreCells(Step):
    phase = "score"

    def run(self, submission, assignment, config):
        for cell in assignment.source.autograded_cells():
            grade_id = nb.grade_id(cell)
            submission.cells[grade_id] = CellResult(grade_id, nb.points(cell))
        for cell in assignment.source.manual_cells():
            grade_id = nb.grade_id(cell)
            submission.cells[grade_id] = CellResult(
                grade_id, nb.points(cell), manual=True, status="pending manual grading",
                messages=["graded by hand by the course staff"],
            )
        autograded = [result for result in submission.cells.values() if not result.manual]
        if submission.failure is not None:
            for result in autograded:
                result.status = "not graded"
                result.messages.append(submission.failure)
            return
        executed = submission.executed
        stop = stop_message(submission, config)
        if executed is None:
            for result in autograded:
                result.messages.append(stop or "the notebook could not be run by the grader")
            return
        timeouts = {
            event.get("cell")
            for event in submission.execution.get("events", [])
            if event.get("kind") == "cell_timeout"
        }
        positions = {nb.grade_id(cell): index for index, cell in enumerate(executed.cells)}
        for result in autograded:
            index = positions.get(result.grade_id)
            cell = executed.cells[index] if index is not None else None
            why = submission.restored.get(result.grade_id)
            if why:
                result.messages.append(
                    f"this test cell was {why} in your notebook: it was restored from the "
                    "assignment and run as given"
                )
            problems = self._problems(cell, index, timeouts, stop, assignment, config)
            if problems:
                result.status = "not run" if problems[0].startswith("this cell did not run") else (
                    "failed"
                )
                result.messages += problems
            else:
                result.status = "passed"
                result.points = result.max_points

    def _problems(self, cell, index, timeouts, stop, assignment, config) -> list[str]:
        if cell is None:
            return ["this cell did not run: it is missing from the graded notebook"]
        if index in timeouts:
            return [
                f"your code ran longer than the {config.cell_timeout:.0f} s limit for one cell "
                "(an infinite loop?)"
            ]
        state = cell.get("metadata", {}).get(nb.GRADER_METADATA)
        if state is None:
            return [f"this cell did not run: {stop or 'the notebook stopped before it'}"]
        errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
        if state.get("status") == "error" or errors:
            ename = (errors[0].get("ename") if errors else None) or state.get("ename") or "Error"
            evalue = (errors[0].get("evalue") if errors else None) or state.get("evalue") or ""
            return [error_message(ename, evalue)]
        records, problems = nb.parse_records(nb.stdout_text(cell))
        grade_id = nb.grade_id(cell)
        for case, reference in sorted(assignment.references.items()):
            if reference.get("cell") == grade_id:
                message = compare(case, reference, records.get(case))
                if message:
                    problems.append(message)
        return problems


def error_message(ename: str, evalue: str) -> str:
    evalue = str(evalue).strip()
    if len(evalue) > 600:
        evalue = evalue[:600] + " ..."
    if ename == "SystemExit":
        return "your code called sys.exit() (or raised SystemExit) while this cell ran"
    if ename == "KeyboardInterrupt":
        return "this cell was interrupted (it ran too long)"
    if ename == "AssertionError":
        return f"a check failed: {evalue}" if evalue else "a check failed"
    if ename == "NameError":
        return f"{evalue} (did the cell that defines it run without errors?)"
    return f"this cell raised {ename}: {evalue}" if evalue else f"this cell raised {ename}"


def compare(case: str, reference: dict, record: dict | None) -> str | None:
    """None if the recorded value matches the reference; otherwise why not, in words."""
    task = reference.get("task") or "your function"
    what = reference.get("description") or case
    if record is None:
        return f"{task} was not run on a hidden case ({what}): its result was not recorded"
    if "error" in record:
        return f"{task} raised {record['error']} on a hidden case ({what})"
    try:
        actual = np.asarray(record["value"], dtype="float64")
        expected = np.asarray(reference["value"], dtype="float64")
    except (KeyError, TypeError, ValueError):
        return f"{task} returned a value that is not numbers on a hidden case ({what})"
    if list(actual.shape) != list(expected.shape):
        return (
            f"{task} returned shape {tuple(actual.shape)} on a hidden case where the reference "
            f"has shape {tuple(expected.shape)} ({what})"
        )
    if not np.all(np.isfinite(actual)):
        return f"{task} gave NaN or infinity on a hidden case ({what})"
    rtol, atol = reference.get("rtol", 1e-4), reference.get("atol", 1e-5)
    if np.allclose(actual, expected, rtol=rtol, atol=atol):
        return None
    if actual.size == 1:
        return (
            f"{task} gave {actual.item():.4g} on a hidden case where the reference gives "
            f"{expected.item():.4g} ({what})"
        )
    difference = float(np.max(np.abs(actual - expected)))
    return f"{task} differs from the reference by up to {difference:.3g} on a hidden case ({what})"


def stop_message(submission, config) -> str | None:
    """Why the run stopped early, in words, or None if it ran to the end."""
    info = submission.execution
    events = info.get("events", [])
    executed = submission.executed
    for event in events:
        kind = event.get("kind")
        where = cell_label(executed, event.get("cell"))
        if kind == "kernel_died" and info.get("memory_killed"):
            return (
                f"memory use above {config.memory_mb:.0f} MB{where}: the notebook's process "
                "was stopped (a very large array, or a list that keeps growing?)"
            )
        if kind == "kernel_died":
            return (
                f"the notebook's process was stopped by your code (os._exit / sys.exit or a "
                f"crash){where}"
            )
        if kind == "kernel_stuck":
            return (
                f"your code ran longer than the {config.cell_timeout:.0f} s limit for one cell"
                f"{where} and did not stop when interrupted: the cells after it did not run"
            )
        if kind == "notebook_timeout":
            return f"the whole notebook ran longer than the {config.timeout:.0f} s limit{where}"
        if kind == "sandbox_failed":
            return "the grader could not isolate the notebook (--sandbox require): it did not run"
        if kind == "kernel_start_failed":
            return "the grader could not start a Python kernel (not your fault: ask for a regrade)"
        if kind == "worker_error":
            return "the grader failed while running the notebook (not your fault: ask to regrade)"
    return None


def cell_name(executed, index) -> str:
    """'cell 7 ("def nt_xent(...")': the cell's number in the graded notebook, first line."""
    if executed is None or index is None or index >= len(executed.cells):
        return "a cell"
    first = next((line for line in executed.cells[index].source.splitlines() if line.strip()), "")
    first = first.strip()
    if len(first) > 40:
        first = first[:40] + "..."
    return f"cell {index + 1}" + (f' ("{first}")' if first else "")


def cell_label(executed, index) -> str:
    if executed is None or index is None or index >= len(executed.cells):
        return ""
    return " in " + cell_name(executed, index)
