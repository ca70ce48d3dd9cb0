"""Settings of one grading run, and the per-submission state the steps pass along."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .notebook import SourceNotebook


@dataclasses.dataclass
class GradeConfig:
    """How submissions are executed and scored.

    Args:
        backend: `KERAS_BACKEND` of the kernels.
        fast: sets `SSL_KERAS_FAST=1` (the notebooks' fast setting); `--full` turns it off.
        jobs: submissions graded at once (each in its own worker process and kernel).
        cell_timeout: seconds one cell may run (nbclient `timeout`).
        timeout: seconds the whole notebook may run; the worker and kernel are then killed.
        memory_mb: resident memory the kernel's process tree may use before it is killed.
        threads_per_kernel: BLAS/OpenMP threads of each kernel (1 suits `jobs` = cores).
        startup_timeout: seconds a kernel may take to start.
        extra_env: more variables for the kernels (nothing else of the grader's environment
            reaches them).
        sandbox: "auto" runs each worker and kernel in new user, mount and network
            namespaces where the system allows it (file systems read-only except the
            submission's own folder; submissions, grades, assignment sources, reference
            values and the grader's home hidden; no network), and without them elsewhere;
            "require" refuses to run a notebook without them; "off" never uses them.
        hidden_paths: more files or folders to hide from the kernels (the "namespaces"
            fallback; bubblewrap shows only what is allowed anyway).
        sandbox_uid_base: when the grader runs as root, the jail of slot `i` (one per
            concurrent job) runs as uid `sandbox_uid_base + i`, so no two kernels share one.
        pids_max: processes and threads one notebook's jail may have (cgroup, as root).
        max_result_mb: the most the grader reads back from one worker (the executed
            notebook as JSON); a larger result counts as a worker error.
        output_cell_kb: stream text (stdout/stderr) kept per cell; the rest is cut with a
            note "[output cut: N MB more]".
        output_image_kb: an image or other rich output larger than this is replaced by a
            note.
        output_notebook_mb: output kept per notebook; later outputs are replaced by a note.
        locked_cell_timeout: seconds a locked (read-only, not graded) cell may run: it runs
            the course's code, perhaps calling the student's functions.
    """

    backend: str = "jax"
    fast: bool = True
    jobs: int = dataclasses.field(default_factory=lambda: os.cpu_count() or 1)
    cell_timeout: float = 60.0
    timeout: float = 600.0
    memory_mb: float = 2048.0
    threads_per_kernel: int = 1
    startup_timeout: float = 120.0
    extra_env: dict = dataclasses.field(default_factory=dict)
    sandbox: str = "auto"
    hidden_paths: list = dataclasses.field(default_factory=list)
    sandbox_uid_base: int = 61000
    pids_max: int = 512
    max_result_mb: float = 64.0
    output_cell_kb: float = 256.0
    output_image_kb: float = 2048.0
    output_notebook_mb: float = 16.0
    locked_cell_timeout: float = 300.0
    work_root: str | None = None  # set by the grader: the folder of this run's private folders
    judge_floor: float = 20.0  # seconds: the least time a task may take in the judge
    judge_factor: float = 10.0  # a task may take this many times the solution's time
    judge_limits: dict = dataclasses.field(default_factory=dict)  # task -> seconds (calibrated)
    compilation_cache: bool = True  # share XLA programs compiled on the solutions (jax)
    compilation_cache_dir: str | None = None  # set by the grader: read-only in sandboxes


@dataclasses.dataclass
class Assignment:
    """What the grader knows about the assignment being graded (never shown to kernels)."""

    name: str
    source: SourceNotebook
    judge: object  # judging.JudgeSpec: tasks, cases, expected values, stand-ins, forbidden
    data_files: list[Path]


@dataclasses.dataclass
class CellResult:
    grade_id: str
    max_points: float
    manual: bool = False
    points: float = 0.0
    status: str = "not run"
    messages: list[str] = dataclasses.field(default_factory=list)
    # written answers: `notebook.answer_digest` of the answer graded (manual points entered
    # for another digest are for an earlier submission)
    answer_digest: str | None = None

    def to_json(self) -> dict:
        document = {
            "grade_id": self.grade_id,
            "kind": "manual" if self.manual else "autograded",
            "points": self.points,
            "max_points": self.max_points,
            "status": self.status,
            "messages": self.messages,
        }
        if self.answer_digest is not None:
            document["answer_digest"] = self.answer_digest
        return document


@dataclasses.dataclass
class Submission:
    """One student's notebook on its way through the steps."""

    student: str
    path: Path
    data: bytes
    sha256: str
    source: Path | None = None  # the folder, zip or file it was collected from
    notebook: object = None  # nbformat.NotebookNode once read
    executed: object = None  # the executed notebook (grader-private)
    failure: str | None = None  # set when the submission cannot be graded at all
    messages: list[str] = dataclasses.field(default_factory=list)
    restored: dict = dataclasses.field(default_factory=dict)  # grade_id -> why restored
    execution: dict = dataclasses.field(default_factory=dict)  # events from the worker
    cells: dict = dataclasses.field(default_factory=dict)  # grade_id -> CellResult
    judged: dict | None = None  # task -> the judge's answer (None: not judged)
    judging: dict = dataclasses.field(default_factory=dict)  # how the judge ran

    def fail(self, message: str) -> None:
        if self.failure is None:
            self.failure = message
