"""`python -m autograder gradescope NAME --out autograder.zip`: a Gradescope autograder.

The zip holds, at its root (Gradescope unpacks it into `/autograder/source/`):

- `setup.sh`: run once by Gradescope when it builds the image (Ubuntu, as root): installs
  `python3`, `python3-venv` and `python3-pip` with apt, makes a virtual environment
  (`/autograder/venv`) and installs the course package from the wheel in `wheels/` with its
  `grading` extra and the Keras backend chosen at build time (`jax`, CPU, by default;
  `torch` comes from PyTorch's CPU index). `AUTOGRADER_DRY_RUN=1` prints the commands
  instead of running them.
- `run_autograder`: run for every submission; it grades the one submitted notebook with
  the `grade` pipeline (`grade.grade_assignment`) against the assignment's grading copy
  (`release --for-grading`: no solutions, hidden tests kept) and writes
  `/autograder/results/results.json` with `export.gradescope`. Whatever happens (no
  notebook, several, a wrong name, the grader failing), it writes a results.json: the
  student gets score 0 and a message saying why, never an empty page.
- `autograder.json`: the assignment, backend and limits chosen at build time.
- `assignment/<name>.grading.ipynb` and the assignment's data files.
- `wheels/ssl_keras-<version>-py3-none-any.whl`.

Visibility: a test cell earns its points only if its visible *and* hidden cases pass, so
the scored test of a cell with hidden cases is shown `after_due_date` (configurable), and
an unscored test "<cell>: visible checks" beside it, shown at once, says whether the cases
the student can also run in the notebook pass. Written answers are left out (the note at the
top says how many points are graded by hand): add them as manually graded questions of the
Gradescope assignment.

Every path is overridable, so that a test (or an instructor) can run the zip in a folder of
its own: `AUTOGRADER_ROOT` (default `/autograder`), and below it `AUTOGRADER_SOURCE`,
`AUTOGRADER_SUBMISSION`, `AUTOGRADER_RESULTS`, `AUTOGRADER_VENV` (the Python that runs the
grader is `$AUTOGRADER_VENV/bin/python` unless `AUTOGRADER_PYTHON` is set).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from . import paths

logger = logging.getLogger(__name__)

SETTINGS = "autograder.json"
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
BACKENDS = ("jax", "tensorflow", "torch")
STUDENT = "student"
# how judging.score_task marks a problem found by a hidden case
HIDDEN_CASE = "(on a hidden case:"
RESTORED = "it was restored from the assignment"
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
WHEN_SHOWN = {
    "visible": "here", "after_due_date": "after the due date",
    "after_published": "when the grades are published", "hidden": "to the course staff",
}

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: it installs the
# course package from the wheel beside it, with its grading extra and one Keras backend.
# AUTOGRADER_DRY_RUN=1 prints the commands instead of running them.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_ROOT:-/autograder}"
VENV="${AUTOGRADER_VENV:-$ROOT/venv}"
BACKEND="${AUTOGRADER_BACKEND:-@BACKEND@}"
WHEEL="$HERE/wheels/@WHEEL@"

run() {
    echo "+ $*"
    if [ -z "${AUTOGRADER_DRY_RUN:-}" ]; then "$@"; fi
}

case "$BACKEND" in
    jax|tensorflow) INDEX=() ;;
    torch) INDEX=(--extra-index-url https://download.pytorch.org/whl/cpu) ;;
    *) echo "unknown backend $BACKEND (jax, tensorflow or torch)" >&2; exit 2 ;;
esac
if [ ! -f "$WHEEL" ]; then echo "missing $WHEEL" >&2; exit 2; fi

if command -v apt-get >/dev/null 2>&1; then
    run apt-get update -q
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        python3 python3-venv python3-pip
fi
run python3 -m venv "$VENV"
run "$VENV/bin/python" -m pip install -q --upgrade pip
run "$VENV/bin/python" -m pip install -q ${INDEX[@]+"${INDEX[@]}"} "$WHEEL[grading,$BACKEND]"
run env KERAS_BACKEND="$BACKEND" "$VENV/bin/python" -c \
    "import keras, ssl_keras, ssl_keras_autograder; print(keras.backend.backend())"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (working directory /autograder): it grades the
# notebook in submission/ and writes results/results.json, whatever happens.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${AUTOGRADER_SOURCE:-$ROOT/source}"
SUBMISSION="${AUTOGRADER_SUBMISSION:-$ROOT/submission}"
RESULTS="${AUTOGRADER_RESULTS:-$ROOT/results}"
PYTHON="${AUTOGRADER_PYTHON:-${AUTOGRADER_VENV:-$ROOT/venv}/bin/python}"
mkdir -p "$RESULTS"
rm -f "$RESULTS/results.json"
"$PYTHON" -m ssl_keras_autograder.gradescope run \
    --source "$SOURCE" --submission "$SUBMISSION" --results "$RESULTS"
if [ ! -s "$RESULTS/results.json" ]; then
    echo "the grader did not write results.json (see the errors above)" >&2
    cat > "$RESULTS/results.json" <<'JSON'
{"score": 0, "tests": [], "visibility": "visible", "stdout_visibility": "hidden",
 "output": "The autograder could not run (not your fault): please tell your instructor."}
JSON
fi
exit 0
"""


