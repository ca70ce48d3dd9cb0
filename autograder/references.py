"""`python -m autograder references`: expected values computed, never typed by hand.

For each assignment with a judge module (`judges/<name>.py`), every case is evaluated with
the task's reference implementation (`REFERENCES`) and written, with sorted keys:

- visible cases (`checks/<name>.py`, `VISIBLE`) to `checks/expected/<name>.json`, which
  ships with the checks to the students' kernels, together with the value of every wrong
  variant a case names in `mistakes` (so a visible check can say "it looks like you summed
  instead of averaging" without any oracle code in the kernel);
- hidden cases (`judges/<name>.py`, `HIDDEN`) to `references/<name>.json`, grader-private.

`--check` recomputes both and compares them with the committed files (a test runs it).
"""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

from . import paths
from .checks._core import as_record, evaluate
from .judging import expected_record


def _judge_module(name: str):
    return importlib.import_module(f"{paths.PACKAGE}.judges.{name}")


def compute(name: str) -> tuple[dict, dict]:
    """(visible expected values with mistakes, hidden reference values) of `name`."""
    visible = paths.checks_module(name)
    private = _judge_module(name)
    shown = {}
    for case_name, case in visible.VISIBLE.items():
        record = expected_record(
            case_name, case, as_record(evaluate(case, private.REFERENCES[case.task], visible))
        )
        mistakes = {}
        for variant, _message in case.mistakes:
            wrong = private.VARIANTS[case.task][variant]
            mistakes[variant] = as_record(evaluate(case, wrong, visible))
        if mistakes:
            record["mistakes"] = mistakes
        shown[case_name] = record
    hidden = {
        case_name: expected_record(
            case_name, case, as_record(evaluate(case, private.REFERENCES[case.task], visible))
        )
        for case_name, case in private.HIDDEN.items()
    }
    return shown, hidden


def dumps(values: dict) -> str:
    return json.dumps(values, indent=1, sort_keys=True, allow_nan=True) + "\n"


def _targets(name: str, references_dir: str | Path | None) -> tuple[Path, Path]:
    return (paths.PACKAGE_DIR / "checks" / "expected" / f"{name}.json",
            paths.references_path(name, references_dir))


def write(names: list[str] | None = None, references_dir: str | Path | None = None) -> list[Path]:
    """Writes both files of each assignment; returns the paths written."""
    written = []
    for name in names or judged_assignments():
        for path, values in zip(_targets(name, references_dir), compute(name)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dumps(values))
            written.append(path)
    return written


def _close(a, b, rtol: float, atol: float) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= atol + rtol * abs(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return sorted(a) == sorted(b) and all(_close(a[k], b[k], rtol, atol) for k in a)
    return a == b


def check(names: list[str] | None = None, references_dir: str | Path | None = None) -> list[str]:
    """Problems between the committed files and freshly computed values.

    Values are compared with a tenth of each case's own tolerance (a BLAS or backend update
    may move the last digits); everything else must be equal.
    """
    problems = []
    for name in names or judged_assignments():
        for path, fresh in zip(_targets(name, references_dir), compute(name)):
            fresh = json.loads(dumps(fresh))
            if not path.is_file():
                problems.append(f"{path} is missing: run `python -m autograder references {name}`")
                continue
            committed = json.loads(path.read_text())
            if sorted(committed) != sorted(fresh):
                problems.append(f"{path}: cases differ ({sorted(set(committed) ^ set(fresh))})")
                continue
            for case, value in fresh.items():
                old = committed[case]
                for key in value:
                    if key in ("value", "mistakes"):
                        same = _close(old.get(key), value[key], value["rtol"] / 10,
                                      value["atol"] / 10)
                    else:
                        same = old.get(key) == value[key]
                    if not same:
                        problems.append(f"{path}: case {case!r} has a different {key!r}")
    return problems


def judged_assignments() -> list[str]:
    folder = paths.PACKAGE_DIR / "judges"
    return [name for name in paths.ASSIGNMENTS if (folder / f"{name}.py").is_file()]
