"""The grading pipeline: small steps, each in its own file, each configurable.

`default_steps()` is the order `grade` uses. Constraints:
- ReadNotebook first: the others need the parsed notebook.
- ClearOutputs before RestoreCells: restored cells are clean, and nbgrader's
  DeduplicateIds must run before cells are matched by grade_id.
- RestoreCells before OverwriteKernelspec and Execute: what runs is the assignment's own
  test cells (hidden tests included), whatever the student did to them.
- every "prepare" step runs for every submission before any "execute" step starts.
- Execute before ScoreCells (scores read the executed outputs).
- ForbiddenNames after ScoreCells: it only takes points away.
"""

from .base import Step
from .clear_outputs import ClearOutputs
from .execute import Execute
from .forbidden_names import ForbiddenNames
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
        ScoreCells(),
        ForbiddenNames(),
    ]


__all__ = [
    "ClearOutputs",
    "Execute",
    "ForbiddenNames",
    "OverwriteKernelspec",
    "ReadNotebook",
    "RestoreCells",
    "ScoreCells",
    "Step",
    "default_steps",
]
