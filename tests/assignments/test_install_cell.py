"""The install cell every released notebook starts with, and what released notebooks name.

The cell's logic is executed here with pip replaced by a recorder and the installed
version of ssl_keras chosen by the test: it must call pip exactly when the package is
missing or too old, with the requirement a student's `%pip install` would use, and never
where installing is forbidden (the grader's kernels).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import pytest
from ssl_keras_autograder import notebook as nb
from ssl_keras_autograder import paths, release

from tests.assignments.source_notebooks import committed_cells

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"
sys.path.insert(0, str(ASSIGNMENTS))
import notebook_builder  # noqa: E402

NAMES = paths.ASSIGNMENTS
VERSION = notebook_builder.package_version()
# What students do not have: the repository's folders and scripts, shell-only advice.
REPOSITORY_ONLY = re.compile(
    r"benchmarks/|scripts/|tests/|autograder/|assignments/|\.\./shared|ssl-keras pretrain"
    r"|before\s+starting\s+Jupyter|jupyter\s+lab|pip\s+install\s+-e",
    re.IGNORECASE,
)


def install_source(url: str = notebook_builder.INSTALL_URL_PLACEHOLDER) -> str:
    cell = notebook_builder.install()
    if url != notebook_builder.INSTALL_URL_PLACEHOLDER:
        notebook = release.set_install_url({"cells": [cell]}, url)
        return notebook["cells"][0]["source"]
    return cell["source"]


class FakeEnvironment:
    """pip and the installed version of ssl_keras, as the install cell sees them."""

    def __init__(self, monkeypatch, installed: str | None, returncode: int = 0):
        self.installed = installed
        self.returncode = returncode
        self.calls = []
        real_version = importlib.metadata.version

        def version(name):
            if name != "ssl_keras":
                return real_version(name)
            if self.installed is None:
                raise importlib.metadata.PackageNotFoundError(name)
            return self.installed

        def run(argv, **kwargs):
            self.calls.append(list(argv))
            if self.returncode == 0:
                self.installed = VERSION
            return subprocess.CompletedProcess(argv, self.returncode, "pip said", "no")

        monkeypatch.setattr(importlib.metadata, "version", version)
        monkeypatch.setattr(subprocess, "run", run)
        monkeypatch.delenv("SSL_KERAS_NO_INSTALL", raising=False)


def run_cell(source: str) -> dict:
    namespace = {"__name__": "__main__"}
    exec(compile(source, "<install cell>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name", NAMES)
def test_every_notebook_starts_with_the_builders_install_cell(name):
    code_cells = [cell for cell in committed_cells(name) if cell["cell_type"] == "code"]
    first = code_cells[0]
    assert first["id"] == "install"
    assert first["metadata"]["nbgrader"]["locked"] and not first["metadata"]["nbgrader"]["grade"]
    assert "".join(first["source"]) == notebook_builder.install()["source"]
    assert f'VERSION = "{VERSION}"' in "".join(first["source"])
    # the backend is picked here, before any other cell can import Keras
    assert not any("import keras" in line for line in "".join(first["source"]).splitlines())


@pytest.mark.parametrize("name", NAMES)
def test_released_text_names_no_repository_file(name):
    """What a student sees (solutions and hidden tests removed) names nothing they lack."""
    notebook = nb.SourceNotebook.load(name, paths.source_notebook(name))
    found = [
        (nb.grade_id(cell) or index, match.group(0))
        for index, cell in enumerate(notebook.cells)
        for match in REPOSITORY_ONLY.finditer(nb.student_version(cell))
    ]
    assert not found, found


def test_the_repository_path_pattern_catches_what_it_should():
    text = "as `benchmarks/mae_digits.py` does; set it before starting Jupyter; ssl-keras pretrain"
    assert len(REPOSITORY_ONLY.findall(text)) == 3
    assert not REPOSITORY_ONLY.search("the course's MAE benchmark; `%env KERAS_BACKEND=torch`")


def test_installed_package_is_a_no_op(monkeypatch, capsys):
    fake = FakeEnvironment(monkeypatch, installed=VERSION)
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    run_cell(install_source("git+https://example.org/course/ssl_keras.git"))
    assert fake.calls == []
    out = capsys.readouterr().out
    assert "restart" not in out.lower()
    assert f"Keras backend {keras.backend.backend()}" in out


def test_a_later_patch_release_is_compatible(monkeypatch):
    major, minor, *_ = VERSION.split(".")
    fake = FakeEnvironment(monkeypatch, installed=f"{major}.{minor}.99")
    run_cell(install_source("git+https://example.org/course/ssl_keras.git"))
    assert fake.calls == []


@pytest.mark.parametrize("backend", ["jax", "torch", "tensorflow"])
def test_missing_package_is_installed_with_the_backend_extra(monkeypatch, capsys, backend):
    fake = FakeEnvironment(monkeypatch, installed=None)
    monkeypatch.setenv("KERAS_BACKEND", backend)
    url = "git+https://example.org/course/ssl_keras.git@v1"
    run_cell(install_source(url))
    assert fake.calls == [[sys.executable, "-m", "pip", "install", "--quiet",
                           f"ssl_keras[{backend}] @ {url}"]]
    assert "Installed." in capsys.readouterr().out


class TorchMissing:
    """torch not installed, on `platform`, with or without an NVIDIA GPU."""

    def __init__(self, monkeypatch, platform: str = "linux", gpu: bool = False):
        real_find_spec, real_exists = importlib.util.find_spec, os.path.exists
        monkeypatch.setattr(sys, "platform", platform)
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None if (
            name == "torch") else real_find_spec(name, *args))
        monkeypatch.setattr(os.path, "exists", lambda path: gpu if (
            path == "/proc/driver/nvidia") else real_exists(path))
        monkeypatch.setattr(shutil, "which", lambda name, *args: None)
        monkeypatch.setenv("KERAS_BACKEND", "torch")
        monkeypatch.delenv("SSL_KERAS_TORCH_INDEX", raising=False)


PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PIP = [sys.executable, "-m", "pip", "install", "--quiet"]


def test_torch_without_a_gpu_comes_from_pytorchs_cpu_index(monkeypatch, capsys):
    """PyPI's Linux torch brings several GB of CUDA libraries a laptop cannot use."""
    fake = FakeEnvironment(monkeypatch, installed=None)
    TorchMissing(monkeypatch)
    url = "git+https://example.org/course/ssl_keras.git"
    run_cell(install_source(url))
    assert fake.calls == [[*PIP, "torch", "--index-url", PYTORCH_CPU_INDEX],
                          [*PIP, f"ssl_keras[torch] @ {url}"]]
    assert f"Installing torch --index-url {PYTORCH_CPU_INDEX}" in capsys.readouterr().out


