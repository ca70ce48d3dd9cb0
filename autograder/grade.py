"""`python -m autograder grade`: runs the pipeline on every submission and writes the grades.

Outputs in the output folder:
- `grades.csv`: one row per student; one column per autograded cell (its points), one per
  written answer (its manual points from `manual.json`, empty while pending), then `total`
  and `max_total` (autograded points plus the written answers graded so far), then
  `manual_pending` (the points of written answers still waiting for a person: not in
  `total`), then `status`. `manual.json` (written by `manual import`) is never touched.
- `results/<student>.json`: per cell points, maximum, status and messages; notebook-level
  messages; execution details (seconds, peak kernel memory, how it stopped).
- `executed/<student>.ipynb`: the executed notebook, hidden tests included (grader-private:
  share `feedback` instead).
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
import logging
import tempfile
import traceback
from pathlib import Path

import nbformat

from . import gradebook, paths
from . import notebook as nb
from .config import Assignment, GradeConfig, Submission
from .judging import load_spec
from .notebook import SourceNotebook
from .steps import default_steps
from .steps.judge import Judge, calibrate
from .steps.score_cells import cell_label, cell_name, error_message, stop_message
from .submissions import collect_with_report

logger = logging.getLogger(__name__)
PHASES = ("prepare", "execute", "score")


def load_assignment(
    name: str,
    source: str | Path | None = None,
    assignments_dir: str | Path | None = None,
) -> Assignment:
    """The source notebook, judge spec (cases, expected values, stand-ins, forbidden
    names) and data files of `name`."""
    source_path = Path(source) if source else paths.source_notebook(name, assignments_dir)
    data = paths.data_files(source_path.parent)
    return Assignment(name, SourceNotebook.load(name, source_path), load_spec(name), data)


def _run_step(step, submission, assignment, config) -> None:
    try:
        step.run(submission, assignment, config)
    except Exception:  # noqa: BLE001 (one submission never stops the batch)
        logger.exception("step %s failed on %s", step.name, submission.student)
        submission.messages.append(
            f"the grader failed in step {step.name} (not your fault: ask for a regrade)"
        )
        submission.execution.setdefault("grader_errors", []).append(traceback.format_exc())
        submission.fail(f"the grader could not grade this notebook (step {step.name} failed)")


def grade_submissions(
    assignment: Assignment,
    submissions: list[Submission],
    out: str | Path,
    config: GradeConfig | None = None,
    steps=None,
) -> list[dict]:
    """Grades `submissions` and writes grades.csv, results/ and executed/ under `out`."""
    config = copy.copy(config or GradeConfig())
    steps = default_steps() if steps is None else steps
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # hidden from every kernel: the grades and the submissions (when sandboxed)
    config.hidden_paths = [*config.hidden_paths, out, *{s.source for s in submissions if s.source}]
    with tempfile.TemporaryDirectory(prefix="ssl-keras-grading-") as work_root:
        config.work_root = work_root
        # calibrated on the solutions when the source holds them (a grading copy does not:
        # each task then gets the default limit)
        if assignment.judge is not None and not config.judge_limits and any(
            isinstance(step, Judge) for step in steps
        ) and assignment.source.solution_lines():
            config.judge_limits = calibrate(assignment, config)
            logger.info("judge time limits from the solutions: %s", config.judge_limits)
        _run_phases(steps, assignment, submissions, config)
    return write_outputs(assignment, submissions, out, config)


def _run_phases(steps, assignment, submissions, config) -> None:
    for phase in PHASES:
        phase_steps = [step for step in steps if step.phase == phase]
        if not phase_steps:
            continue

        def run_all(submission, phase_steps=phase_steps):
            for step in phase_steps:
                _run_step(step, submission, assignment, config)

        if phase == "execute" and config.jobs > 1:
            with concurrent.futures.ThreadPoolExecutor(max_workers=config.jobs) as pool:
                list(pool.map(run_all, submissions))
        else:
            for submission in submissions:
                run_all(submission)


def grade_assignment(
    assignment: str,
    submissions: str | Path,
    out: str | Path,
    config: GradeConfig | None = None,
    source: str | Path | None = None,
    student: str | None = None,
) -> list[dict]:
    """Grades a folder, zip or notebook of submissions of `assignment`; see the module doc."""
    loaded = load_assignment(assignment, source=source)
    collected, report = collect_with_report(submissions, assignment, student)
    Path(out).mkdir(parents=True, exist_ok=True)
    # everything in the submissions that was not graded, and why: nothing is dropped silently
    (Path(out) / "collection.json").write_text(json.dumps(report, indent=1) + "\n")
    return grade_submissions(loaded, collected, out, config)


def result_json(assignment: Assignment, submission: Submission, config: GradeConfig) -> dict:
    cells = [result.to_json() for result in submission.cells.values()]
    autograded = [cell for cell in cells if cell["kind"] == "autograded"]
    messages = list(submission.messages)
    if submission.failure:
        messages.insert(0, submission.failure)
    executed = submission.executed
    status = "not graded" if submission.failure else "graded"
    for event in submission.execution.get("events", []):
        if event.get("kind") == "locked_cell_timeout":
            index = event.get("cell")
            messages.append(
                f"a read-only cell of the assignment{cell_label(executed, index)} ran longer "
                f"than its {config.locked_cell_timeout:.0f} s limit on the grading machine: "
                "not your fault and not counted against you (your points come from your "
                "answers); the plots after it may be missing until your instructor regrades"
            )
            status = "graded, locked cell timed out (regrade for the plots)"
        if event.get("kind") == "cell_timeout":
            index = event.get("cell")
            cell = executed.cells[index] if executed is not None and index is not None else None
            if cell is not None and not nb.is_autograded_test(cell):
                messages.append(
                    f"your code ran longer than the {config.cell_timeout:.0f} s limit for one "
                    f"cell{cell_label(executed, index)} (an infinite loop?): it was interrupted"
                )
    if executed is not None:
        for index, cell in enumerate(executed.cells):
            if cell.get("cell_type") != "code" or nb.is_autograded_test(cell):
                continue
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    problem = error_message(output.get("ename", "Error"), output.get("evalue", ""))
                    messages.append(f"{cell_name(executed, index)}: {problem}")

    if submission.execution.get("result_too_large"):
        messages.append(
            f"the executed notebook was larger than {config.max_result_mb:.0f} MB even after "
            "cutting long outputs: it was not kept (your points come from your answers)"
        )
    stop = stop_message(submission, config) if submission.failure is None else None
    if stop:
        messages.append(stop)
    execution = {
        key: value for key, value in submission.execution.items()
        if key not in ("log_tail", "grader_errors")
    }
    execution["judge"] = dict(submission.judging)
    return {
        "student": submission.student,
        "assignment": assignment.name,
        "submitted_file": str(submission.path),
        "sha256": submission.sha256,
        "status": status,
        "score": sum(cell["points"] for cell in autograded),
        "max_score": sum(cell["max_points"] for cell in autograded),
        "manual_pending": sum(cell["max_points"] for cell in cells if cell["kind"] == "manual"),
        "messages": messages,
        "cells": cells,
        "execution": execution,
        "settings": {
            "backend": config.backend,
            "fast": config.fast,
            "cell_timeout": config.cell_timeout,
            "timeout": config.timeout,
            "memory_mb": config.memory_mb,
        },
    }


def write_outputs(assignment, submissions, out: Path, config) -> list[dict]:
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "executed").mkdir(parents=True, exist_ok=True)
    results = []
    columns = [nb.grade_id(cell) for cell in assignment.source.autograded_cells()]
    for submission in submissions:
        result = result_json(assignment, submission, config)
        results.append(result)
        (out / "results" / f"{submission.student}.json").write_text(
            json.dumps(result, indent=1) + "\n"
        )
        if submission.executed is not None:
            nbformat.write(submission.executed, out / "executed" / f"{submission.student}.ipynb")
        log = submission.execution.get("log_tail", "") + "".join(
            submission.execution.get("grader_errors", [])
        )
        if log:
            (out / "executed" / f"{submission.student}.log").write_text(log)
    # the points of written answers entered so far (manual.json) survive a re-grade
    manual = [nb.grade_id(cell) for cell in assignment.source.manual_cells()]
    gradebook.write_csv(out / "grades.csv", gradebook.merged_results(out, results), columns, manual)
    return results
