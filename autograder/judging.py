"""The grader's side of judging: what the judge process is asked, and how its answers score.

`JudgeSpec` gathers, for one assignment, the test cells and their tasks, every case
(visible ones from `checks/<name>.py`, hidden ones from the grader-private
`judges/<name>.py`), the stored expected values, the stand-ins and the forbidden names.
`task_requests` turns it into one request per task, in notebook order, for
`autograder/judge.py`; `score_task` compares the judge's answers with the expected values
using the one rule of `checks._core.compare`.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import textwrap

from . import paths
from .checks._core import Case, compare


@dataclasses.dataclass
class JudgeSpec:
    """How the test cells of one assignment are judged (never shown to kernels)."""

    name: str
    tasks: dict  # test cell grade_id -> task, in notebook order
    cases: dict  # case name -> Case (visible and hidden)
    expected: dict  # case name -> expected record (value, shape, kind, rtol, atol, task, ...)
    stand_ins: dict = dataclasses.field(default_factory=dict)  # task -> "module:attr" | source
    forbidden: dict = dataclasses.field(default_factory=dict)  # task -> [dotted names]
    setup: tuple = ("setup",)
    checks_module: str | None = None  # importable visible module (for `Case.measure`)
    hidden: frozenset = frozenset()  # names of the hidden cases

    def cell_of(self, task: str) -> str:
        return next(cell for cell, name in self.tasks.items() if name == task)


def _stand_in_text(value) -> str:
    if isinstance(value, str):
        return value
    return textwrap.dedent(inspect.getsource(value))


def load_spec(name: str) -> JudgeSpec:
    """The judge spec of an assignment from `checks/<name>.py` and `judges/<name>.py`."""
    visible = paths.checks_module(name)
    private = importlib.import_module(f"{paths.PACKAGE}.judges.{name}")
    shared = set(visible.VISIBLE) & set(private.HIDDEN)
    if shared:
        raise ValueError(f"{name}: hidden and visible cases share names {sorted(shared)}")
    cases = {**visible.VISIBLE, **private.HIDDEN}
    expected = {}
    stored = json.loads((paths.PACKAGE_DIR / "checks" / "expected" / f"{name}.json").read_text())
    references = json.loads(paths.references_path(name).read_text())
    for case_name in visible.VISIBLE:
        expected[case_name] = {k: v for k, v in stored[case_name].items() if k != "mistakes"}
    for case_name in private.HIDDEN:
        expected[case_name] = references[case_name]
    return JudgeSpec(
        name=name,
        tasks=dict(visible.TASKS),
        cases=cases,
        expected=expected,
        stand_ins={
            task: _stand_in_text(value)
            for task, value in getattr(private, "STAND_INS", {}).items()
        },
        forbidden={task: list(v) for task, v in getattr(private, "FORBIDDEN", {}).items()},
        setup=tuple(getattr(private, "SETUP", ("setup",))),
        checks_module=visible.__name__,
        hidden=frozenset(private.HIDDEN),
    )


def expected_record(case_name: str, case: Case, record: dict) -> dict:
    return {
        **record,
        "task": case.task,
        "rtol": case.rtol,
        "atol": case.atol,
        "description": case.description,
    }


def task_requests(spec: JudgeSpec) -> list[dict]:
    """One request per task, in notebook order, as the judge reads them (pickled).

    A task's request carries its cases' inputs and the stand-ins of the tasks judged
    before it only: the process judging a task never receives its own stand-in.
    """
    requests = []
    order = list(spec.tasks.values())
    for position, task in enumerate(order):
        cases = []
        for case_name, case in spec.cases.items():
            if case.task != task:
                continue
            cases.append({
                "name": case_name,
                "inputs": case.inputs(),
                "kwargs": dict(case.kwargs),
                "measure": case.measure,
            })
        stand_ins = {
            earlier: spec.stand_ins[earlier] for earlier in order[:position]
            if earlier in spec.stand_ins
        }
        requests.append({
            "task": task,
            "cases": cases,
            "stand_ins": stand_ins,
            "forbidden": list(spec.forbidden.get(task, [])),
        })
    return requests


def score_task(spec: JudgeSpec, task: str, answer: dict | None) -> list[str]:
    """Problems of one judged task, in words (empty: full points).

    `answer` is what the judge sent back for the task: `{"records": {case: record},
    "forbidden": [names called], "missing": str | None, "error": str | None}`.
    """
    if answer is None:
        return [f"{task} could not be judged: the judge stopped before it (see above)"]
    if answer.get("missing"):
        return [answer["missing"]]
    problems = []
    forbidden = answer.get("forbidden") or []
    if forbidden:
        names = ", ".join(f"`{name}`" for name in sorted(set(forbidden)))
        problems.append(
            f"{task} calls {names}, the library's own implementation of what this task "
            "asks you to write: write the computation yourself"
        )
    if answer.get("error"):
        problems.append(answer["error"])
    records = answer.get("records") or {}
    for case_name, case in spec.cases.items():
        if case.task != task:
            continue
        if case_name not in records and answer.get("error"):
            continue  # the error above says why no value came
        expected = spec.expected[case_name]
        problem = compare(records.get(case_name), expected)
        if problem:
            what = expected.get("description") or case_name
            kind = "hidden" if case_name in spec.hidden else "visible"
            problems.append(f"{problem} (on a {kind} case: {what})")
    return problems

