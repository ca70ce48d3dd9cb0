"""`python -m autograder manual sheets|import`: grading the written answers by hand.

`sheets GRADE_DIR --out DIR` writes, for each written answer (nbgrader `grade` and
`solution` cell, or `task` cell) of the assignment:

- `DIR/<question>.html`: the question and the model answer (from the source notebook),
  then every student's answer side by side, markdown and LaTeX rendered safely
  (`rendering.py`), with the plots the answer cell or the code cell right after it produced;
- `DIR/<question>.csv`: `student, question, points, max_points, comment, answer_changed,
  answer_digest`, one row per student, points empty (or the points already entered) for
  the grader to fill in; `answer_digest` names the version of the answer on the page;

and `DIR/index.html` linking them. The sheets hold the model answers: staff only.

A student who resubmits keeps the points entered for the earlier answer, flagged: the
page marks the answer "changed since graded", its CSV row says `yes` in `answer_changed`,
and the command lists it. Importing new points or comments for it, or the same ones with
`answer_changed` emptied, records them for the new answer; a row still saying `yes` with
the old points and comment leaves the flag (so that importing a sheet for other rows never
confirms an answer nobody re-read).

`import GRADE_DIR SCORES.csv...` checks every row of every file (unknown student or
question, points that are not a number, negative or above the question's maximum, a
`max_points` that is not the question's, a comment without points, a student and question
given twice) and writes nothing if any row is wrong: the error names each file and line.
Otherwise the points and comments go into `GRADE_DIR/manual.json`, with the digest of the
answer they were given for (rows with empty points are left pending; a later import
replaces a question's earlier points) and grades.csv is rewritten with them. `grade` never
writes manual.json and merges it into grades.csv. Cells that start like a spreadsheet
formula are written with a leading `'` and read back without it (`gradebook.py`).
"""

from __future__ import annotations

import csv
import html
import json
import logging
import math
from pathlib import Path

import nbformat

from . import gradebook, paths, rendering
from . import notebook as nb

logger = logging.getLogger(__name__)
COLUMNS = ("student", "question", "points", "max_points", "comment", "answer_changed",
           "answer_digest")
STYLE = """
.answers{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
.answer{border:1px solid #ccc;border-radius:6px;padding:8px;overflow-wrap:anywhere}
.answer h3{margin:0 0 4px;font-size:100%}.unanswered{background:#fff6e0}
.given{color:#176317;font-size:90%}.prompt,.model{background:#f4f8ff;padding:4px 12px}
.stale{background:#ffe3e3;color:#8a1010;font-size:90%;padding:2px 4px}
"""


class ManualGradeError(ValueError):
    """A scores file that cannot be imported; the message lists every problem."""


def questions(results: list[dict]) -> dict[str, float]:
    """{question: max_points} of the written answers, in notebook order."""
    found = {}
    for result in results:
        for cell in result["cells"]:
            if cell["kind"] == "manual":
                found.setdefault(cell["grade_id"], cell["max_points"])
    return found


def _source_cells(assignment: str, source: str | Path | None) -> list:
    try:
        path = Path(source) if source else paths.source_notebook(assignment)
        return nb.SourceNotebook.load(assignment, path).cells
    except (FileNotFoundError, OSError, ValueError):
        return []


def _find(cells: list, question: str) -> int | None:
    return next((i for i, cell in enumerate(cells) if nb.grade_id(cell) == question), None)


def _answer(executed, question: str) -> tuple[str, str]:
    """(the student's markdown, HTML of their answer and plots): the answer cell's pasted
    images and outputs, and those of the code cell right after it."""
    if executed is None:
        return "", "<p><i>(no answer: the notebook could not be read)</i></p>"
    index = _find(executed.cells, question)
    if index is None:
        return "", "<p><i>(no answer: the answer cell is missing)</i></p>"
    cell = executed.cells[index]
    text = cell.get("source", "")
    if cell.get("cell_type") == "code":
        text = f"```python\n{text}\n```"
    plots = rendering.images(cell)
    after = executed.cells[index + 1] if index + 1 < len(executed.cells) else None
    if after is not None and not nb.is_autograded_test(after):
        plots += rendering.images(after)
    body = "<p><i>(no answer)</i></p>" if _unanswered(text) else rendering.markdown_html(
        text, cell.get("attachments"))
    return text, "\n".join([body, *plots])


def _unanswered(text: str) -> bool:
    return not text.strip() or text.strip() in ("YOUR ANSWER HERE", "# YOUR CODE HERE")


