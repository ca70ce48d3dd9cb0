"""Autograder throughput: grade a generated class and report submissions/minute and memory.

    KERAS_BACKEND=jax python benchmarks/autograder_throughput.py --count 100 --jobs 2

The class is made of copies of the contrastive_loss fixture submissions
(autograder/fixtures/contrastive_loss/) in the proportions of `--mix` (by default mostly
correct, then wrong and failing ones, as a real class). Every notebook is graded by the
real pipeline (one worker process and one kernel each, `--jobs` at a time); the scores are
checked against the fixtures' expected scores. Peak memory is sampled every 0.25 s over the
whole process tree (grader, workers and kernels). Writes
benchmarks/results/autograder_throughput_<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from autograder import paths  # noqa: E402
from autograder.config import GradeConfig  # noqa: E402
from autograder.grade import grade_submissions, load_assignment  # noqa: E402
from autograder.steps import Execute, default_steps  # noqa: E402
from autograder.submissions import collect  # noqa: E402

# Mostly honest work, and every fixture at least once (so the run also checks every score).
DEFAULT_MIX = (
    "correct:30,correct_warns:8,one_wrong:8,wrong:8,raising:6,nan:5,unanswered:3,"
    "reference_only:4,deleted_test_cell:4,os_exit:3,no_cells:2,empty_file:2,corrupt_json:1,"
    "edited_test_cell:2,monkeypatched_checks:2,sys_exit:2,infinite_loop:2,huge_memory:2,"
    "snoop:2,writes_outside:2"
)


class TimedExecute(Execute):
    """The Execute step, printing each submission's end and keeping a partial result file
    up to date, so that an interrupted run still gives its rate."""

    started = 0.0
    finished: list = []
    lock = threading.Lock()
    progress_path: Path | None = None

    def run(self, submission, assignment, config):
        super().run(submission, assignment, config)
        with self.lock:
            self.finished.append(time.monotonic() - self.started)
            count, seconds = len(self.finished), self.finished[-1]
            if self.progress_path is not None:
                self.progress_path.write_text(json.dumps({
                    "partial": True, "executed": count, "seconds": round(seconds, 1),
                    "submissions_per_minute": round(count / seconds * 60, 2),
                    "jobs": config.jobs}, indent=2) + "\n")
        print(f"  {count:4d} done at {seconds:7.1f} s ({submission.student})", flush=True)


def make_class(folder: Path, mix: str, count: int) -> dict[str, str]:
    """Copies fixtures into folder as student-NNN.ipynb; returns {student: fixture}."""
    fixtures = paths.PACKAGE_DIR / "fixtures" / "contrastive_loss"
    weights = [(name, int(weight)) for name, weight in
               (item.split(":") for item in mix.split(","))]
    total = sum(weight for _, weight in weights)
    plan = []
    for name, weight in weights:
        plan += [name] * max(1, round(count * weight / total))
    plan = (plan * (count // len(plan) + 1))[:count]
    folder.mkdir(parents=True, exist_ok=True)
    students = {}
    for index, name in enumerate(plan):
        student = f"student-{index:03d}"
        shutil.copy(fixtures / f"{name}.ipynb", folder / f"{student}.ipynb")
        students[student] = name
    return students


def tree_rss_mb() -> float:
    process = psutil.Process()
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--mix", default=DEFAULT_MIX)
    parser.add_argument("--cell-timeout", type=float, default=60)
    parser.add_argument("--memory-mb", type=float, default=2500)
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "jax"))
    parser.add_argument("--sandbox", default="auto", choices=("auto", "require", "off"))
    parser.add_argument("--keep", default=None, help="keep the class and grades here")
    args = parser.parse_args(argv)

    expected = json.loads(
        (paths.PACKAGE_DIR / "fixtures" / "contrastive_loss" / "expected.json").read_text()
    )["fixtures"]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ag-bench-"))
    students = make_class(work / "submissions", args.mix, args.count)
    config = GradeConfig(backend=args.backend, jobs=args.jobs, cell_timeout=args.cell_timeout,
                         memory_mb=args.memory_mb, sandbox=args.sandbox)
    assignment = load_assignment("contrastive_loss")
    steps = [TimedExecute() if isinstance(step, Execute) else step for step in default_steps()]
    results_dir = REPOSITORY / "benchmarks" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"autograder_throughput_{args.backend}.json"
    TimedExecute.progress_path = path  # overwritten by the full result at the end

    peak = {"mb": tree_rss_mb()}
    stop = threading.Event()

    def sample():
        while not stop.wait(0.25):
            peak["mb"] = max(peak["mb"], tree_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    load_before = os.getloadavg()[0]
    print(f"grading {len(students)} submissions with --jobs {args.jobs} ...", flush=True)
    TimedExecute.started = start = time.monotonic()
    results = grade_submissions(assignment, collect(work / "submissions", "contrastive_loss"),
                                work / "graded", config, steps=steps)
    seconds = time.monotonic() - start
    stop.set()
    sampler.join()

    wrong = [r["student"] for r in results
             if r["score"] != expected[students[r["student"]]]["score"]]
    per_minute = len(results) / seconds * 60
    kernels = [r["execution"].get("peak_kernel_mb", 0) for r in results if r["execution"]]
    payload = {
        "benchmark": "autograder_throughput",
        "command": "KERAS_BACKEND=jax python benchmarks/autograder_throughput.py "
                   + " ".join(argv if argv is not None else sys.argv[1:]),
        "submissions": len(results),
        "jobs": args.jobs,
        "mix": args.mix,
        "seconds": round(seconds, 1),
        "submissions_per_minute": round(per_minute, 2),
        "peak_memory_mb_total": round(peak["mb"], 1),
        "peak_memory_mb_one_kernel": round(max(kernels or [0]), 1),
        "mean_seconds_per_notebook": round(
            sum(r["execution"].get("seconds", 0) for r in results if r["execution"])
            / max(1, sum(1 for r in results if r["execution"])), 1),
        "scores_as_expected": not wrong,
        "unexpected_scores": wrong,
        "sandbox": sorted({str(r["execution"].get("sandbox")) for r in results
                           if r["execution"]}),
        "machine": {"cpu_count": os.cpu_count(), "load_average_1min_before": load_before,
                    "load_average_1min_after": os.getloadavg()[0],
                    "python": sys.version.split()[0]},
    }
    print(json.dumps({k: v for k, v in payload.items() if k != "unexpected_scores"}, indent=1))
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    print(f"wrote {path}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
