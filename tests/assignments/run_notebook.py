"""Executes a source notebook (solutions in place) in its fast setting, for slow tests."""

from __future__ import annotations

from pathlib import Path

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def execute_fast(name: str, workdir: Path, monkeypatch, timeout: int = 600):
    """Runs assignments/<name>/<name>.ipynb top to bottom with SSL_KERAS_FAST=1.

    The kernel inherits the environment, so it uses the test's `KERAS_BACKEND`. Raises
    `nbclient.exceptions.CellExecutionError` (with the cell and traceback) if a cell fails.

    Returns:
        The executed notebook (`nbformat.NotebookNode`).
    """
    import nbclient
    import nbformat

    monkeypatch.setenv("SSL_KERAS_FAST", "1")
    notebook = nbformat.read(ASSIGNMENTS / name / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(workdir)}})
    client.execute()
    return notebook
