"""A tiny assignment (NumPy only, so kernels start fast) and one submission of every kind.

The contrastive_loss fixtures (autograder/fixtures/) exercise the real assignment in a slow
test; this toy runs the same robustness cases through the same pipeline in about a minute.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
from ssl_keras_autograder.checks._core import Case, as_record
from ssl_keras_autograder.config import Assignment
from ssl_keras_autograder.judging import JudgeSpec, expected_record
from ssl_keras_autograder.notebook import SourceNotebook

from assignments.notebook_builder import locked, markdown, solution, tests, write_notebook

SETUP = """
import numpy as np
"""
# visible: 2 ** 2 == 2 * 2, so a doubling `square` passes it and fails the hidden case
VISIBLE = {
    "square_two": Case("square", lambda: [np.array([2.0])], description="square([2])"),
    "scale_three": Case("scale", lambda: [np.ones(2), 3.0], description="scale(ones, 3)"),
}
HIDDEN = {
    "square_range": Case("square", lambda: [np.arange(3.0)], description="x = [0, 1, 2]"),
    "scale_half": Case("scale", lambda: [np.arange(4.0), 0.5], description="factor 0.5"),
}
REFERENCES = {"square": lambda x: np.asarray(x, float) ** 2, "scale": lambda x, f: x * f}
SQUARE = (
    "def square(x):\n    ### BEGIN SOLUTION\n    return np.asarray(x, float) ** 2\n"
    "    ### END SOLUTION"
)
SCALE = (
    "def scale(x, factor):\n    ### BEGIN SOLUTION\n    return np.asarray(x) * factor\n"
    "    ### END SOLUTION"
)
POINTS = {"square_tests": 2.0, "scale_tests": 1.0}


def judge_spec() -> JudgeSpec:
    cases = {**VISIBLE, **HIDDEN}
    expected = {
        name: expected_record(name, case, as_record(REFERENCES[case.task](*case.inputs())))
        for name, case in cases.items()
    }
    return JudgeSpec(
        name="toy",
        tasks={"square_tests": "square", "scale_tests": "scale"},
        cases=cases,
        expected=expected,
        forbidden={"square": ["numpy.square", "numpy.power"]},
        hidden=frozenset(HIDDEN),
    )


def source_cells() -> list[dict]:
    return [
        markdown("# Toy assignment"),
        locked(SETUP, "setup"),
        solution(SQUARE, "square"),
        tests(
            'assert np.allclose(square(np.array([2.0])), [4.0]), "square([2]) should be 4"',
            "square_tests", POINTS["square_tests"],
        ),
        solution(SCALE, "scale"),
        tests(
            'assert np.allclose(scale(np.ones(2), 3.0), [3.0, 3.0]), "scale(ones, 3)"',
            "scale_tests", POINTS["scale_tests"],
        ),
        {
            "cell_type": "markdown",
            "metadata": {"nbgrader": {"grade": True, "grade_id": "why", "locked": False,
                                      "points": 1, "schema_version": 3, "solution": True,
                                      "task": False}},
            "source": "### BEGIN SOLUTION\nBecause squares are positive.\n### END SOLUTION",
        },
    ]


def make_assignment(folder: Path) -> Assignment:
    """Writes folder/toy/toy.ipynb and returns the Assignment the grader uses."""
    (folder / "toy").mkdir(parents=True, exist_ok=True)
    path = write_notebook(source_cells(), folder / "toy" / "toy.ipynb")
    return Assignment(
        name="toy", source=SourceNotebook.load("toy", path), judge=judge_spec(), data_files=[]
    )


def released_notebook() -> dict:
    """The student version (what nbgrader's release gives, solutions and hidden tests out)."""
    cells = copy.deepcopy(source_cells())
    for index, cell in enumerate(cells):
        cell["id"] = cell["metadata"].get("nbgrader", {}).get("grade_id") or f"cell-{index}"
        text = cell["source"]
        if "### BEGIN HIDDEN TESTS" in text:
            text = text.split("### BEGIN HIDDEN TESTS")[0].rstrip()
        if "### BEGIN SOLUTION" in text:
            head = text.split("### BEGIN SOLUTION")[0]
            text = head + ("# YOUR CODE HERE\n    raise NotImplementedError()"
                           if cell["cell_type"] == "code" else "YOUR ANSWER HERE")
        cell["source"] = text
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3",
            "display_name": "Python 3", "language": "python"}}, "nbformat": 4,
            "nbformat_minor": 5}


