"""Builds nbgrader source notebooks from Python, so that their cells stay reviewable.

Each `assignments/<name>/make_notebook.py` lists its cells with these functions and
calls `write_notebook`; the committed `<name>.ipynb` is its output
(`python assignments/<name>/make_notebook.py`; `tests/assignments` checks they agree).

Cell kinds (nbgrader schema 3 metadata):

- `markdown(text)`, `code(source)`: ordinary cells the student may edit.
- `install()`: the first code cell, locked: installs the course package where it is
  missing (Colab, a laptop, JupyterHub) and picks the Keras backend; a no-op where the
  package is installed (the grader's kernels). Its install address is the placeholder
  `INSTALL_URL_PLACEHOLDER`, which `python -m autograder release --install-url URL` replaces.
- `setup(grade_id, imports)`: the second code cell, locked: quiet logs, the fast
  setting `FAST` (environment variable `SSL_KERAS_FAST=1`), the seed and the checks module.
- `locked(source, grade_id)`: read-only code the autograder restores if edited or deleted.
- `solution(source, grade_id)`: the student's implementation, with the reference solution
  between `### BEGIN SOLUTION` and `### END SOLUTION`.
- `tests(source, grade_id, points)`: an autograded test cell; hidden parts go between
  `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`.
- `written_answer(grade_id, points, solution_text)`: a manually graded answer cell.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from textwrap import dedent

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
INSTALL_GRADE_ID = "install"
# What `release --install-url` replaces: a git URL (`git+https://...`), a wheel's URL or a
# wheel's path relative to the notebook.
INSTALL_URL_PLACEHOLDER = "<install-url: set by python -m autograder release --install-url>"
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _clean(source: str) -> str:
    return dedent(source).strip("\n")


def _metadata(grade_id, *, grade=False, solution=False, locked=False, points=None, task=False):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": task,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _cell(cell_type: str, source: str, metadata: dict | None = None) -> dict:
    cell = {"cell_type": cell_type, "metadata": metadata or {}, "source": _clean(source)}
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def markdown(text: str) -> dict:
    return _cell("markdown", text)


def code(source: str) -> dict:
    return _cell("code", source)


def package_version() -> str:
    """The course package's version (pyproject.toml): the install cell asks for it."""
    return re.search(r'^version = "([^"]+)"', PYPROJECT.read_text(), re.MULTILINE).group(1)


INSTALL_SOURCE = '''
# Install (read-only): run this cell first, on Colab, a laptop or JupyterHub. It installs
# the course package `ssl_keras` (with its checks) unless it is already installed, and picks
# the Keras backend: jax, unless the environment variable KERAS_BACKEND names another (to
# choose one, run e.g. `%env KERAS_BACKEND=torch` in a new cell above this one first).
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys

INSTALL_URL = "{url}"
VERSION = "{version}"
BACKEND = os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# On Linux without an NVIDIA GPU, torch comes from PyTorch's CPU index (~200 MB), not from
# PyPI, whose Linux build brings CUDA (several GB). Set to "" to take PyPI's anyway.
TORCH_CPU_INDEX = os.environ.get("SSL_KERAS_TORCH_INDEX", "https://download.pytorch.org/whl/cpu")


def _version(name):
    try:
        found = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
    return tuple(int(part) for part in re.findall(r"\\d+", found)[:3])


_wanted = tuple(int(part) for part in VERSION.split(".")[:3])
_found = _version("ssl_keras")
_backend_module = {{"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}}.get(BACKEND)
if (
    _found is None or _found[:2] != _wanted[:2] or _found < _wanted
    or importlib.util.find_spec("ssl_keras_autograder") is None
    or (_backend_module and importlib.util.find_spec(_backend_module) is None)
):
    if os.environ.get("SSL_KERAS_NO_INSTALL") == "1":
        raise RuntimeError(f"ssl_keras {{VERSION}} (with the {{BACKEND}} backend) is not "
                           "installed, and SSL_KERAS_NO_INSTALL=1 forbids installing it here.")
    if INSTALL_URL.startswith("<"):
        raise RuntimeError("This notebook was released without the course package's "
                           "address: ask your instructor where to install ssl_keras from.")
    _extra = f"[{{BACKEND}}]" if _backend_module else ""
    if "://" in INSTALL_URL or INSTALL_URL.startswith("git+"):
        _requirement = f"ssl_keras{{_extra}} @ {{INSTALL_URL}}"
    else:  # a wheel (or folder) next to the notebook
        _requirement = os.path.abspath(INSTALL_URL) + _extra
    _installs = [[_requirement]]
    if (
        BACKEND == "torch" and TORCH_CPU_INDEX and sys.platform.startswith("linux")
        and importlib.util.find_spec("torch") is None
        and not (os.path.exists("/proc/driver/nvidia") or shutil.which("nvidia-smi"))
    ):
        _installs.insert(0, ["torch", "--index-url", TORCH_CPU_INDEX])
    _before = {{name: _version(name) for name in ("keras", "numpy") if name in sys.modules}}
    for _arguments in _installs:
        print(f"Installing {{' '.join(_arguments)}} (a few minutes the first time)...")
        _pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *_arguments],
                              capture_output=True, text=True)
        if _pip.returncode != 0:
            print(_pip.stdout[-4000:], _pip.stderr[-4000:], sep="\\n")
            _hint = " Without PyTorch's CPU index, run `%env SSL_KERAS_TORCH_INDEX=` first."
            raise RuntimeError("pip could not install the course package: see its output "
                               "above." + (_hint if _arguments[0] == "torch" else ""))
    import site

    # without write access to the environment pip installs for the user only
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        if site.getusersitepackages() not in sys.path:
            sys.path.append(site.getusersitepackages())
    importlib.invalidate_caches()
    if any(_version(name) != found for name, found in _before.items()):
        print("Installed. Restart the kernel (Colab: Runtime > Restart session), then run the "
              "notebook from the top: the installation changed packages already imported.")
    else:
        print("Installed.")
if "keras" in sys.modules and sys.modules["keras"].backend.backend() != BACKEND:
    print(f"Keras was imported before this cell, with the "
          f"{{sys.modules['keras'].backend.backend()}} backend, not {{BACKEND}}: restart the "
          "kernel (Colab: Runtime > Restart session) and run this cell first.")
print(f"ssl_keras {{importlib.metadata.version('ssl_keras')}}, Keras backend {{BACKEND}}.")
'''


