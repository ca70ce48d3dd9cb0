"""`python -m autograder feedback`: one HTML page per student, without the hidden tests.

Each page has the score per cell with the grader's messages, then the student's notebook
as it ran: their code and outputs, and the test cells as they were released (the hidden
tests and their result lines removed; a failing test cell shows the error, not the
traceback, whose frames would quote hidden code). Markdown cells (written answers among
them) are rendered with their LaTeX by `rendering.markdown_html`: raw HTML shown as text,
harmful links disabled, and a Content-Security-Policy that runs no script of the page's
content. Student-produced HTML output is shown as text, never rendered. Written answers
show the points and comment a person gave them (`manual import`). Any line of the
assignment's hidden tests left anywhere (for instance printed by a submission that went
looking for it) is replaced by "[hidden test]".
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from . import gradebook, paths, rendering
from . import notebook as nb

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
STYLE = """
body{max-width:960px}
.out{background:#fff;border-left:3px solid #ccc}.err{background:#fff0f0}
.passed{color:#176317}.failed,.forbidden,.not-run,.not-graded{color:#a11}
.cell{margin:1em 0}.label{font-size:80%;color:#666}.graded-by-hand{color:#176317}
"""


def hidden_lines(assignment: str, source: str | Path | None = None) -> list[str]:
    try:
        path = Path(source) if source else paths.source_notebook(assignment)
        return nb.SourceNotebook.load(assignment, path).hidden_test_lines()
    except (FileNotFoundError, OSError, ValueError):
        return []


def redact(text: str, hidden: list[str]) -> str:
    for line in hidden:
        text = text.replace(line, "[hidden test]")
    return text


def _status_class(status: str) -> str:
    return status.replace(" ", "-")


def page(result: dict, executed, hidden: list[str]) -> str:
    def esc(text: str) -> str:
        return html.escape(redact(text, hidden))

    parts = [
        rendering.head(redact(f"{result['assignment']}: {result['student']}", hidden), STYLE),
        f"<h1>{esc(result['assignment'])}: feedback for {esc(result['student'])}</h1>",
        f"<p><b>Score: {result['score']:g} / {result['max_score']:g}</b>",
    ]
    if result.get("manual_pending"):
        parts.append(f" (plus {result['manual_pending']:g} points still to be graded by hand)")
    parts.append("</p>")
    for message in result.get("messages", []):
        parts.append(f"<p class='err'>{esc(message)}</p>")
    parts.append("<table><tr><th>cell</th><th>points</th><th>status</th><th>why</th></tr>")
    for cell in result["cells"]:
        pending = cell["kind"] == "manual" and cell["status"] != gradebook.GRADED_BY_HAND
        points = "–" if pending else f"{cell['points']:g}"
        parts.append(
            f"<tr><td>{esc(cell['grade_id'])}</td>"
            f"<td>{points} / {cell['max_points']:g}</td>"
            f"<td class='{_status_class(cell['status'])}'>{esc(cell['status'])}</td>"
            f"<td>{'<br>'.join(esc(m) for m in cell['messages'])}</td></tr>"
        )
    parts.append("</table>")
    if executed is not None:
        parts.append("<h2>Your notebook as it ran</h2>")
        manual = {cell["grade_id"]: cell for cell in result["cells"] if cell["kind"] == "manual"}
        for index, cell in enumerate(executed.cells):
            parts.append(_cell_html(index, cell, esc, hidden, manual.get(nb.grade_id(cell))))
    parts.append("</body></html>")
    return "\n".join(parts)


def _cell_html(index: int, cell, esc, hidden: list[str], manual: dict | None = None) -> str:
    test = nb.is_autograded_test(cell)
    source = cell.get("source", "")
    if test or nb.is_locked(cell):
        source = nb.strip_hidden_tests(source)
    label = f"cell {index + 1}" + (f" · {nb.grade_id(cell)}" if nb.grade_id(cell) else "")
    if manual is not None and manual["status"] == gradebook.GRADED_BY_HAND:
        label += f" · {manual['points']:g} / {manual['max_points']:g} points"
    elif manual is not None:
        label += f" · {manual['max_points']:g} points, {manual['status']}"
    parts = [f"<div class='cell'><div class='label'>{esc(label)}</div>"]
    if cell.get("cell_type") == "markdown":
        parts.append(rendering.markdown_html(redact(source, hidden), cell.get("attachments")))
    else:
        parts.append(f"<pre>{esc(source)}</pre>")
    if manual is not None and manual.get("comment"):
        parts.append(f"<p class='graded-by-hand'><b>Comment:</b> {esc(manual['comment'])}</p>")
    for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text", "")
            if text.strip():
                parts.append(f"<pre class='out'>{esc(text)}</pre>")
        elif kind == "error":
            if test:
                text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
            else:
                text = ANSI.sub("", "\n".join(output.get("traceback", [])))
            parts.append(f"<pre class='out err'>{esc(text)}</pre>")
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "image/png" in data:
                image = "".join(data["image/png"]).replace("\n", "")
                if re.fullmatch(r"[A-Za-z0-9+/=]*", image):
                    parts.append(f"<img alt='plot' src='data:image/png;base64,{image}'>")
            elif "text/plain" in data:
                text = "".join(data["text/plain"])
                parts.append(f"<pre class='out'>{esc(text)}</pre>")
    parts.append("</div>")
    return "\n".join(parts)


def write_feedback(
    grade_dir: str | Path, out: str | Path, source: str | Path | None = None
) -> list[Path]:
    """Writes OUT/<student>.html for every result in GRADE_DIR/results; returns the paths."""
    grade_dir, out = Path(grade_dir), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written, cache = [], {}
    for result in gradebook.merged_results(grade_dir):
        name = result["assignment"]
        if name not in cache:
            cache[name] = hidden_lines(name, source)
        executed_path = grade_dir / "executed" / f"{result['student']}.ipynb"
        executed = nbformat.read(executed_path, as_version=4) if executed_path.is_file() else None
        path = out / f"{result['student']}.html"
        path.write_text(page(result, executed, cache[name]))
        written.append(path)
    return written