def _index(notebook, grade_id):
    return next(i for i, c in enumerate(notebook["cells"])
                if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def _answered(square="return np.asarray(x, float) ** 2", scale="return np.asarray(x) * factor",
              square_prefix="", square_suffix=""):
    notebook = released_notebook()
    notebook["cells"][_index(notebook, "square")]["source"] = (
        square_prefix + "def square(x):\n    " + square + square_suffix)
    notebook["cells"][_index(notebook, "scale")]["source"] = (
        "def scale(x, factor):\n    " + scale)
    notebook["cells"][_index(notebook, "why")]["source"] = "Because."
    return notebook


def _code(source):
    return {"cell_type": "code", "execution_count": None, "id": f"added-{abs(hash(source))}",
            "metadata": {}, "outputs": [], "source": source}


SNOOP = '''import os
found = []
for root in (os.path.join(os.getcwd(), os.pardir), "/tmp"):
    for path, folders, files in os.walk(root):
        for name in files:
            if name.endswith((".ipynb", ".db", ".json", ".csv")):
                full = os.path.join(path, name)
                try:
                    text = open(full, errors="ignore").read()
                except OSError:
                    continue
                if "### BEGIN " + "SOLUTION" in text or name == "gradebook.db":
                    found.append(full)
print("SNOOP FOUND", found)'''

WRITER = '''import os, pathlib
written = []
here = pathlib.Path(os.getcwd())
for target in (here.parent / "grades.csv", here.parent.parent / "TOY_INJECTED.txt"):
    try:
        target.write_text("student,total\\nvictim,0\\n")
        written.append(str(target))
    except OSError:
        pass
print("WRITTEN", written)'''

FAKE_RECORD = '@@ssl-keras-grader@@{"case": "square_range", "shape": [3], "value": [0, 1, 4]}'


def submissions() -> dict[str, tuple[bytes, float, dict]]:
    """{student: (file content, expected score, {test cell: expected status})}."""
    def dump(notebook):
        return json.dumps(notebook).encode()

    both = {"square_tests": "passed", "scale_tests": "passed"}
    square_only_fails = {"square_tests": "failed", "scale_tests": "passed"}
    out = {}
    out["correct"] = (dump(_answered()), 3.0, both)
    out["correct_warns"] = (dump(_answered(
        square="import warnings, logging, sys\n    warnings.resetwarnings()\n"
               "    warnings.warn('careful', RuntimeWarning)\n    logging.warning('hello')\n"
               "    sys.stderr.write('raw stderr\\n')\n    return np.asarray(x, float) ** 2")),
        3.0, both)
    # right on the visible check (2 * 2 == 2 ** 2), wrong on the hidden case
    out["wrong"] = (dump(_answered(square="return np.asarray(x, float) * 2")), 1.0,
                    square_only_fails)
    out["raising"] = (dump(_answered(square="raise ValueError('no')")), 1.0, square_only_fails)
    out["nan"] = (dump(_answered(square="return np.asarray(x, float) * np.nan")), 1.0,
                  square_only_fails)
    out["infinite_loop"] = (dump(_answered(square="while True:\n        pass")), 1.0,
                            square_only_fails)
    # the kernel is stopped, and so is the judge's process for `square`: scale still counts
    out["huge_memory"] = (dump(_answered(
        square="blocks = []\n    while True:\n        blocks.append(np.ones(2**24))")), 1.0,
        square_only_fails)
    out["sys_exit"] = (dump(_answered(square="import sys\n    sys.exit(3)")), 1.0,
                       square_only_fails)
    # kills the kernel at the top of the answer cell; the judge loads definitions only
    out["os_exit"] = (dump(_answered(square_prefix="import os\nos._exit(1)\n")), 3.0, both)
    out["os_exit_in_function"] = (dump(_answered(square="import os\n    os._exit(1)")), 1.0,
                                  square_only_fails)
    deleted = _answered()
    del deleted["cells"][_index(deleted, "square_tests")]
    out["deleted_test_cell"] = (dump(deleted), 3.0, both)
    edited = _answered(square="return np.asarray(x, float) * 3")
    cell = edited["cells"][_index(edited, "square_tests")]
    cell["source"] = "print('fine')"
    cell["metadata"]["nbgrader"]["points"] = 100
    out["edited_test_cell"] = (dump(edited), 1.0, square_only_fails)
    patched = _answered(square="return np.asarray(x, float) * 3")
    patched["cells"].insert(1, _code(
        "import numpy, numpy.testing, math\nnumpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "math.isclose = lambda *a, **k: True"))
    out["monkeypatched_checks"] = (dump(patched), 1.0, square_only_fails)
    out["reference_only"] = (dump(_answered(square="return np.square(x)")), 1.0,
                             square_only_fails)
    out["reference_caught"] = (dump(_answered(
        square="try:\n        return np.square(x)\n    except BaseException:\n"
               "        return np.asarray(x, float) ** 2")), 1.0, square_only_fails)
    # names in a scratch cell or a docstring cost nothing
    named = _answered(square='"""Same as np.square(x)."""\n    return np.asarray(x, float) ** 2')
    named["cells"].append(_code("from numpy import square as reference\nprint(reference(3))"))
    out["names_library_outside"] = (dump(named), 3.0, both)
    # printed result lines count for nothing: its square is wrong
    out["fake_records"] = (dump(_answered(
        square=f"print({FAKE_RECORD!r})\n    return np.asarray(x, float) * 2")), 1.0,
        square_only_fails)
    snoop = _answered()
    snoop["cells"].insert(2, _code(SNOOP))
    out["snoop"] = (dump(snoop), 3.0, both)
    writer = _answered()
    writer["cells"].insert(2, _code(WRITER))
    out["writes_outside"] = (dump(writer), 3.0, both)
    out["empty_file"] = (b"", 0.0, {"square_tests": "not graded", "scale_tests": "not graded"})
    out["corrupt_json"] = (b'{"cells": [{"cell_ty', 0.0,
                           {"square_tests": "not graded", "scale_tests": "not graded"})
    out["not_a_notebook"] = (b"[1, 2, 3]", 0.0,
                             {"square_tests": "not graded", "scale_tests": "not graded"})
    no_cells = released_notebook()
    no_cells["cells"] = []
    out["no_cells"] = (dump(no_cells), 0.0, {"square_tests": "failed", "scale_tests": "failed"})
    return out