def _sheet(assignment, question, max_points, students, source_cells, given,
           stale) -> str:
    parts = [rendering.head(f"{assignment}: {question}", STYLE),
             f"<p><a href='index.html'>all questions</a></p>"
             f"<h1>{html.escape(assignment)}: {html.escape(question)} "
             f"({max_points:g} points)</h1>"]
    index = _find(source_cells, question)
    if index is not None:
        if index > 0 and source_cells[index - 1].get("cell_type") == "markdown":
            prompt = source_cells[index - 1].get("source", "")
            parts.append(f"<div class='prompt'>{rendering.markdown_html(prompt)}</div>")
        model = "\n".join(nb.region_lines(source_cells[index].get("source", ""),
                                          nb.BEGIN_SOLUTION, nb.END_SOLUTION))
        if model.strip():
            parts.append("<details class='model'><summary>model answer</summary>"
                         f"{rendering.markdown_html(model)}</details>")
    answered = sum(not _unanswered(text) for _, text, _ in students)
    parts.append(f"<p>{answered} of {len(students)} students answered. Enter points and "
                 f"comments in <code>{html.escape(question)}.csv</code>, then run "
                 "<code>python -m autograder manual import GRADE_DIR "
                 f"{html.escape(question)}.csv</code>.</p><div class='answers'>")
    for student, text, body in students:
        css = "answer unanswered" if _unanswered(text) else "answer"
        parts.append(f"<div class='{css}' id='{html.escape(student)}'>"
                     f"<h3>{html.escape(student)}</h3>")
        entry = given.get(student, {}).get(question)
        if entry is not None:
            comment = html.escape(entry.get("comment", ""))
            parts.append(f"<div class='given'>graded: {entry['points']:g} / {max_points:g}"
                         f"{' · ' + comment if comment else ''}</div>")
            if (student, question) in stale:
                parts.append("<div class='stale'>the answer changed since these points were "
                             "given: read it again, then enter new points, or empty "
                             "<code>answer_changed</code> in its row to keep them, and "
                             "import</div>")
        parts += [body, "</div>"]
    parts.append("</div></body></html>")
    return "\n".join(parts)


