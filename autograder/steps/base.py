"""The step interface: one stage of grading, configured by keyword options."""

from __future__ import annotations

from ..config import Assignment, GradeConfig, Submission


class Step:
    """One stage of the grading pipeline.

    A step reads and updates a `Submission`. Its options are class attributes, overridden
    per instance with keyword arguments (`RestoreCells(restore_solution_cells=False)`), in
    the spirit of nbgrader's configurable preprocessors. `phase` says when it runs:
    "prepare" steps run for every submission before any kernel starts (so that nothing they
    hold is on disk while student code runs), then "execute", then "score".
    """

    phase = "prepare"

    def __init__(self, **options):
        for key, value in options.items():
            if key.startswith("_") or not hasattr(type(self), key):
                raise ValueError(f"{type(self).__name__} has no option {key!r}.")
            setattr(self, key, value)

    @property
    def name(self) -> str:
        return type(self).__name__

    def run(self, submission: Submission, assignment: Assignment, config: GradeConfig) -> None:
        raise NotImplementedError
