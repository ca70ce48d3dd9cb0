"""The grades of a grade folder: the autograder's results merged with the manual points.

`grade` writes `results/<student>.json` (autograded cells; written answers pending) and
never touches `manual.json`, where `manual import` keeps the points and comments a person
gave each written answer. Everything that reports a grade (grades.csv, the feedback pages,
every export) reads both through `merged_results`, so re-grading the code never loses a
manual point and a manual point is never counted twice.

In a merged result, a graded written answer has its points, status "graded by hand" and
the grader's comment as its message; `score` is the autograded points plus the manual
points given so far, `max_score` the autograded maximum plus the maximum of the answers
graded so far, and `manual_pending` the maximum of the answers still to grade (before any
manual grading: the autograder's numbers unchanged).

A manual entry records the digest of the answer it was given for (`answer_digest`); when
the student's answer has changed since (a resubmission, graded again), the points are kept
but flagged: the cell gets `stale: True`, the result lists the question in `manual_stale`,
and grades.csv names it in its `manual_stale` column, until the grader imports points for
the new answer.

Every CSV written here and by `manual sheets` is opened in spreadsheets: a cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's rule against
CSV injection: a student name or comment like `=HYPERLINK(...)` stays text), and reading
a sheet back removes exactly the quote added (`spreadsheet_text` / `from_spreadsheet_text`).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import logging
import os
import re
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)
MANUAL_FILE = "manual.json"
GRADED_BY_HAND = "graded by hand"
PENDING = "pending manual grading"


# a formula's first character, after any quotes: such text gets one more quote
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def spreadsheet_text(value) -> str:
    """`value` as a CSV cell that a spreadsheet shows as text and never runs as a formula."""
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def from_spreadsheet_text(text: str) -> str:
    """The text `spreadsheet_text` was given (any other text unchanged)."""
    return text[1:] if _QUOTED_FORMULA.match(text) else text


def read_results(grade_dir: str | Path) -> list[dict]:
    """The autograder's results, one per student, sorted by file name."""
    folder = Path(grade_dir) / "results"
    if not folder.is_dir():
        raise FileNotFoundError(f"{grade_dir} is not a grade folder: it has no results/")
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


def load_manual(grade_dir: str | Path) -> dict:
    """`manual.json` of a grade folder: {"grades": {student: {question: {points, comment}}}}."""
    path = Path(grade_dir) / MANUAL_FILE
    if not path.is_file():
        return {"grades": {}}
    document = json.loads(path.read_text())
    document.setdefault("grades", {})
    return document


def write_atomically(path: Path, text: str) -> None:
    """Writes `text` to `path` through a temporary file: a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def apply_manual(result: dict, entries: dict) -> dict:
    """A copy of `result` with the manual points of `entries` ({question: entry}) in it."""
    result = copy.deepcopy(result)
    manual_points = manual_max = pending = 0.0
    stale = []
    for cell in result["cells"]:
        if cell["kind"] != "manual":
            continue
        entry = entries.get(cell["grade_id"])
        if entry is None:
            pending += cell["max_points"]
            continue
        comment = entry.get("comment", "")
        cell.update(points=float(entry["points"]), status=GRADED_BY_HAND, comment=comment,
                    messages=[comment] if comment else [], stale=is_stale(entry, cell))
        if cell["stale"]:
            stale.append(cell["grade_id"])
        manual_points += cell["points"]
        manual_max += cell["max_points"]
    result["autograded_score"] = result["score"]
    result["autograded_max_score"] = result["max_score"]
    result["manual_score"] = manual_points
    result["score"] = result["score"] + manual_points
    result["max_score"] = result["max_score"] + manual_max
    result["manual_pending"] = pending
    result["manual_stale"] = stale
    return result


def is_stale(entry: dict, cell: dict) -> bool:
    """Whether manual points `entry` were given for another answer than the cell's now
    (unknown for entries or results written before answers had digests: not stale)."""
    given, now = entry.get("answer_digest"), cell.get("answer_digest")
    return given is not None and now is not None and given != now


def stale_grades(results: list[dict]) -> list[tuple[str, str, float]]:
    """(student, question, points kept) of the merged results' stale manual points."""
    return [(result["student"], cell["grade_id"], cell["points"]) for result in results
            for cell in result["cells"] if cell.get("stale")]


def merged_results(grade_dir: str | Path, results: list[dict] | None = None) -> list[dict]:
    """The results of `grade_dir` (or `results`) with the points of its manual.json."""
    results = read_results(grade_dir) if results is None else results
    grades = load_manual(grade_dir)["grades"]
    for student, entries in grades.items():
        known = {c["grade_id"] for r in results if r["student"] == student for c in r["cells"]
                 if c["kind"] == "manual"}
        for question in set(entries) - known:
            logger.warning("manual.json: %s has points for %r, which is not a written "
                           "answer of their result: ignored", student, question)
    return [apply_manual(result, grades.get(result["student"], {})) for result in results]


def columns(results: list[dict]) -> tuple[list[str], list[str]]:
    """(autograded cells, written answers) in order of first appearance."""
    autograded, manual = [], []
    for result in results:
        for cell in result["cells"]:
            column = manual if cell["kind"] == "manual" else autograded
            if cell["grade_id"] not in column:
                column.append(cell["grade_id"])
    return autograded, manual


def _number(value: float) -> str:
    return f"{value:g}"


def write_csv(path: str | Path, results: list[dict], autograded: list[str] | None = None,
              manual: list[str] | None = None) -> Path:
    """grades.csv / gradebook.csv: one row per student of merged results.

    Columns: student, the autograded cells, the written answers (empty while pending),
    total, max_total, manual_pending, manual_stale (the written answers whose points were
    given for an earlier version of the answer: to read again), status.
    """
    found = columns(results)
    autograded = found[0] if autograded is None else autograded
    manual = found[1] if manual is None else manual
    lines = [["student", *autograded, *manual, "total", "max_total", "manual_pending",
              "manual_stale", "status"]]
    for result in results:
        cells = {cell["grade_id"]: cell for cell in result["cells"]}
        row = [result["student"]]
        row += [_number(cells[c]["points"]) if c in cells else "0" for c in autograded]
        row += [_number(cells[c]["points"]) if cells.get(c, {}).get("status") == GRADED_BY_HAND
                else "" for c in manual]
        row += [_number(result["score"]), _number(result["max_score"]),
                _number(result.get("manual_pending", 0)),
                " ".join(result.get("manual_stale", [])), result["status"]]
        lines.append(row)
    path = Path(path)
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([[spreadsheet_text(value) for value in line] for line in lines])
    write_atomically(path, buffer.getvalue())
    return path
