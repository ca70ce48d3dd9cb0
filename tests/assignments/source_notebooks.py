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


def recorded_values(capsys) -> dict[str, dict]:
    """The marker lines printed by `record_*`, by case name."""
    values = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith(_core.RECORD_MARKER):
            payload = json.loads(line[len(_core.RECORD_MARKER):])
            values[payload["case"]] = payload
    return values


def assert_matches_references(cases: dict, recorded: dict, task: str) -> None:
    """Every case of `task` was recorded and agrees with its reference implementation."""
    expected = _core.reference_values({k: c for k, c in cases.items() if c.task == task})
    assert expected, f"no case for task {task}"
    for case_name, reference in expected.items():
        assert case_name in recorded, case_name
        assert "error" not in recorded[case_name], recorded[case_name]
        actual = np.asarray(recorded[case_name]["value"], dtype="float64")
        np.testing.assert_allclose(
            actual, np.asarray(reference["value"]), rtol=reference["rtol"],
            atol=reference["atol"], err_msg=case_name,
        )


def check_notebook_structure(name: str, checks_module) -> None:
    """Test cells call check_/record_ of their tasks; CASES and FORBIDDEN name real cells."""
    cells = committed_cells(name)
    test_cells = {
        cell["id"]: "".join(cell["source"]) for cell in cells
        if cell["metadata"].get("nbgrader", {}).get("grade")
        and cell["cell_type"] == "code"
    }
    assert test_cells
    for case_name, case in checks_module.CASES.items():
        assert case.cell in test_cells, (case_name, case.cell)
        source = test_cells[case.cell]
        hidden = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        assert f"checks.record_{case.task}(" in hidden, (case_name, case.cell)
        assert f"checks.check_{case.task}(" in source.split("### BEGIN HIDDEN TESTS")[0]
    for cell_id in getattr(checks_module, "FORBIDDEN", {}):
        assert cell_id in test_cells, cell_id
    setup = cells[[c["cell_type"] for c in cells].index("code")]
    assert setup["id"] == "setup"
    assert f"checks import {name} as checks" in "".join(setup["source"])


def execute_fast(name: str, monkeypatch, timeout: int = 600) -> dict:
    """Runs the whole source notebook in its fast setting (for `slow` tests only).

    Returns the recorded values of every hidden case, read from the executed outputs.
    """
    import nbclient
    import nbformat

    monkeypatch.setenv("SSL_KERAS_FAST", "1")
    notebook = nbformat.read(ASSIGNMENTS / name / f"{name}.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3").execute(
        cwd=str(ASSIGNMENTS / name)
    )
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith(_core.RECORD_MARKER):
                    payload = json.loads(line[len(_core.RECORD_MARKER):])
                    values[payload["case"]] = payload
    return values
