"""Helpers of the assignment tests: build, read and run parts of a source notebook.

Shared by tests/assignments/test_{clip_zero_shot,pretext_tasks,foundation_models}.py.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
from ssl_keras_autograder.checks import _core

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def built_cells(name: str) -> list[dict]:
    """The cells `assignments/<name>/make_notebook.py` builds, ids as write_notebook sets."""
    path = ASSIGNMENTS / name / "make_notebook.py"
    spec = importlib.util.spec_from_file_location(f"make_notebook_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cells = [dict(cell) for cell in module.CELLS]
    for index, cell in enumerate(cells):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"cell-{index:03d}"
    return cells


def committed_cells(name: str) -> list[dict]:
    notebook = json.loads((ASSIGNMENTS / name / f"{name}.ipynb").read_text())
    return notebook["cells"]


def comparable(cells: list[dict]) -> list[tuple]:
    """What must agree between the builder and the committed notebook."""
    return [
        (cell["id"], cell["cell_type"], "".join(cell["source"]), cell["metadata"])
        for cell in cells
    ]


def cell_by_id(cells: list[dict], grade_id: str) -> dict:
    for cell in cells:
        if cell["id"] == grade_id:
            return cell
    raise KeyError(grade_id)


def solution_namespace(name: str, grade_ids: list[str], namespace: dict | None = None) -> dict:
    """Executes the given solution cells (solutions in place) and returns their namespace."""
    cells = committed_cells(name)
    namespace = {"np": np} if namespace is None else namespace
    for grade_id in grade_ids:
        cell = cell_by_id(cells, grade_id)
        assert cell["metadata"]["nbgrader"]["solution"], grade_id
        exec(compile("".join(cell["source"]), f"<{name}:{grade_id}>", "exec"), namespace)
    return namespace


def assert_solution_matches_expected(name: str, solutions: dict, checks_module,
                                     tasks: list[str] | None = None) -> None:
    """The solutions give the stored expected value on every case (visible and hidden) of
    the given tasks, compared with the grader's own rule (`_core.compare`)."""
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(name)
    seen = set()
    for case_name, case in spec.cases.items():
        if tasks is not None and case.task not in tasks:
            continue
        seen.add(case.task)
        record = _core.as_record(_core.evaluate(case, solutions[case.task], checks_module))
        problem = _core.compare(record, spec.expected[case_name])
        assert problem is None, (case_name, problem)
    assert seen == set(tasks or spec.tasks.values()), seen


def judged_problems(name: str, function, task: str, checks_module) -> list[str]:
    """What the grader would say of `function` as the answer to `task` (every case)."""
    from ssl_keras_autograder.judging import load_spec

    spec = load_spec(name)
    problems = []
    for case_name, case in spec.cases.items():
        if case.task != task:
            continue
        try:
            record = _core.as_record(_core.evaluate(case, function, checks_module))
        except Exception as error:  # noqa: BLE001
            record = {"error": f"{type(error).__name__}: {error}"}
        problem = _core.compare(record, spec.expected[case_name])
        if problem:
            problems.append(problem)
    return problems


def check_notebook_structure(name: str, checks_module) -> None:
    """Each test cell of `TASKS` calls `check_<task>` and nothing hidden; the setup cell
    imports the checks module; every task has visible and hidden cases."""
    from ssl_keras_autograder.judging import load_spec

    cells = committed_cells(name)
    test_cells = {
        cell["id"]: "".join(cell["source"]) for cell in cells
        if cell["metadata"].get("nbgrader", {}).get("grade")
        and cell["cell_type"] == "code"
    }
    assert test_cells
    assert set(checks_module.TASKS) == set(test_cells), (checks_module.TASKS, list(test_cells))
    order = [cell["id"] for cell in cells if cell["id"] in test_cells]
    assert list(checks_module.TASKS) == order
    for cell_id, task in checks_module.TASKS.items():
        source = test_cells[cell_id]
        assert f"checks.check_{task}(" in source, (cell_id, source)
        assert "HIDDEN TESTS" not in source and "record_" not in source, cell_id
    spec = load_spec(name)
    for task in checks_module.TASKS.values():
        assert any(c.task == task for n, c in spec.cases.items() if n in spec.hidden), task
        assert any(c.task == task for n, c in spec.cases.items() if n not in spec.hidden), task
    install, setup = [c for c in cells if c["cell_type"] == "code"][:2]
    assert install["id"] == "install" and install["metadata"]["nbgrader"]["locked"]
    assert setup["id"] == "setup"
    assert f"checks import {name} as checks" in "".join(setup["source"])


def execute_fast(name: str, monkeypatch, timeout: int = 600):
    """Runs the whole source notebook in its fast setting (for `slow` tests only) and
    returns the executed notebook (`nbclient` raises on a failing cell)."""
    import nbclient
    import nbformat

    monkeypatch.setenv("SSL_KERAS_FAST", "1")
    notebook = nbformat.read(ASSIGNMENTS / name / f"{name}.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3").execute(
        cwd=str(ASSIGNMENTS / name)
    )
    return notebook