def install(url: str = INSTALL_URL_PLACEHOLDER) -> dict:
    """The install cell (locked, grade_id "install"): see `INSTALL_SOURCE`."""
    source = INSTALL_SOURCE.format(url=url, version=package_version())
    return _cell("code", source, _metadata(INSTALL_GRADE_ID, locked=True))


def setup(grade_id: str, imports: str = "") -> dict:
    source = (
        '''
        # Setup (read-only), after the install cell (which picked the Keras backend).
        # SSL_KERAS_FAST=1 gives the fast setting (tiny data and few epochs) that CI and
        # the autograder use.
        import os

        os.environ.setdefault("KERAS_BACKEND", "jax")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import logging
        import warnings

        warnings.filterwarnings("ignore")
        logging.getLogger("absl").setLevel(logging.ERROR)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        FAST = os.environ.get("SSL_KERAS_FAST", "0") == "1"

        import keras
        import numpy as np

        keras.utils.set_random_seed(0)
        '''
    )
    return _cell(
        "code", _clean(source) + ("\n" + _clean(imports) if imports else ""),
        _metadata(grade_id, locked=True),
    )


def locked(source: str, grade_id: str) -> dict:
    return _cell("code", source, _metadata(grade_id, locked=True))


def solution(source: str, grade_id: str) -> dict:
    text = _clean(source)
    if "### BEGIN SOLUTION" not in text or "### END SOLUTION" not in text:
        raise ValueError(f"solution cell {grade_id!r} needs ### BEGIN/END SOLUTION markers")
    return _cell("code", text, _metadata(grade_id, solution=True))


def tests(source: str, grade_id: str, points: float) -> dict:
    return _cell("code", source, _metadata(grade_id, grade=True, locked=True, points=points))


def written_answer(grade_id: str, points: float, solution_text: str) -> dict:
    """A markdown answer cell, graded by hand; the model answer is removed on release."""
    text = "### BEGIN SOLUTION\n" + _clean(solution_text) + "\n### END SOLUTION"
    return _cell(
        "markdown", text, _metadata(grade_id, grade=True, solution=True, points=points)
    )


def write_notebook(cells: list[dict], path: str | Path) -> Path:
    """Writes an nbformat 4.5 notebook with unique grade_ids and stable cell ids."""
    seen = set()
    for index, cell in enumerate(cells):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            if grade_id in seen:
                raise ValueError(f"duplicate grade_id {grade_id!r}")
            seen.add(grade_id)
        cell["id"] = grade_id or f"cell-{index:03d}"
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = Path(path)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return path
