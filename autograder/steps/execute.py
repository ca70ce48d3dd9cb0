"""Runs the sanitized notebook in a worker process, inside a `Jail`, with time and memory limits.

Each submission gets a fresh grader-private folder. Inside it, the jail's folder `box/`
holds the throwaway working directory (the assignment's data files, HOME and TMPDIR) and a
kernelspec pointing at the grader's own Python; it is the only writable path the worker and
kernel have (see `sandbox.Jail`: bubblewrap with an allow-list file system where available).
The worker gets the notebook through its stdin (no file with hidden tests is written), runs
it with nbclient, and sends the executed notebook back through an inherited pipe; this step
reads at most `config.max_result_mb` of it and keeps only the tail of the worker's and
kernel's stderr. The jail caps memory (a cgroup when the grader is root, else a resident
memory watchdog); a run past `timeout` (plus a grace period for the worker's own clean-up)
ends the jail, which kills every process in it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .. import paths
from ..sandbox import SLOTS, Jail, SandboxUnavailable
from .base import Step

KERNEL_NAME = "ssl-keras-grader"


class Execute(Step):
    """Options:
        poll_interval: seconds between checks of the worker.
        grace: seconds the worker gets past `timeout` to report before it is killed.
        keep_log: bytes kept from the end of the worker's and kernel's raw stderr
            (grader-private).
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
            with SLOTS.slot() as slot:
                self._run_in(private, slot, submission, assignment, config)
        finally:
            shutil.rmtree(private, ignore_errors=True)

    def _run_in(self, private, slot, submission, assignment, config):
        box = private / "box"
        workdir = box / "run"
        (workdir / "tmp").mkdir(parents=True)
        for path in assignment.data_files:
            target = workdir / path.name
            if path.is_dir():
                shutil.copytree(path, target)
            else:
                shutil.copy2(path, target)
        jupyter = box / "jupyter"
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
        try:
            jail = Jail(config, slot=slot, workdir=box, memory_mb=config.memory_mb,
                        pids_max=getattr(config, "pids_max", 512),
                        hidden=[assignment.source.path.parent],
                        readable=compilation_cache_paths(config))
        except SandboxUnavailable as error:
            submission.execution = {
                "sandbox": "unavailable",
                "isolation": str(error),
                "events": [{"kind": "sandbox_failed", "message": str(error)}],
            }
            return
        try:
            info = self._run_jailed(jail, submission, config, workdir, jupyter)
        finally:
            jail.close()
        submission.execution = info

    def _run_jailed(self, jail, submission, config, workdir, jupyter) -> dict:
        env = kernel_environment(config, workdir, jupyter)
        request = {
            "notebook": submission.notebook,
            "workdir": str(workdir),
            "kernel_name": KERNEL_NAME,
            "cell_timeout": config.cell_timeout,
            "locked_cell_timeout": getattr(config, "locked_cell_timeout", config.cell_timeout),
            "timeout": config.timeout,
            "startup_timeout": config.startup_timeout,
            "output_cell_kb": getattr(config, "output_cell_kb", 256.0),
            "output_image_kb": getattr(config, "output_image_kb", 2048.0),
            "output_notebook_mb": getattr(config, "output_notebook_mb", 16.0),
        }
        read_fd, write_fd = os.pipe()
        log_read, log_write = os.pipe()
        try:
            process = jail.popen(
                [sys.executable, str(paths.PACKAGE_DIR / "worker.py"), str(write_fd)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=log_write,
                stderr=log_write,
                pass_fds=(write_fd,),
                cwd=workdir,
            )
        finally:
            os.close(write_fd)
            os.close(log_write)
        limit = int(getattr(config, "max_result_mb", 64.0) * 2**20)
        result_reader = _BoundedReader(read_fd, limit=limit, keep="head")
        log_reader = _BoundedReader(log_read, limit=self.keep_log, keep="tail")
        started = time.monotonic()
        try:
            process.stdin.write(json.dumps(request).encode("utf-8"))
            process.stdin.close()
        except OSError:
            pass
        info = {"sandbox": jail.mode, "isolation": jail.protects}
        info.update(self._watch(process, config, started, result_reader))
        info.update(jail.usage())
        info["peak_kernel_mb"] = info["peak_memory_mb"]  # the name earlier results used
        jail.close()  # every process of the run, before reading what is left of the pipes
        result_reader.join(timeout=30)
        log_reader.join(timeout=5)
        info["seconds"] = round(time.monotonic() - started, 2)
        if self.keep_log:
            info["log_tail"] = log_reader.data().decode("utf-8", "replace")
        result = None
        if result_reader.overflowed:
            info["result_too_large"] = True
        else:
            try:
                result = json.loads(result_reader.data().decode("utf-8"))
            except ValueError:
                result = None
        if result is None:
            kind = info.get("killed") or "worker_error"
            event = {"kind": kind, "cell": None}
            if result_reader.overflowed:
                event["message"] = (f"the executed notebook is larger than the "
                                    f"{limit / 2**20:.0f} MB the grader reads back")
            info["events"] = [event]
        else:
            import nbformat

            submission.executed = nbformat.from_dict(result["notebook"])
            info["events"] = result["events"]
        return info

    def _watch(self, process, config, started, result_reader) -> dict:
        """Waits for the worker; past `timeout + grace` (or a result over the limit) it
        stops waiting and the caller closes the jail."""
        info = {}
        while process.poll() is None:
            if time.monotonic() - started > config.timeout + self.grace:
                info["killed"] = "notebook_timeout"
                break
            if result_reader.overflowed:
                info["killed"] = "worker_error"
                break
            time.sleep(self.poll_interval)
        return info


class _BoundedReader(threading.Thread):
    """Drains a pipe in a thread, keeping at most `limit` bytes: the first ones
    (`keep="head"`, and it stops reading past the limit, so the writer gets EPIPE) or the
    last ones (`keep="tail"`, the rest is read and dropped)."""

    def __init__(self, fd: int, *, limit: int, keep: str):
        super().__init__(daemon=True)
        self.fd = fd
        self.limit = limit
        self.keep = keep
        self.overflowed = False
        self._chunks: list[bytes] = []
        self._size = 0
        self.start()

    def run(self):
        with os.fdopen(self.fd, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(1 << 16)
                if not chunk:
                    break
                self._chunks.append(chunk)
                self._size += len(chunk)
                if self._size <= self.limit:
                    continue
                if self.keep == "head":
                    self.overflowed = True
                    self._chunks = []
                    break
                joined = b"".join(self._chunks)[-self.limit:]
                self._chunks, self._size = [joined], len(joined)

    def data(self) -> bytes:
        return b"".join(self._chunks)


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
        # the notebooks' install cell never installs here: the kernel has the package
        "SSL_KERAS_NO_INSTALL": "1",
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
    if config.compilation_cache_dir:
        # XLA programs compiled once by the grader on the solutions, read-only for every
        # submission (a write fails quietly: no submission can change what another loads)
        env.update({
            "JAX_COMPILATION_CACHE_DIR": str(config.compilation_cache_dir),
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
            # no XLA-internal cache under the folder: its path would enter every key
            "JAX_PERSISTENT_CACHE_ENABLE_XLA_CACHES": "none",
        })
    env.update({str(key): str(value) for key, value in config.extra_env.items()})
    return env


def compilation_cache_paths(config) -> list:
    """The shared compilation cache, bound read-only into a sandbox (none: empty list)."""
    return [Path(config.compilation_cache_dir)] if config.compilation_cache_dir else []
