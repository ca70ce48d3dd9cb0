"""`python -m autograder export`: the grades in the formats a course platform reads.

- `csv`: OUT/gradebook.csv, one row per student (autograded cells, written answers, total,
  max_total, manual_pending, status), as grades.csv.
- `gradescope`: OUT/gradescope/<student>/results.json in Gradescope's autograder format
  (`score`, `max_score`, `tests` with `name`, `score`, `max_score`, `output`, `visibility`).
- `classroom`: OUT/classroom/<student>.json, the result format of GitHub Classroom's
  autograding reporter (base64 of it in <student>.b64, for `$GITHUB_OUTPUT`).

Every format has the manual points and comments entered with `manual import`
(`gradebook.merged_results`): a graded written answer is one more test, in the score.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from . import gradebook

FORMATS = ("csv", "gradescope", "classroom")


def _results(grade_dir: Path) -> list[dict]:
    return gradebook.merged_results(grade_dir)


def _reported(cell: dict) -> bool:
    """Autograded cells, and written answers once a person graded them."""
    return cell["kind"] != "manual" or cell["status"] == gradebook.GRADED_BY_HAND


def gradescope(result: dict) -> dict:
    tests = []
    for cell in result["cells"]:
        if not _reported(cell):
            continue
        output = "; ".join(cell["messages"]) or cell["status"]
        tests.append(
            {
                "name": cell["grade_id"],
                "score": cell["points"],
                "max_score": cell["max_points"],
                "output": output,
                "visibility": "visible",
            }
        )
    document = {"score": result["score"], "max_score": result["max_score"], "tests": tests}
    notes = list(result.get("messages", []))
    if result.get("manual_pending"):
        notes.append(f"{result['manual_pending']:g} more points are graded by hand.")
    if notes:
        document["output"] = "\n".join(notes)
    return document


def classroom(result: dict) -> dict:
    tests = [
        {
            "name": cell["grade_id"],
            "status": "pass" if cell["points"] == cell["max_points"] else "fail",
            "score": cell["points"],
            "message": "; ".join(cell["messages"]),
            "test_code": "",
            "filename": "",
            "line_no": 0,
            "duration": 0,
        }
        for cell in result["cells"]
        if _reported(cell)
    ]
    return {
        "version": 1,
        "status": "pass" if result["score"] == result["max_score"] else "fail",
        "max_score": result["max_score"],
        "tests": tests,
    }


def export_grades(
    grade_dir: str | Path, out: str | Path, formats=("csv", "gradescope")
) -> list[Path]:
    grade_dir, out = Path(grade_dir), Path(out)
    formats = FORMATS if "all" in formats else tuple(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"Unknown export format(s) {sorted(unknown)}; choose from {FORMATS}.")
    results = _results(grade_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "csv" in formats:
        written.append(gradebook.write_csv(out / "gradebook.csv", results))
    for result in results:
        if "gradescope" in formats:
            path = out / "gradescope" / result["student"] / "results.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(gradescope(result), indent=1) + "\n")
            written.append(path)
        if "classroom" in formats:
            document = json.dumps(classroom(result))
            path = out / "classroom" / f"{result['student']}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(document + "\n")
            path.with_suffix(".b64").write_text(base64.b64encode(document.encode()).decode())
            written.append(path)
    return written
