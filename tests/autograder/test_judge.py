"""The judge on its own: what it loads, what it refuses, what it sends back.

Each test forks a judge child from this process (as the judge process does from itself)
on the toy assignment, so they need no kernel and take a fraction of a second each; the
last ones run the real judge process in its sandbox through `judge_notebook`.
"""

from __future__ import annotations

import copy
import os
import sys

import nbformat
import pytest
from ssl_keras_autograder import judge
from ssl_keras_autograder.config import GradeConfig, Submission
from ssl_keras_autograder.judging import score_task, task_requests
from ssl_keras_autograder.steps import ClearOutputs, RestoreCells
from ssl_keras_autograder.steps.judge import judge_notebook, student_cells

from . import toy

CORRECT_SCALE = "def scale(x, factor):\n    return np.asarray(x) * factor"


@pytest.fixture(scope="module")
def assignment(tmp_path_factory):
    return toy.make_assignment(tmp_path_factory.mktemp("judge"))


def _notebook(assignment, square: str, extra: list[tuple[int, str]] = ()):
    """The toy released notebook with `square`'s answer cell and extra code cells inserted
    at the given positions, sanitized as the grader does."""
    notebook = toy.released_notebook()
    index = next(i for i, c in enumerate(notebook["cells"])
                 if c["metadata"].get("nbgrader", {}).get("grade_id") == "square")
    notebook["cells"][index]["source"] = square
    scale = next(c for c in notebook["cells"]
                 if c["metadata"].get("nbgrader", {}).get("grade_id") == "scale")
    scale["source"] = CORRECT_SCALE
    for position, source in sorted(extra, reverse=True):
        notebook["cells"].insert(position, toy._code(source))
    submission = Submission("s", toy.Path("s.ipynb"), b"", "")
    submission.notebook = nbformat.from_dict(copy.deepcopy(notebook))
    for step in (ClearOutputs(), RestoreCells()):
        step.run(submission, assignment, GradeConfig())
    return submission.notebook