def write_sheets(
    grade_dir: str | Path, out: str | Path, source: str | Path | None = None
) -> list[Path]:
    """Writes OUT/<question>.html and .csv for every written answer, and OUT/index.html."""
    grade_dir, out = Path(grade_dir), Path(out)
    results = gradebook.read_results(grade_dir)
    given = gradebook.load_manual(grade_dir)["grades"]
    stale = {(student, question) for student, question, _ in
             gradebook.stale_grades(gradebook.merged_results(grade_dir, results))}
    digests = {result["student"]: {cell["grade_id"]: cell.get("answer_digest", "")
                                   for cell in result["cells"]} for result in results}
    found = questions(results)
    if not results or not found:
        raise FileNotFoundError(f"{grade_dir} has no results with written answers to grade")
    assignment = results[0]["assignment"]
    source_cells = _source_cells(assignment, source)
    answers = {}
    for result in results:
        path = grade_dir / "executed" / f"{result['student']}.ipynb"
        executed = nbformat.read(path, as_version=4) if path.is_file() else None
        answers[result["student"]] = {q: _answer(executed, q) for q in found}
    out.mkdir(parents=True, exist_ok=True)
    written, links = [], []
    for question, max_points in found.items():
        students = [(student, *answers[student][question]) for student in answers]
        page = out / f"{question}.html"
        page.write_text(_sheet(assignment, question, max_points, students, source_cells, given,
                               stale))
        sheet = out / f"{question}.csv"
        if _unimported(sheet, given, stale):
            logger.warning("kept %s: it holds points or comments that were not imported "
                           "(import it, or delete it for a fresh sheet)", sheet)
            written.append(page)
            continue
        with open(sheet, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for student in answers:
                entry = given.get(student, {}).get(question)
                points = f"{entry['points']:g}" if entry else ""
                row = [student, question, points, f"{max_points:g}",
                       entry.get("comment", "") if entry else "",
                       "yes" if (student, question) in stale else "",
                       digests[student].get(question, "")]
                writer.writerow([gradebook.spreadsheet_text(value) for value in row])
        written += [page, sheet]
    for question, max_points in found.items():
        graded = sum(question in given.get(student, {}) for student in answers)
        changed = sum((student, question) in stale for student in answers)
        links.append(f"<li><a href='{html.escape(question)}.html'>{html.escape(question)}</a> "
                     f"({max_points:g} points; graded for {graded} of {len(answers)}"
                     f"{f'; {changed} answers changed since graded' if changed else ''})</li>")
    index = out / "index.html"
    index.write_text(rendering.head(f"{assignment}: written answers") +
                     f"<h1>{html.escape(assignment)}: written answers</h1><ul>"
                     + "\n".join(links) + "</ul></body></html>")
    return [index, *written]


def _field(row: dict, column: str) -> str:
    """A cell of a scores file as the grader typed it (the formula guard's quote removed)."""
    return gradebook.from_spreadsheet_text((row.get(column) or "").strip())


def _unimported(sheet: Path, given: dict, stale: set) -> bool:
    """Whether the sheet at `sheet` holds points or comments that manual.json does not, or
    confirms points of a changed answer (answer_changed emptied) without an import yet."""
    if not sheet.is_file():
        return False
    with open(sheet, newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            points, comment = _field(row, "points"), _field(row, "comment")
            if not points and not comment:
                continue
            key = (_field(row, "student"), _field(row, "question"))
            entry = given.get(key[0], {}).get(key[1])
            if entry is None or _float(points) != entry["points"] or comment != entry.get(
                    "comment", ""):
                return True
            if key in stale and not _field(row, "answer_changed"):
                return True
    return False


def _read_scores(path: Path, students: set[str], found: dict[str, float], seen: dict,
                 problems: list[str], context: dict | None = None) -> dict:
    """{(student, question): entry} of one scores file; problems appended, in words.

    `context`: {"digests": {(student, question): digest of the answer graded now},
    "given": manual.json's grades, "stale": {(student, question)} whose points are for an
    earlier answer}; an entry records the digest of its row (else the current answer's),
    and a row that still flags a stale answer with its old points and comment is skipped.
    """
    context = context or {"digests": {}, "given": {}, "stale": set()}
    entries = {}
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        problems.append(f"{path}: cannot be read ({error.strerror})")
        return entries
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("student", "question", "points") if c not in header]
        if missing:
            problems.append(f"{path}, line 1: the header has no column {', '.join(missing)} "
                            f"(expected {', '.join(COLUMNS)})")
            return entries
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            student, question = _field(row, "student"), _field(row, "question")
            text, comment = _field(row, "points"), _field(row, "comment")
            if not student and not question and not text and not comment:
                continue  # a blank line
            if student not in students:
                problems.append(f"{where}: unknown student {student!r} (no results/"
                                f"{student}.json in the grade folder)")
                continue
            if question not in found:
                problems.append(f"{where}: unknown question {question!r} (the written answers "
                                f"are {', '.join(found)})")
                continue
            if (student, question) in seen:
                problems.append(f"{where}: {student} / {question} is given twice (first at "
                                f"{seen[student, question]})")
                continue
            seen[student, question] = where
            maximum = found[question]
            stated = _field(row, "max_points")
            if stated and _float(stated) != maximum:
                problems.append(f"{where}: max_points {stated!r} is not the {maximum:g} points "
                                f"of {question} (a sheet of another assignment?)")
                continue
            if not text:
                if comment:
                    problems.append(f"{where}: a comment but no points for {student} / "
                                    f"{question}")
                continue  # still pending
            points = _float(text)
            if points is None:
                problems.append(f"{where}: points {text!r} is not a number")
            elif points < 0:
                problems.append(f"{where}: points {text} is negative")
            elif points > maximum:
                problems.append(f"{where}: points {text} is above the maximum {maximum:g} of "
                                f"{question}")
            else:
                entry = context["given"].get(student, {}).get(question)
                if ((student, question) in context["stale"] and _field(row, "answer_changed")
                        and entry is not None and points == entry["points"]
                        and comment == entry.get("comment", "")):
                    continue  # not re-read yet: the flag stays
                digest = _field(row, "answer_digest") or context["digests"].get(
                    (student, question))
                entries[student, question] = {"points": points, "comment": comment,
                                              "imported_from": f"{path.name}:{reader.line_num}"}
                if digest:
                    entries[student, question]["answer_digest"] = digest
    return entries


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def import_scores(grade_dir: str | Path, scores: list[str | Path]) -> dict:
    """Validates `scores` and stores them in GRADE_DIR/manual.json; rewrites grades.csv.

    Raises ManualGradeError (nothing written) if any row of any file is wrong. Returns
    {"imported": number of grades, "pending": points still to grade over all students,
    "stale": [(student, question, points)] whose answer changed since they were graded}.
    """
    grade_dir = Path(grade_dir)
    results = gradebook.read_results(grade_dir)
    found = questions(results)
    students = {result["student"] for result in results}
    context = {
        "digests": {(result["student"], cell["grade_id"]): cell.get("answer_digest")
                    for result in results for cell in result["cells"]},
        "given": gradebook.load_manual(grade_dir)["grades"],
        "stale": {(student, question) for student, question, _ in
                  gradebook.stale_grades(gradebook.merged_results(grade_dir, results))},
    }
    problems, seen, entries = [], {}, {}
    for path in scores:
        entries.update(_read_scores(Path(path), students, found, seen, problems, context))
    if problems:
        raise ManualGradeError("nothing was imported:\n" + "\n".join(problems))
    document = gradebook.load_manual(grade_dir)
    document["assignment"] = results[0]["assignment"] if results else None
    for (student, question), entry in entries.items():
        document["grades"].setdefault(student, {})[question] = entry
    document["grades"] = {s: dict(sorted(q.items())) for s, q in sorted(document["grades"].items())}
    gradebook.write_atomically(grade_dir / gradebook.MANUAL_FILE,
                               json.dumps(document, indent=1) + "\n")
    merged = gradebook.merged_results(grade_dir, results)
    gradebook.write_csv(grade_dir / "grades.csv", merged)
    return {"imported": len(entries), "pending": sum(r["manual_pending"] for r in merged),
            "stale": gradebook.stale_grades(merged)}
