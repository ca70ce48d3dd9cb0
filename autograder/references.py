"""`python -m autograder references`: reference values computed, never typed by hand.

Each `checks/<assignment>.py` lists its hidden `CASES`; this evaluates every case with its
reference implementation (ssl_keras's own or a NumPy oracle) and writes
`references/<assignment>.json` with sorted keys, so that the file is stable and a test can
regenerate it and compare (`--check`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from . import paths
from .checks._core import reference_values


def compute(name: str) -> dict[str, dict]:
    module = paths.checks_module(name)
    return reference_values(getattr(module, "CASES", {}))


def dumps(values: dict) -> str:
    return json.dumps(values, indent=1, sort_keys=True, allow_nan=True) + "\n"


def write(names: list[str] | None = None, references_dir: str | Path | None = None) -> list[Path]:
    """Writes `references/<name>.json` for each assignment; returns the paths written."""
    written = []
    for name in names or _with_checks():
        path = paths.references_path(name, references_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(compute(name)))
        written.append(path)
    return written


def _close(a, b, rtol: float, atol: float) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= atol + rtol * abs(b)
    return a == b


def check(names: list[str] | None = None, references_dir: str | Path | None = None) -> list[str]:
    """Problems between the committed reference files and freshly computed values.

    Values are compared with each case's own tolerance (a BLAS or backend update may move
    the last digits); everything else must be equal.
    """
    problems = []
    for name in names or _with_checks():
        path = paths.references_path(name, references_dir)
        fresh = json.loads(dumps(compute(name)))
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
                if key == "value":
                    same = _close(old.get(key), value[key], value["rtol"] / 10, value["atol"] / 10)
                else:
                    same = old.get(key) == value[key]
                if not same:
                    problems.append(f"{path}: case {case!r} has a different {key!r}")
    return problems


def _with_checks() -> list[str]:
    folder = paths.PACKAGE_DIR / "checks"
    return [name for name in paths.ASSIGNMENTS if (folder / f"{name}.py").is_file()]
