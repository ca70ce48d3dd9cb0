"""Runs the sanitized notebook in a worker process with time and memory limits.

Each submission gets a fresh private folder holding only the throwaway working directory
(the assignment's data files, HOME and TMPDIR) and a kernelspec pointing at the grader's
own Python. The worker gets the notebook through a pipe (no file with hidden tests is
written), runs it with nbclient in the working directory, and sends the executed notebook
back through another pipe. This step watches the worker's process tree: the kernel's
resident memory above `memory_mb` kills the kernel; a run past `timeout` (plus a grace
period for the worker's own clean-up) kills the worker, the kernel and their children.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from .. import paths
from .base import Step

KERNEL_NAME = "ssl-keras-grader"


class Execute(Step):
    """Options:
        poll_interval: seconds between memory checks.
        grace: seconds the worker gets past `timeout` to report before it is killed.
        keep_log: keep the tail of the worker's and kernel's raw stderr (grader-private).
    """

    phase = "execute"
    poll_interval = 0.2
    grace = 30.0
    keep_log = 20_000

    def run(self, submission, assignment, config):
        if submission.notebook is None:
            return
        root = config.work_root
        private = Path(tempfile.mkdtemp(prefix=f"{submission.student}-", dir=root))
        try:
            self._run_in(private, submission, assignment, config)
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def _run_in(self, private, submission, assignment, config):
        workdir = private / "run"
        (workdir / "tmp").mkdir(parents=True)
        for path in assignment.data_files:
            target = workdir / path.name
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                shutil.copy2(path, target)
        jupyter = private / "jupyter"
        kernel_dir = jupyter / "kernels" / KERNEL_NAME
        kernel_dir.mkdir(parents=True)
        (kernel_dir / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "ssl_keras grader",
                    "language": "python",
                }
            )
        )
        env = kernel_environment(config, workdir, jupyter)
        request = {
            "notebook": submission.notebook,
            "workdir": str(workdir),
            "kernel_name": KERNEL_NAME,
            "cell_timeout": config.cell_timeout,
            "timeout": config.timeout,
            "startup_timeout": config.startup_timeout,
            "sandbox": config.sandbox,
            "private": str(private),
            "hidden": hidden_paths(assignment, config, private),
            "restore": restored_paths(),
        }
        read_fd, write_fd = os.pipe()
        log_path = private / "worker.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(paths.PACKAGE_DIR / "worker.py"), str(write_fd)],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                pass_fds=(write_fd,),
                env=env,
                cwd=private,
                start_new_session=True,
            )
        os.close(write_fd)
        chunks = []
        reader = threading.Thread(target=_read_all, args=(read_fd, chunks), daemon=True)
        reader.start()
        started = time.monotonic()
        try:
            process.stdin.write(json.dumps(request).encode("utf-8"))
            process.stdin.close()
        except OSError:
            pass
        info = self._watch(process, config, started)
        reader.join(timeout=30)
        info["seconds"] = round(time.monotonic() - started, 2)
        if self.keep_log:
            info["log_tail"] = log_path.read_bytes()[-self.keep_log :].decode("utf-8", "replace")
        try:
            result = json.loads(b"".join(chunks).decode("utf-8"))
        except ValueError:
            result = None
        if result is None:
            info["events"] = [{"kind": info.get("killed") or "worker_error", "cell": None}]
        else:
            import nbformat

            submission.executed = nbformat.from_dict(result["notebook"])
            info["events"] = result["events"]
            info["sandbox"] = result.get("sandbox", "off")
        submission.execution = info

    def _watch(self, process, config, started) -> dict:
        info = {"peak_kernel_mb": 0.0}
        limit = config.memory_mb * 2**20
        seen = {}
        try:
            worker = psutil.Process(process.pid)
        except psutil.Error:
            worker = None
        while process.poll() is None:
            if time.monotonic() - started > config.timeout + self.grace:
                info["killed"] = "notebook_timeout"
                break
            descendants = []
            if worker is not None:
                try:
                    descendants = worker.children(recursive=True)
                except psutil.Error:
                    descendants = []
            rss = 0
            for child in descendants:
                try:
                    seen.setdefault(child.pid, child)
                    rss += child.memory_info().rss
                except psutil.Error:
                    pass
            info["peak_kernel_mb"] = max(info["peak_kernel_mb"], round(rss / 2**20, 1))
            if rss > limit and "memory_killed" not in info:
                info["memory_killed"] = True
                _kill(descendants)
            time.sleep(self.poll_interval)
        # the worker, the kernel and anything they started (even if orphaned) go
        _kill(list(seen.values()) + ([worker] if worker is not None else []))
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        return info


def _read_all(fd, chunks):
    with os.fdopen(fd, "rb") as pipe:
        while True:
            chunk = pipe.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)


def _kill(processes) -> None:
    for process in processes:
        try:
            if process.is_running():
                process.kill()
        except psutil.Error:
            pass


def hidden_paths(assignment, config, private: Path) -> list[str]:
    """What the kernel must not see: everything the grader knows beyond the notebook.

    A path that holds something the kernel needs (Python, the packages) cannot be hidden
    and is left out; the kernel's own folder is mounted back inside a hidden one.
    """
    candidates = [
        "/tmp",  # other users of the machine, earlier runs
        "/var/tmp",
        tempfile.gettempdir(),
        "/dev/shm",  # a fresh one: no shared memory with other kernels
        config.work_root,  # the other submissions' folders
        assignment.source.path.parent,  # the source notebook: solutions, hidden tests
        paths.REFERENCES_DIR,
        paths.PACKAGE_DIR / "fixtures",
        paths.REPOSITORY_DIR / ".git",
        paths.REPOSITORY_DIR / "tests",
        paths.ASSIGNMENTS_DIR,
        Path.home(),
        *config.hidden_paths,
    ]
    needed = [Path(sys.prefix), Path(sys.executable).resolve().parent, paths.PACKAGE_DIR / "checks"]
    spec = importlib.util.find_spec("ssl_keras")
    if spec is not None and spec.origin:
        needed.append(Path(spec.origin).parent)
    temporary = {Path(folder).resolve() for folder in ("/tmp", "/var/tmp", tempfile.gettempdir())}
    hidden = []
    for candidate in candidates:
        if candidate is None:
            continue
        candidate = Path(candidate).resolve()
        # a temporary folder is hidden even when the repository or the venv lies in it:
        # the worker mounts `restored_paths()` back inside it
        if candidate not in temporary and any(
            _within(path.resolve(), candidate) for path in needed
        ):
            continue
        if str(candidate) not in hidden:
            hidden.append(str(candidate))
    return hidden


def restored_paths() -> list[str]:
    """What the kernel needs even where it lies inside a hidden temporary folder (a
    repository cloned into /tmp): the Python environment, ssl_keras and the checks
    package. Hidden paths inside them (references, fixtures) stay hidden."""
    needed = [Path(sys.prefix), paths.PACKAGE_DIR]
    spec = importlib.util.find_spec("ssl_keras")
    if spec is not None and spec.origin:
        needed.append(Path(spec.origin).parent)
    return [str(path.resolve()) for path in needed]


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def kernel_environment(config, workdir: Path, jupyter: Path) -> dict:
    """The only variables the worker and kernel see (the grader's environment is not passed)."""
    bin_dir = str(Path(sys.executable).parent)
    threads = str(config.threads_per_kernel)
    env = {
        "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(workdir),
        "TMPDIR": str(workdir / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "KERAS_BACKEND": config.backend,
        "PYTHONWARNINGS": "ignore",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "MPLBACKEND": "Agg",
        "PYTHONNOUSERSITE": "1",
        "JUPYTER_PATH": str(jupyter),
        "JUPYTER_DATA_DIR": str(jupyter),
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": str(workdir / ".ipython"),
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
    }
    if config.fast:
        env["SSL_KERAS_FAST"] = "1"
    env.update({str(key): str(value) for key, value in config.extra_env.items()})
    return env
