"""The grading pipeline: small steps, each in its own file, each configurable.

`default_steps()` is the order `grade` uses. Constraints:
- ReadNotebook first: the others need the parsed notebook.
- ClearOutputs before RestoreCells: restored cells are clean, and nbgrader's
  DeduplicateIds must run before cells are matched by grade_id.
- RestoreCells before OverwriteKernelspec and Execute: what runs is the assignment's own
  test cells (hidden tests included), whatever the student did to them.
- every "prepare" step runs for every submission before any "execute" step starts.
- Execute before Judge: the notebook runs first (plots, visible checks); the judge then
  scores the answers in a process of its own.
- Judge before ScoreCells (points come from the judge's answers only).
"""

from .base import Step
from .clear_outputs import ClearOutputs
from .execute import Execute
from .judge import Judge
from .kernelspec import OverwriteKernelspec
from .read_notebook import ReadNotebook
from .restore_cells import RestoreCells
from .score_cells import ScoreCells


def default_steps() -> list[Step]:
    return [
        ReadNotebook(),
        ClearOutputs(),
        RestoreCells(),
        OverwriteKernelspec(),
        Execute(),
        Judge(),
        ScoreCells(),
    ]


__all__ = [
    "ClearOutputs",
    "Execute",
    "Judge",
    "OverwriteKernelspec",
    "ReadNotebook",
    "RestoreCells",
    "ScoreCells",
    "Step",
    "default_steps",
]