@pytest.mark.parametrize("platform, gpu, index", [
    ("linux", True, None),  # a GPU: PyPI's CUDA build is what it needs
    ("darwin", False, None),  # PyPI's macOS and Windows builds have no CUDA
    ("win32", False, None),
    ("linux", False, ""),  # the student switched the CPU index off
])
def test_torch_comes_from_pypi_where_its_build_fits(monkeypatch, platform, gpu, index):
    fake = FakeEnvironment(monkeypatch, installed=None)
    TorchMissing(monkeypatch, platform, gpu)
    if index is not None:
        monkeypatch.setenv("SSL_KERAS_TORCH_INDEX", index)
    url = "git+https://example.org/course/ssl_keras.git"
    run_cell(install_source(url))
    assert fake.calls == [[*PIP, f"ssl_keras[torch] @ {url}"]]


def test_a_course_mirror_of_the_cpu_index_is_used(monkeypatch):
    fake = FakeEnvironment(monkeypatch, installed=None)
    TorchMissing(monkeypatch)
    monkeypatch.setenv("SSL_KERAS_TORCH_INDEX", "https://mirror.example.org/torch-cpu")
    run_cell(install_source("git+https://example.org/course/ssl_keras.git"))
    assert fake.calls[0] == [*PIP, "torch", "--index-url", "https://mirror.example.org/torch-cpu"]


def test_an_unreachable_cpu_index_says_how_to_do_without(monkeypatch, capsys):
    fake = FakeEnvironment(monkeypatch, installed=None, returncode=1)
    TorchMissing(monkeypatch)
    with pytest.raises(RuntimeError, match="SSL_KERAS_TORCH_INDEX="):
        run_cell(install_source("git+https://example.org/course/ssl_keras.git"))
    assert len(fake.calls) == 1  # the course package is not tried after torch failed


def test_an_older_version_is_upgraded(monkeypatch):
    fake = FakeEnvironment(monkeypatch, installed="0.0.1")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    run_cell(install_source("https://example.org/ssl_keras-9-py3-none-any.whl"))
    assert fake.calls[0][-1] == "ssl_keras[jax] @ https://example.org/ssl_keras-9-py3-none-any.whl"


def test_a_wheel_beside_the_notebook_is_installed_by_its_absolute_path(
        monkeypatch, tmp_path):
    fake = FakeEnvironment(monkeypatch, installed=None)
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.chdir(tmp_path)
    run_cell(install_source("ssl_keras-0.1.0-py3-none-any.whl"))
    assert fake.calls[0][-1] == str(tmp_path / "ssl_keras-0.1.0-py3-none-any.whl") + "[jax]"


def test_the_backend_defaults_to_jax(monkeypatch):
    FakeEnvironment(monkeypatch, installed=VERSION)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    namespace = run_cell(install_source())
    assert namespace["BACKEND"] == "jax"
    import os

    assert os.environ["KERAS_BACKEND"] == "jax"


