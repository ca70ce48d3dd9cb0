"""ssl_keras's autograder: release, grade, feedback and export for the course notebooks.

From a clone: `python -m autograder release|grade|feedback|export|references ...`
(installed, the same package is `ssl_keras_autograder`). The Python API mirrors the CLI:

    from ssl_keras_autograder import GradeConfig, export_grades, grade_assignment, write_feedback

    release_assignments(["contrastive_loss"], "release")
    grade_assignment("contrastive_loss", "submissions.zip", "graded", GradeConfig(jobs=4))
    write_manual_sheets("graded", "sheets")           # then fill in sheets/*.csv
    import_manual_scores("graded", ["sheets/distance_vs_cosine.csv"])
    write_feedback("graded", "feedback")
    export_grades("graded", "export", formats=("csv", "gradescope"))
"""

import importlib

# Imported on first use, so that a notebook kernel importing `ssl_keras_autograder.checks`
# does not load the grading pipeline.
_API = {
    "GradeConfig": "config",
    "LeakError": "release",
    "check_references": ("references", "check"),
    "export_grades": "export",
    "find_leaks": "release",
    "grade_assignment": "grade",
    "grade_submissions": "grade",
    "import_manual_scores": ("manual", "import_scores"),
    "load_assignment": "grade",
    "release_assignments": "release",
    "write_feedback": "feedback",
    "write_manual_sheets": ("manual", "write_sheets"),
    "write_references": ("references", "write"),
}
__all__ = sorted(_API)


def __getattr__(name):
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _API[name] if isinstance(_API[name], tuple) else (_API[name], name)
    return getattr(importlib.import_module(f".{module}", __name__), attribute)
