"""Judges the answers in a process of their own, the only source of a test cell's points.

After the notebook has run (for its plots and visible checks), `Judge` starts
`autograder/judge.py` in a fresh sandbox of its own (no process of the student's kernel
can reach it) and sends it the assignment's setup cells, the student's own code cells and
then, one task at a time, the task's cases, stand-ins and forbidden names. It reads one
answer per task over a pipe only it holds, and sends the next task only after reading the
previous answer. Nothing the kernel printed is read.

`judge_notebook` is also what calibrates a batch: the source notebook's solutions are
judged once before any submission (they must pass every task, or the grader is broken),
and each task's time limit is `max(config.judge_floor, config.judge_factor x the
solution's time)` on this machine, as loaded as it is.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import notebook as nb
from .. import paths
from ..judging import task_requests
from ..sandbox import SLOTS, Jail
from .base import Step

GRACE = 15.0  # seconds the grader waits past a task's limit (the judge kills the task itself)


class Judge(Step):
    """Options:
        memory_mb: memory of the judge's process tree (None: the kernel's `memory_mb`).
    """

    phase = "execute"  # after Execute: judged once the notebook has run
    memory_mb = None

    def run(self, submission, assignment, config):
        if submission.notebook is None or submission.failure or assignment.judge is None:
            return
        answers, info = judge_notebook(submission.notebook, assignment, config,
                                       memory_mb=self.memory_mb)
        submission.judged = answers
        submission.judging = info


def student_cells(notebook) -> list:
    """[label, source, is_answer_cell] of the student's own code cells (not locked, not
    tests), in notebook order; answer cells carry the source's solution metadata (restored
    by RestoreCells, never trusted from the submission)."""
    cells = []
    for position, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code" or nb.is_locked(cell):
            continue
        label = nb.grade_id(cell) or f"cell {position + 1}"
        answer = bool(nb.grade_id(cell) and nb.is_solution(cell))
        cells.append([label, cell.get("source", ""), answer])
    return cells


def _frame(payload) -> bytes:
    body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return struct.pack("<Q", len(body)) + body


def judge_notebook(notebook, assignment, config, memory_mb=None,
                   fill_cache: str | None = None) -> tuple[dict, dict]:
    """({task: answer}, {how it ran}) for one notebook; see the module docstring.

    `fill_cache`: a folder that receives the XLA programs this run compiles (only for the
    grader's own run of the solutions; submissions read the cache, never write it).
    """
    spec = assignment.judge
    setup = [cell.source for cell in assignment.source.cells if nb.grade_id(cell) in spec.setup]
    limits = {task: config.judge_limits.get(task, max(config.judge_floor, 120.0))
              for task in spec.tasks.values()}
    header = {
        "setup": setup,
        "cells": student_cells(notebook),
        "tasks": list(spec.tasks.values()),
        "checks_module": _importable(spec.checks_module),
    }
    requests = task_requests(spec)
    for request in requests:
        request["timeout"] = limits[request["task"]]
    private = Path(tempfile.mkdtemp(prefix="judge-", dir=config.work_root))
    workdir = private / "run"
    (workdir / "tmp").mkdir(parents=True)
    slot = SLOTS.acquire()
    answers, info = {}, {"started": time.time()}
    jail = None
    try:
        jail, process, read_fd = _start(config, private, workdir, slot, memory_mb, fill_cache)
        info["sandbox"] = getattr(jail, "mode", "off")
        reader = _LineReader(read_fd)
        try:
            process.stdin.write(_frame(header))
            process.stdin.flush()
            for request in requests:
                task = request["task"]
                process.stdin.write(_frame(request))
                process.stdin.flush()
                line = reader.next_line(limits[task] + GRACE)
                answer = _parse(line, task)
                if answer is None:
                    info["stopped"] = task
                    break
                answers[task] = answer
        except (BrokenPipeError, OSError):
            info["stopped"] = info.get("stopped") or "pipe"
        finally:
            try:
                process.stdin.close()
            except OSError:
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            reader.close()
        if jail is not None and hasattr(jail, "usage"):
            info.update(jail.usage())
        if fill_cache and (workdir / "jax-cache").is_dir():
            import shutil

            shutil.copytree(workdir / "jax-cache", fill_cache, dirs_exist_ok=True)
    finally:
        if jail is not None and hasattr(jail, "close"):
            jail.close()
        SLOTS.release(slot)
        _remove(private)
    info["seconds"] = round(time.time() - info.pop("started"), 2)
    return answers, info


def _importable(module: str | None) -> str | None:
    """The checks module under the name kernels import it by (`ssl_keras_autograder`)."""
    if not module:
        return None
    head, _, rest = module.partition(".")
    return f"ssl_keras_autograder.{rest}" if head == "autograder" else module


def _parse(line: bytes | None, task: str) -> dict | None:
    if line is None:
        return None
    try:
        answer = json.loads(line.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("task") != task:
        return None
    return answer


def _start(config, private: Path, workdir: Path, slot: int, memory_mb, fill_cache=None):
    from .execute import compilation_cache_paths, kernel_environment

    jupyter = private / "jupyter"
    readable = compilation_cache_paths(config)
    if fill_cache:  # written inside the judge's own folder, moved out by the caller
        config = copy.copy(config)
        config.compilation_cache_dir = str(workdir / "jax-cache")
        readable = []
    env = kernel_environment(config, workdir, jupyter)
    read_fd, write_fd = os.pipe()
    argv = [sys.executable, str(paths.PACKAGE_DIR / "judge.py"), str(write_fd)]
    log = open(private / "judge.log", "wb")  # noqa: SIM115 (closed with the process)
    try:
        jail = Jail(config, slot=slot, workdir=workdir, memory_mb=memory_mb or config.memory_mb,
                    readable=readable)
        process = jail.popen(argv, env=env, stdin=subprocess.PIPE, stdout=log, stderr=log,
                             pass_fds=(write_fd,))
    finally:
        os.close(write_fd)
        log.close()
    return jail, process, read_fd


class _LineReader:
    """Reads newline-terminated answers from a pipe with a deadline, bounded in size."""

    limit = 64 * 2**20

    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = bytearray()
        self.closed = False

    def next_line(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while True:
            newline = self.buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self.buffer[:newline])
                del self.buffer[:newline + 1]
                return line
            left = deadline - time.monotonic()
            if self.closed or left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.closed = True
                continue
            if len(self.buffer) + len(chunk) > self.limit:
                self.closed = True
                return None
            self.buffer += chunk

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def calibrate(assignment, config) -> dict:
    """Judges the source notebook's own solutions once: {task: time limit in seconds}.

    Raises RuntimeError if the solutions fail a task (the checks, references or judge are
    broken: no submission should be graded against them).
    """
    from ..judging import score_task

    fill = None
    if config.compilation_cache and config.backend == "jax" and config.work_root:
        fill = str(Path(config.work_root) / "jax-cache")
        Path(fill).mkdir(exist_ok=True)
    answers, info = judge_notebook(assignment.source.notebook, assignment, config,
                                   fill_cache=fill)
    if fill:
        for path in [Path(fill), *Path(fill).rglob("*")]:  # readable by every sandbox uid
            path.chmod(0o755 if path.is_dir() else 0o644)
        config.compilation_cache_dir = fill
    spec = assignment.judge
    problems = {}
    for task in spec.tasks.values():
        found = score_task(spec, task, answers.get(task))
        if found:
            problems[task] = found
    if problems:
        raise RuntimeError(
            f"the solutions of {assignment.name} do not pass the judge ({info}): {problems}")
    return {
        task: round(max(config.judge_floor, config.judge_factor * answers[task]["seconds"]), 1)
        for task in spec.tasks.values()
    }


__all__ = ["Judge", "calibrate", "judge_notebook", "student_cells"]
