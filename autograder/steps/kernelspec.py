"""Overwrites the kernelspec with the source's (nbgrader's OverwriteKernelspec).

The worker runs the notebook on the grader's own kernel (same Python as the grader)
whatever the notebook names; this keeps the executed notebook's metadata honest.
"""

from __future__ import annotations

import copy

from .base import Step


class OverwriteKernelspec(Step):
    def run(self, submission, assignment, config):
        if submission.notebook is None:
            return
        metadata = assignment.source.notebook.metadata
        for key in ("kernelspec", "language_info"):
            if key in metadata:
                submission.notebook.metadata[key] = copy.deepcopy(metadata[key])