def test_keras_imported_with_another_backend_asks_for_a_restart(monkeypatch, capsys):
    FakeEnvironment(monkeypatch, installed=VERSION)
    other = next(b for b in ("jax", "torch", "tensorflow") if b != keras.backend.backend())
    monkeypatch.setenv("KERAS_BACKEND", other)
    run_cell(install_source())
    out = capsys.readouterr().out
    assert f"with the {keras.backend.backend()} backend, not {other}" in out
    assert "restart the kernel" in out


def test_grading_kernels_never_install(monkeypatch):
    fake = FakeEnvironment(monkeypatch, installed=None)
    monkeypatch.setenv("SSL_KERAS_NO_INSTALL", "1")
    with pytest.raises(RuntimeError, match="SSL_KERAS_NO_INSTALL"):
        run_cell(install_source("git+https://example.org/course/ssl_keras.git"))
    assert fake.calls == []


def test_grading_kernels_are_told_not_to_install():
    from ssl_keras_autograder.config import GradeConfig
    from ssl_keras_autograder.steps.execute import kernel_environment

    env = kernel_environment(GradeConfig(), Path("/tmp/work"), Path("/tmp/jupyter"))
    assert env["SSL_KERAS_NO_INSTALL"] == "1"


def test_an_unreleased_notebook_says_whom_to_ask(monkeypatch):
    fake = FakeEnvironment(monkeypatch, installed=None)
    with pytest.raises(RuntimeError, match="instructor"):
        run_cell(install_source())
    assert fake.calls == []


def test_a_failing_pip_is_reported(monkeypatch, capsys):
    FakeEnvironment(monkeypatch, installed=None, returncode=1)
    with pytest.raises(RuntimeError, match="pip could not install"):
        run_cell(install_source("git+https://example.org/course/ssl_keras.git"))
    assert "pip said" in capsys.readouterr().out


def test_release_and_builder_share_the_placeholder():
    assert release.INSTALL_URL_PLACEHOLDER == notebook_builder.INSTALL_URL_PLACEHOLDER
    assert release.INSTALL_GRADE_ID == notebook_builder.INSTALL_GRADE_ID


def test_set_install_url_rewrites_only_the_install_line():
    notebook = json.loads((ASSIGNMENTS / "temperature" / "temperature.ipynb").read_text())
    before = [cell["source"] for cell in notebook["cells"]]
    url = "git+https://example.org/course/ssl_keras.git"
    release.set_install_url(notebook, url)
    after = [cell["source"] for cell in notebook["cells"]]
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(changed) == 1
    assert f'INSTALL_URL = "{url}"' in after[changed[0]]
    assert notebook_builder.INSTALL_URL_PLACEHOLDER not in after[changed[0]]
    with pytest.raises(ValueError, match="placeholder"):
        release.set_install_url(notebook, url)  # already set
    for bad in ('x" ; import os', "a b", "a\\b"):
        with pytest.raises(ValueError, match="cannot contain"):
            release.set_install_url(json.loads(json.dumps(notebook)), bad)
    with pytest.raises(ValueError, match="no install cell"):
        release.set_install_url({"cells": []}, url)


@pytest.mark.parametrize("url, wheel, expected", [
    ("git+https://example.org/c.git", False, "git+https://example.org/c.git"),
    ("https://example.org/course/", True, "https://example.org/course/ssl_keras-9-py3-none-any.whl"),
    (None, True, "ssl_keras-9-py3-none-any.whl"),
    (None, False, None),
])
def test_release_points_the_install_cell_at_the_url_or_the_wheel(
        monkeypatch, tmp_path, url, wheel, expected):
    """How `release` composes the address (the nbgrader run, its leak check and the build
    are stubbed)."""
    from ssl_keras_autograder.__main__ import parser

    seen = []

    def generate(name, source, out, data_files=(), install_url=None):
        seen.append(install_url)
        (out / name).mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(source, out / name / f"{name}.ipynb"))

    def build_wheel(out):
        return Path(shutil.copy2(__file__, out / "ssl_keras-9-py3-none-any.whl"))

    monkeypatch.setattr(release, "generate", generate)
    monkeypatch.setattr(release, "build_wheel", build_wheel)
    monkeypatch.setattr(release, "find_leaks", lambda source, released: [])
    argv = ["release", "temperature", "--out", str(tmp_path)]
    argv += ["--install-url", url] if url else []
    argv += ["--wheel"] if wheel else []
    args = parser().parse_args(argv)
    assert (args.install_url, args.wheel) == (url, wheel)
    written = release.release_assignments(["temperature"], tmp_path, None, False,
                                          args.install_url, args.wheel)
    assert seen == [expected]
    assert ((tmp_path / "temperature" / "ssl_keras-9-py3-none-any.whl") in written) == wheel
