"""Command line: `python -m autograder release|grade|feedback|export|references ...`."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _release(args) -> int:
    from . import paths
    from .release import LeakError, release_assignments

    names = paths.available_assignments(args.assignments_dir) if args.all else args.assignment
    if not names:
        print("Name an assignment or pass --all.", file=sys.stderr)
        return 2
    try:
        for path in release_assignments(names, args.out, args.assignments_dir, args.for_grading,
                                        args.install_url, args.wheel):
            print(f"released {path}")
    except LeakError as error:
        print(f"LEAK: {error}", file=sys.stderr)
        return 1
    return 0


def _grade(args) -> int:
    from .config import GradeConfig
    from .grade import grade_assignment

    config = GradeConfig(
        backend=args.backend,
        fast=not args.full,
        jobs=args.jobs or os.cpu_count() or 1,
        cell_timeout=args.cell_timeout,
        locked_cell_timeout=args.locked_cell_timeout,
        timeout=args.timeout,
        memory_mb=args.memory_mb,
        threads_per_kernel=args.threads_per_kernel,
        extra_env=dict(item.split("=", 1) for item in args.env),
        sandbox=args.sandbox,
    )
    results = grade_assignment(
        args.assignment, args.submissions, args.out, config,
        source=args.source, student=args.student,
    )
    for result in results:
        print(f"{result['student']}: {result['score']:g} / {result['max_score']:g}")
    print(f"wrote {os.path.join(args.out, 'grades.csv')}")
    from .gradebook import merged_results, stale_grades

    _print_stale(stale_grades(merged_results(args.out)))
    if args.fail_under is not None and any(r["score"] < args.fail_under for r in results):
        return 1
    return 0


def _feedback(args) -> int:
    from .feedback import write_feedback

    for path in write_feedback(args.grade_dir, args.out, args.source):
        print(f"wrote {path}")
    return 0


def _export(args) -> int:
    from .export import export_grades

    formats = ("csv", "gradescope", "classroom") if args.format == "all" else (args.format,)
    for path in export_grades(args.grade_dir, args.out, formats):
        print(f"wrote {path}")
    return 0


def _print_stale(stale: list) -> None:
    """Manual points kept for answers that changed since they were given."""
    for student, question, points in stale:
        print(f"RE-READ {student} / {question}: the answer changed since it was graded "
              f"({points:g} points kept until you import points for the new answer)")


def _manual(args) -> int:
    from . import gradebook, manual

    if args.action == "sheets":
        for path in manual.write_sheets(args.grade_dir, args.out, args.source):
            print(f"wrote {path}")
        _print_stale(gradebook.stale_grades(gradebook.merged_results(args.grade_dir)))
        return 0
    summary = manual.import_scores(args.grade_dir, args.scores)
    print(f"imported {summary['imported']} grades; {summary['pending']:g} points of written "
          f"answers still to grade; wrote {os.path.join(args.grade_dir, 'grades.csv')}")
    _print_stale(summary["stale"])
    return 0


def _references(args) -> int:
    from . import references

    names = args.assignment or None
    if args.check:
        problems = references.check(names)
        for problem in problems:
            print(problem, file=sys.stderr)
        print("references are up to date" if not problems else "references differ")
        return 1 if problems else 0
    for path in references.write(names):
        print(f"wrote {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Release, grade, give feedback on and export ssl_keras course notebooks.",
    )
    commands = main.add_subparsers(dest="command", required=True)

    release = commands.add_parser(
        "release", help="write the student version of assignments (nbgrader generate_assignment)",
        description="Writes OUT/<name>/<name>.ipynb (and data files) with solutions and hidden "
        "tests removed, and fails if any of them leaked.",
    )
    release.add_argument("assignment", nargs="*", help="assignment names")
    release.add_argument("--all", action="store_true", help="every assignment")
    release.add_argument(
        "--for-grading", action="store_true",
        help="also write <name>.grading.ipynb: no solutions, hidden tests kept (for a course CI)",
    )
    release.add_argument("--out", required=True, help="output folder")
    release.add_argument(
        "--install-url", default=None,
        help="where the notebooks' install cell installs the course package from: a "
        "git+https:// URL or a wheel's URL (with --wheel, a URL ending in / gets the wheel's name)",
    )
    release.add_argument(
        "--wheel", action="store_true",
        help="also build the package's wheel into OUT/ and each OUT/<name>/ (without "
        "--install-url the notebooks install the wheel beside them)",
    )
    release.add_argument(
        "--assignments-dir", default=None, help="default: the clone's assignments/"
    )
    release.set_defaults(run=_release)

    grade = commands.add_parser(
        "grade", help="grade submissions into OUT/grades.csv, results/ and executed/",
        description="Grades SUBMISSIONS (a folder of <student>.ipynb, folders <student>/*.ipynb, "
        "one notebook, or a .zip of these). Each notebook runs in its own process and kernel, in "
        "a throwaway folder, with time and memory limits. Exit code 0 unless misused.",
    )
    grade.add_argument("assignment")
    grade.add_argument("submissions")
    grade.add_argument("--out", required=True)
    grade.add_argument("--jobs", type=int, default=None, help="parallel notebooks (default: CPUs)")
    grade.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell")
    grade.add_argument(
        "--locked-cell-timeout", type=float, default=300.0,
        help="seconds per read-only cell of the assignment (its training and plots)",
    )
    grade.add_argument("--timeout", type=float, default=600.0, help="seconds per notebook")
    grade.add_argument("--memory-mb", type=float, default=2048.0, help="kernel memory limit")
    grade.add_argument("--backend", default="jax", choices=("jax", "tensorflow", "torch"))
    grade.add_argument("--full", action="store_true", help="full setting (SSL_KERAS_FAST unset)")
    grade.add_argument("--threads-per-kernel", type=int, default=1)
    grade.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                       help="extra variable for the kernels (repeatable)")
    grade.add_argument(
        "--sandbox", default="auto", choices=("auto", "require", "off"),
        help="run kernels in user/mount/network namespaces (default: where available)",
    )
    grade.add_argument("--student", default=None, help="name when SUBMISSIONS is one notebook")
    grade.add_argument("--source", default=None, help="source notebook (default: assignments/)")
    grade.add_argument("--fail-under", type=float, default=None,
                       help="exit 1 if a score is below this (for CI)")
    grade.set_defaults(run=_grade)

    feedback = commands.add_parser(
        "feedback", help="per-student HTML feedback, without hidden tests",
        description="Writes OUT/<student>.html from a grade folder.",
    )
    feedback.add_argument("grade_dir")
    feedback.add_argument("--out", required=True)
    feedback.add_argument(
        "--source", default=None, help="source notebook (hidden tests to redact)"
    )
    feedback.set_defaults(run=_feedback)

    export = commands.add_parser(
        "export", help="CSV gradebook, Gradescope results.json, GitHub Classroom results",
        description="Exports a grade folder.",
    )
    export.add_argument("grade_dir")
    export.add_argument("--out", required=True)
    export.add_argument(
        "--format", default="all", choices=("csv", "gradescope", "classroom", "all")
    )
    export.set_defaults(run=_export)

    manual = commands.add_parser(
        "manual", help="grade written answers by hand: sheets to fill in, then import",
        description="`manual sheets GRADE_DIR --out DIR`: one HTML page (every student's "
        "answer side by side) and one CSV per written answer. `manual import GRADE_DIR "
        "SCORES.csv...`: checks the filled-in CSVs, stores them in GRADE_DIR/manual.json "
        "and rewrites grades.csv (nothing is written if any row is wrong).",
    )
    actions = manual.add_subparsers(dest="action", required=True)
    sheets = actions.add_parser("sheets", help="HTML and CSV sheets per written answer")
    sheets.add_argument("grade_dir")
    sheets.add_argument("--out", required=True)
    sheets.add_argument(
        "--source", default=None, help="source notebook (questions and model answers)"
    )
    imports = actions.add_parser("import", help="import filled-in CSV sheets")
    imports.add_argument("grade_dir")
    imports.add_argument("scores", nargs="+", help="CSV files: student,question,points,...")
    manual.set_defaults(run=_manual)

    from .gradescope import add_command as add_gradescope

    add_gradescope(commands)

    references = commands.add_parser(
        "references", help="compute expected values (checks/expected/, references/)",
        description="Evaluates every CASES entry of checks/<name>.py with its reference "
        "implementation (judges/<name>.py) and writes checks/expected/<name>.json (visible "
        "cases) and references/<name>.json (hidden cases); --check compares instead.",
    )
    references.add_argument("assignment", nargs="*")
    references.add_argument("--check", action="store_true", help="compare, do not write")
    references.set_defaults(run=_references)
    return main


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError) as error:  # misuse: a clear line, exit code 2
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
