"""Scores each autograded cell from the judge's answers, never from the kernel's output.

A test cell earns its points iff every case of its task (visible and hidden) matches the
expected value by `checks._core.compare` and the task's function called nothing forbidden
(see `steps/judge.py`). What the student's kernel printed, raised or timed out on does not
count. Written answers are pending manual grading.
"""

from __future__ import annotations

from .. import notebook as nb
from ..config import CellResult
from ..judging import score_task
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
                answer_digest=nb.answer_digest(submission.notebook, grade_id),
            )
        autograded = [result for result in submission.cells.values() if not result.manual]
        if submission.failure is not None:
            for result in autograded:
                result.status = "not graded"
                result.messages.append(submission.failure)
            return
        spec = assignment.judge
        judged = submission.judged
        for result in autograded:
            why = submission.restored.get(result.grade_id)
            if why:
                result.messages.append(
                    f"this test cell was {why} in your notebook: it was restored from the "
                    "assignment and graded as given"
                )
            task = spec.tasks.get(result.grade_id) if spec is not None else None
            if task is None:  # a test cell with no task: points for running without error
                problems = self._ran_cleanly(submission, result.grade_id, config)
            elif judged is None:
                problems = ["the grader could not judge this notebook (not your fault: ask "
                            "for a regrade)"]
            else:
                problems = score_task(spec, task, judged.get(task))
                if judged.get(task) is None:
                    stopped = submission.judging.get("stopped")
                    problems = [f"{task} could not be judged: the process judging your "
                                f"answers stopped at {stopped or 'an earlier task'} (too much "
                                "memory, or os._exit in your code?)"]
            if problems:
                result.status = "failed"
                result.messages += problems
            else:
                result.status = "passed"
                result.points = result.max_points

    def _ran_cleanly(self, submission, grade_id, config) -> list[str]:
        """Test cells without judged cases: points if the cell ran without an error."""
        executed = submission.executed
        if executed is None:
            return [stop_message(submission, config) or "the notebook could not be run"]
        for cell in executed.cells:
            if nb.grade_id(cell) != grade_id:
                continue
            state = cell.get("metadata", {}).get(nb.GRADER_METADATA)
            if state is None:
                return ["this cell did not run: "
                        f"{stop_message(submission, config) or 'the notebook stopped before it'}"]
            if state.get("status") == "error":
                return [error_message(state.get("ename") or "Error", state.get("evalue") or "")]
            return []
        return ["this cell did not run: it is missing from the graded notebook"]


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
