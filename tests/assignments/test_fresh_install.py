"""A student's path, end to end: a fresh virtual environment, the notebook's install cell,
and every notebook's solution version top to bottom, from a folder outside the repository.

The environment starts with only what a Jupyter front end brings (`ipykernel`); the course
package and its dependencies come from the notebooks' own install cell, pointed (as
`release --install-url` would) at a wheel built from this checkout, the dependencies from
PyPI. It is deliberately *not* created with `--system-site-packages`: the point is to find
a dependency the package forgot to declare. Slow (downloads the backend once, then runs
every assignment `release --all` releases): `pytest -m slow -s
tests/assignments/test_fresh_install.py` prints each notebook's wall time.

With the torch backend the install cell takes torch from PyTorch's CPU index (no GPU
here): the test points it (`SSL_KERAS_TORCH_INDEX`) at a local index holding the CPU build
of the torch this environment runs, and checks that no CUDA library came with it.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import keras
import pytest
from ssl_keras_autograder import paths, release

REPOSITORY = Path(__file__).resolve().parents[2]
TIMINGS: dict = {}
STARTED: list = []  # notebooks run so far: the first one installs


@pytest.fixture(scope="module")
def fresh_kernel(tmp_path_factory):
    """(kernel name, wheel URL, folder) of an ipykernel-only virtualenv outside the repo."""
    root = tmp_path_factory.mktemp("fresh-install")
    assert REPOSITORY not in root.parents
    environment = root / "venv"
    start = time.perf_counter()
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "ipykernel"], check=True,
                   timeout=900)
    TIMINGS["(virtualenv with ipykernel)"] = round(time.perf_counter() - start, 1)
    probe = subprocess.run([python, "-c", "import importlib.util as u; print("
                            "u.find_spec('ssl_keras'), u.find_spec('keras'))"],
                           capture_output=True, text=True, cwd=root, check=True,
                           env=_clean_environment())
    assert probe.stdout.split() == ["None", "None"], probe.stdout  # really fresh
    kernels = root / "jupyter" / "kernels" / "fresh"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv", "language": "python",
    }))
    start = time.perf_counter()
    wheel = release.build_wheel(root / "wheel")
    TIMINGS["(the course wheel)"] = round(time.perf_counter() - start, 1)
    yield "fresh", wheel.as_uri(), root
    print("\nfresh-install wall time per notebook (s):", json.dumps(TIMINGS, indent=1))


def _clean_environment() -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep)
                                  if not part.startswith(str(REPOSITORY)))
    return env


def _torch_cpu_index(root: Path) -> str | None:
    """A PEP 503 index (file URL) of this environment's CPU torch and its dependencies."""
    version = importlib.metadata.version("torch")
    if "+cpu" not in version:
        return None  # the install cell then uses PyTorch's own CPU index
    wheels, index = root / "torch-cpu-wheels", root / "torch-cpu-index"
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheels),
                    f"torch=={version}"], check=True, timeout=1800)
    projects: dict[str, list[Path]] = {}
    for path in sorted(wheels.iterdir()):
        name = re.match(r"(.+?)-\d", path.name).group(1)
        projects.setdefault(re.sub(r"[-_.]+", "-", name).lower(), []).append(path)
    for project, files in projects.items():
        (index / project).mkdir(parents=True)
        links = "".join(f'<a href="{path.as_uri()}">{path.name}</a>\n' for path in files)
        (index / project / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
    return index.as_uri()


def _installed(python: Path, root: Path) -> dict[str, str]:
    """{distribution: version} of the fresh environment."""
    script = ("import importlib.metadata as m, json; print(json.dumps({d.metadata['Name']."
              "lower(): d.version for d in m.distributions()}))")
    result = subprocess.run([python, "-c", script], capture_output=True, text=True, cwd=root,
                            check=True, env=_clean_environment())
    return json.loads(result.stdout)


def test_the_fresh_install_runs_every_released_assignment():
    """`release --all` releases what paths.ASSIGNMENTS lists: every folder with a
    make_notebook.py, so a new assignment is in the parametrization below."""
    folders = {path.parent.name for path in paths.ASSIGNMENTS_DIR.glob("*/make_notebook.py")}
    assert set(paths.ASSIGNMENTS) == folders
    assert paths.available_assignments() == list(paths.ASSIGNMENTS)


def _cell_seconds(notebook, grade_id: str) -> float:
    """How long the cell ran (nbclient's timing record)."""
    from datetime import datetime

    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") == grade_id)
    stamps = cell.metadata["execution"]
    began, ended = (datetime.fromisoformat(stamps[key].replace("Z", "+00:00"))
                    for key in ("iopub.status.busy", "shell.execute_reply"))
    return (ended - began).total_seconds()


def _install_output(notebook) -> str:
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get(
        "grade_id") == release.INSTALL_GRADE_ID)
    return "".join(output.get("text", "") for output in cell.outputs)


@pytest.mark.slow
@pytest.mark.parametrize("name", paths.ASSIGNMENTS)
def test_solution_runs_after_only_the_install_cell(fresh_kernel, name, monkeypatch):
    import nbclient
    import nbformat

    kernel_name, wheel_url, root = fresh_kernel
    folder = root / "students" / name
    folder.mkdir(parents=True)
    source = paths.source_notebook(name)
    for path in paths.data_files(source.parent):
        (shutil.copytree if path.is_dir() else shutil.copy2)(path, folder / path.name)
    content = release.set_install_url(json.loads(source.read_text()), wheel_url)
    notebook = nbformat.from_dict(content)
    for key in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in _clean_environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("JUPYTER_PATH", str(root / "jupyter"))
    monkeypatch.setenv("SSL_KERAS_FAST", "1")
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    monkeypatch.delenv("MPLBACKEND", raising=False)  # a student's kernel: inline plots
    backend = keras.backend.backend()
    first = not STARTED
    if backend == "torch":
        # this machine's pip configuration files may name more indexes (a mirror with PyPI's
        # CUDA build, newer than the CPU one, would win); a student's name none
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        if first:
            index = _torch_cpu_index(root)
            if index:
                monkeypatch.setenv("SSL_KERAS_TORCH_INDEX", index)
    STARTED.append(name)
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=1800, kernel_name=kernel_name).execute(
        cwd=str(folder))
    TIMINGS[name] = round(time.perf_counter() - start, 1)
    install = _cell_seconds(notebook, release.INSTALL_GRADE_ID)
    TIMINGS[f"{name}: install cell"] = round(install, 1)
    print(f"\n{name}: {TIMINGS[name]} s, of which the install cell {install:.1f} s "
          f"({'with' if first else 'no'} installation)")
    output = _install_output(notebook)
    assert ("Installing ssl_keras" in output) == first, output
    assert f"Keras backend {backend}" in output
    assert "restart" not in output.lower()
    if first and backend == "torch":
        installed = _installed(root / "venv" / "bin" / "python", root)
        assert "+cpu" in installed["torch"], installed["torch"]
        assert not [name for name in installed if name.startswith("nvidia")], installed