# --- building the zip -----------------------------------------------------------------


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    archive.writestr(info, data)


def build_autograder(
    name: str,
    out: str | Path,
    backend: str = "jax",
    wheel: str | Path | None = None,
    assignments_dir: str | Path | None = None,
    hidden_visibility: str = "after_due_date",
    grade_options: dict | None = None,
) -> Path:
    """Writes the Gradescope autograder zip of assignment `name` to `out`; see the module doc.

    Args:
        backend: the Keras backend installed and used for grading.
        wheel: a built `ssl_keras` wheel; by default one is built from the clone.
        hidden_visibility: Gradescope visibility of the scored tests of cells with hidden
            cases: one of `VISIBILITIES`.
        grade_options: `GradeConfig` fields (`cell_timeout`, `timeout`, `memory_mb`, ...).
    """
    from .config import GradeConfig
    from .release import build_wheel, grading_copy

    if backend not in BACKENDS:
        raise ValueError(f"`backend` should be one of {BACKENDS}. Received: backend={backend!r}")
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(
            f"`hidden_visibility` should be one of {VISIBILITIES}. "
            f"Received: hidden_visibility={hidden_visibility!r}"
        )
    options = dict(grade_options or {})
    unknown = set(options) - set(GradeConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"Unknown grade options {sorted(unknown)}.")
    source = paths.source_notebook(name, assignments_dir)
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="ssl-keras-gradescope-") as tmp:
        tmp = Path(tmp)
        grading = grading_copy(name, source, tmp / "grading")
        if wheel is None:
            try:
                wheel = build_wheel(tmp / "wheels")
            except FileNotFoundError as error:
                raise FileNotFoundError(
                    "the wheel is built from a clone of the repository; installed without "
                    "one, pass --wheel with a built ssl_keras wheel"
                ) from error
        wheel = Path(wheel)
        if not wheel.is_file() or wheel.suffix != ".whl":
            raise FileNotFoundError(f"No wheel at {wheel}")
        settings = {
            "assignment": name,
            "backend": backend,
            "hidden_visibility": hidden_visibility,
            "grade": options,
            "wheel": wheel.name,
        }
        setup = SETUP_SH.replace("@BACKEND@", backend).replace("@WHEEL@", wheel.name)
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w") as archive:
            _add(archive, "setup.sh", setup.encode(), executable=True)
            _add(archive, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
            _add(archive, SETTINGS, (json.dumps(settings, indent=1) + "\n").encode())
            _add(archive, f"assignment/{grading.name}", grading.read_bytes())
            for path in paths.data_files(source.parent):
                if path.is_file():
                    _add(archive, f"assignment/{path.name}", path.read_bytes())
                else:
                    for item in sorted(path.rglob("*")):
                        if item.is_file() and "__pycache__" not in item.parts:
                            relative = item.relative_to(source.parent).as_posix()
                            _add(archive, f"assignment/{relative}", item.read_bytes())
            _add(archive, f"wheels/{wheel.name}", wheel.read_bytes())
    return out


# --- running on Gradescope ------------------------------------------------------------


def _accepted_name(name: str) -> re.Pattern:
    """`<name>.ipynb`, also as a browser or Colab saves it: `Copy of <name>.ipynb`,
    `<name> (1).ipynb`; case does not matter."""
    return re.compile(rf"^(copy of )?{re.escape(name)}( ?\(\d+\))?\.ipynb$", re.IGNORECASE)


def find_notebook(folder: str | Path, name: str) -> tuple[Path | None, list[str]]:
    """The submitted notebook to grade and notes for the student, or (None, [why not])."""
    folder = Path(folder)
    files = sorted(
        path for path in folder.rglob("*")
        if path.is_file() and not IGNORED_PARTS & set(path.relative_to(folder).parts)
        and not path.name.startswith(".")
    ) if folder.is_dir() else []
    shown = [path.relative_to(folder).as_posix() for path in files]
    notebooks = [path for path in files if path.suffix.lower() == ".ipynb"]
    expected = f"{name}.ipynb"
    if not notebooks:
        received = ", ".join(shown[:10]) + (" ..." if len(shown) > 10 else "") or "nothing"
        return None, [
            f"No notebook was submitted (received: {received}). Upload your {expected} itself "
            "(File > Download > Download .ipynb), not a PDF, a link or a Python file."
        ]
    pattern = _accepted_name(name)
    matching = [path for path in notebooks if pattern.match(path.name)]
    names = ", ".join(path.relative_to(folder).as_posix() for path in notebooks)
    if len(matching) > 1:
        return None, [
            f"Several notebooks could be this assignment's ({names}): submit only your "
            f"{expected}, then resubmit."
        ]
    if not matching:
        if len(notebooks) == 1:
            return None, [
                f"The submitted notebook is named {notebooks[0].name}, but this assignment's "
                f"notebook is {expected}: check that you submitted the right notebook, rename "
                f"it {expected} and resubmit."
            ]
        return None, [
            f"Several notebooks were submitted ({names}) and none is named {expected}: "
            f"submit only your {expected}."
        ]
    notes = []
    others = [path.name for path in notebooks if path not in matching]
    if others:
        notes.append(f"Graded {matching[0].name}; ignored the other notebooks: "
                     f"{', '.join(others)}.")
    return matching[0], notes


def cells_with_hidden_cases(name: str) -> set[str]:
    """The test cells of `name` whose task has hidden cases."""
    from .judging import load_spec

    spec = load_spec(name)
    tasks = {spec.cases[case].task for case in spec.hidden}
    return {grade_id for grade_id, task in spec.tasks.items() if task in tasks}


def to_gradescope(
    result: dict, hidden: set[str], hidden_visibility: str = "after_due_date"
) -> dict:
    """Gradescope's results.json from a grade result: `export.gradescope` with visibilities.

    A test of a cell in `hidden` becomes `hidden_visibility` and gets an unscored, visible
    test "<cell>: visible checks" before it; every other test stays as exported.
    """
    from .export import gradescope

    document = gradescope(result)
    document.pop("max_score", None)  # not a field of results.json: Gradescope sets the maximum
    cells = {cell["grade_id"]: cell for cell in result["cells"] if cell["kind"] != "manual"}
    tests = []
    for test in document["tests"]:
        cell = cells.get(test["name"])
        if cell is None or cell["grade_id"] not in hidden:
            tests.append({"visibility": "visible", **test})
            continue
        problems = [m for m in cell["messages"] if HIDDEN_CASE not in m and RESTORED not in m]
        notes = [m for m in cell["messages"] if RESTORED in m]
        passed = cell["status"] == "passed" or (cell["status"] == "failed" and not problems)
        summary = (
            "the visible checks pass (the points also count hidden cases: they are shown "
            f"{WHEN_SHOWN[hidden_visibility]})" if passed else "; ".join(problems) or cell["status"]
        )
        tests.append(
            {
                "name": f"{cell['grade_id']}: visible checks",
                "status": "passed" if passed else "failed",
                "output": "; ".join([*notes, summary]),
                "visibility": "visible",
            }
        )
        tests.append(
            {**test, "status": "passed" if cell["status"] == "passed" else "failed",
             "visibility": hidden_visibility}
        )
    document["tests"] = tests
    # the submission's own output (manual points, ignored files) is always shown; the grader's
    # stdout (what run_autograder printed) is for the course staff
    document["visibility"] = "visible"
    document["stdout_visibility"] = "hidden"
    return document


def failed(messages: list[str]) -> dict:
    """results.json of a submission that could not be graded: score 0 and why."""
    return {
        "score": 0.0,
        "output": "\n".join(messages),
        "tests": [],
        "visibility": "visible",
        "stdout_visibility": "hidden",
    }


def run(source: str | Path, submission: str | Path, results: str | Path) -> dict:
    """Grades the notebook in `submission` and writes `results/results.json`; never raises
    for a submission's fault (the grader's own errors also give a results.json)."""
    source, results = Path(source), Path(results)
    start = time.monotonic()
    results.mkdir(parents=True, exist_ok=True)
    try:
        document = _grade(source, Path(submission))
    except Exception:  # noqa: BLE001 (the student always gets a results.json)
        traceback.print_exc()
        document = failed([
            "The autograder failed on this submission (not your fault): your instructor can "
            "see the error. Please tell them."
        ])
    document["execution_time"] = round(time.monotonic() - start, 1)
    (results / "results.json").write_text(json.dumps(document, indent=1) + "\n")
    print(f"score {document['score']:g}")
    print(document.get("output", ""))
    for test in document["tests"]:
        score = f"{test['score']:g} / {test['max_score']:g}" if "max_score" in test else ""
        print(f"  {test['name']}: {test.get('status', '')} {score} {test['output']}")
    return document


def _grade(source: Path, submission: Path) -> dict:
    settings = json.loads((source / SETTINGS).read_text())
    name = settings["assignment"]
    notebook, notes = find_notebook(submission, name)
    if notebook is None:
        return failed(notes)
    from .config import GradeConfig
    from .grade import grade_assignment

    options = {"jobs": 1, **settings.get("grade", {}), "backend": settings["backend"]}
    with tempfile.TemporaryDirectory(prefix="ssl-keras-gradescope-") as out:
        grade_assignment(
            name, notebook, out, GradeConfig(**options),
            source=source / "assignment" / f"{name}.grading.ipynb", student=STUDENT,
        )
        result = json.loads((Path(out) / "results" / f"{STUDENT}.json").read_text())
    document = to_gradescope(
        result, cells_with_hidden_cases(name), settings.get("hidden_visibility", "after_due_date")
    )
    if notes:
        document["output"] = "\n".join([*notes, document.get("output", "")]).strip()
    return document


# --- command line -----------------------------------------------------------------------


def _build_command(args) -> int:
    options = {
        "cell_timeout": args.cell_timeout,
        "locked_cell_timeout": args.locked_cell_timeout,
        "timeout": args.timeout,
        "memory_mb": args.memory_mb,
    }
    path = build_autograder(
        args.assignment, args.out, backend=args.backend, wheel=args.wheel,
        assignments_dir=args.assignments_dir, hidden_visibility=args.hidden_visibility,
        grade_options=options,
    )
    print(f"wrote {path}")
    return 0


def add_command(commands) -> None:
    """Adds `gradescope` to the subcommands of `python -m autograder`."""
    command = commands.add_parser(
        "gradescope", help="build a Gradescope autograder zip (setup.sh, run_autograder)",
        description="Writes OUT (autograder.zip): setup.sh installs the course package from the "
        "wheel inside with its grading extra and one Keras backend; run_autograder grades the "
        "submitted notebook and writes results.json. Upload it as the assignment's autograder.",
    )
    command.add_argument("assignment")
    command.add_argument("--out", required=True, help="the zip to write")
    command.add_argument("--backend", default="jax", choices=BACKENDS)
    command.add_argument("--wheel", default=None,
                         help="a built ssl_keras wheel (default: built from the clone)")
    command.add_argument("--hidden-visibility", default="after_due_date", choices=VISIBILITIES,
                         help="when students see the points of cells with hidden cases")
    command.add_argument("--cell-timeout", type=float, default=60.0)
    command.add_argument("--locked-cell-timeout", type=float, default=300.0)
    command.add_argument("--timeout", type=float, default=600.0)
    command.add_argument("--memory-mb", type=float, default=2048.0,
                         help="kernel memory limit (fit it to Gradescope's container)")
    command.add_argument("--assignments-dir", default=None)
    command.set_defaults(run=_build_command)


def main(argv: list[str] | None = None) -> int:
    """`python -m ssl_keras_autograder.gradescope run ...`, what run_autograder calls."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m ssl_keras_autograder.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="grade a Gradescope submission")
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    runner.add_argument("--source", default=str(root / "source"))
    runner.add_argument("--submission", default=str(root / "submission"))
    runner.add_argument("--results", default=str(root / "results"))
    args = parser.parse_args(argv)
    run(args.source, args.submission, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