def _judge_here(assignment, notebook, timeout: float = 20.0) -> dict:
    """{task: problems} from judge children forked from this process."""
    spec = assignment.judge
    header = {"setup": [c.source for c in assignment.source.cells
                        if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"],
              "cells": student_cells(notebook), "tasks": list(spec.tasks.values()),
              "checks_module": None}
    judge.run_setup(header)
    problems = {}
    for request in task_requests(spec):
        request["timeout"] = timeout
        answer = judge.judge_task(header, request, timeout)
        problems[request["task"]] = score_task(spec, request["task"], answer)
    return problems


def test_a_correct_answer_passes_in_every_style(assignment):
    styles = [
        "def square(x):\n    return np.asarray(x, float) ** 2",
        "%%time\ndef square(x):\n    return np.asarray(x, float) ** 2",
        'def square(x):\n    """Same as numpy.square(x)."""\n    print("debug", x)\n'
        "    return np.asarray(x, float) * x",
        "import math\nsquare = lambda x: np.array([math.pow(v, 2) for v in x])",
        "def square(x):\n    return np.asarray(x, float) ** 2\nprint(square([3]))\n"
        "check = square([4])\nfor i in range(3):\n    print(i)",
    ]
    for source in styles:
        problems = _judge_here(assignment, _notebook(assignment, source))
        assert problems == {"square": [], "scale": []}, (source, problems)


def test_names_outside_the_graded_function_cost_nothing(assignment):
    square = "def square(x):\n    return np.asarray(x, float) ** 2"
    for position in (2, 4, 99):  # before the answer, between answer and test, at the end
        scratch = "from numpy import square\nreference = square(3)\nprint(reference)"
        notebook = _notebook(assignment, square, extra=[(position, scratch)])
        assert _judge_here(assignment, notebook)["square"] == [], position


def test_the_answer_cell_counts_wherever_it_stands_and_helpers_in_other_cells_load(assignment):
    helper = ("import numpy\nEXPONENT = 2\n"
              "def power_of(x):\n    return numpy.asarray(x, float) ** EXPONENT")
    square = "def square(x):\n    return power_of(x)"
    notebook = _notebook(assignment, square, extra=[(99, helper)])
    answer = next(i for i, c in enumerate(notebook.cells)
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "square")
    notebook.cells.append(notebook.cells.pop(answer))  # the answer cell moved to the end
    assert _judge_here(assignment, notebook) == {"square": [], "scale": []}


def test_scratch_work_is_never_run(assignment):
    square = "def square(x):\n    return np.asarray(x, float) ** 2"
    scratch = "import time\nwaste = time.sleep(60)\nwhile True:\n    pass"
    notebook = _notebook(assignment, square, extra=[(99, scratch)])
    assert _judge_here(assignment, notebook, timeout=5.0) == {"square": [], "scale": []}


@pytest.mark.parametrize("source", [
    "def square(x):\n    return np.square(x)",
    "import numpy as other\ndef square(x):\n    return other.square(x)",
    "def square(x):\n    return getattr(np, 'squ' + 'are')(x)",
    "from numpy import *\ndef square(x):\n    return globals()['square'.upper().lower()](x)"
    " if False else power(x, 2)",
    "def square(x):\n    code = 'np.' + 'power(x, 2)'\n    return eval(code)",
    "reference = np.square\ndef square(x):\n    return reference(x)",
    "def square(x):\n    try:\n        return np.square(x)\n    except BaseException:\n"
    "        return np.asarray(x, float) ** 2",
])
def test_a_forbidden_call_fails_its_task_however_it_is_reached(assignment, source):
    problems = _judge_here(assignment, _notebook(assignment, source))
    assert problems["scale"] == []
    assert problems["square"] and "calls `numpy." in " ".join(problems["square"]), problems


def test_a_writefile_helper_module_is_not_loaded(assignment):
    helper = "%%writefile helper.py\nimport numpy\ndef sq(x):\n    return numpy.square(x)"
    square = "import helper\ndef square(x):\n    return helper.sq(x)"
    problems = _judge_here(assignment, _notebook(assignment, square, extra=[(2, helper)]))
    assert problems["square"] and "helper" in " ".join(problems["square"])
    assert problems["scale"] == []


@pytest.mark.parametrize("source, words", [
    ("def square(x):\n    while True:\n        pass", "limit"),
    ("def square(x):\n    import os\n    os._exit(0)", "ended before every case"),
    ("def square(x):\n    raise SystemExit(1)", "SystemExit"),
    ("def square(x)\n    return x", "syntax error"),
    ("# YOUR CODE HERE\nraise NotImplementedError()", "no function or class named `square`"),
    ("def square(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
     "NotImplementedError"),
])
def test_failures_cost_only_their_own_task_and_say_why(assignment, source, words):
    problems = _judge_here(assignment, _notebook(assignment, source), timeout=3.0)
    assert problems["scale"] == [], problems
    assert words in " ".join(problems["square"]), problems


def test_results_the_student_prints_or_sends_count_for_nothing(assignment):
    forged = ("import os, json\ndef square(x):\n    for fd in range(3, 20):\n        try:\n"
              "            os.write(fd, (json.dumps({'case': 'square_range', 'shape': [3], "
              "'kind': 'f', 'value': [0, 1, 4]}) + '\\n').encode())\n"
              "        except OSError:\n            pass\n    return np.asarray(x) * 2")
    problems = _judge_here(assignment, _notebook(assignment, forged))
    assert problems["square"], problems  # sent twice, or its own wrong value: never a pass


def test_the_judge_process_in_its_sandbox(assignment, tmp_path):
    config = GradeConfig(jobs=1, backend=os.environ.get("KERAS_BACKEND", "jax"),
                         judge_floor=20.0)
    config.work_root = str(tmp_path)
    good = _notebook(assignment, "def square(x):\n    return np.asarray(x, float) ** 2")
    answers, info = judge_notebook(good, assignment, config)
    spec = assignment.judge
    assert {task: score_task(spec, task, answers.get(task)) for task in spec.tasks.values()} \
        == {"square": [], "scale": []}, info
    assert info["sandbox"] in ("bwrap", "namespaces", "off")
    if sys.platform == "linux" and os.geteuid() == 0:
        assert info["sandbox"] == "bwrap"
