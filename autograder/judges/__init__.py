"""Grader-private judge specifications, one module per assignment (never visible to kernels).

`judges/<assignment>.py` says how the judge (`autograder/judge.py`) scores the test cells
of one assignment. The sandbox hides this folder and `references/` from every student
process; the kernel-visible half lives in `checks/<assignment>.py`.

A judge module defines:

- `REFERENCES: dict[str, callable]`: task -> the reference implementation (a NumPy oracle
  written from the paper or sheet, or ssl_keras's own implementation), used only by
  `python -m autograder references` to compute the expected values of every case.
- `VARIANTS: dict[str, dict[str, callable]]`: task -> {variant: a typical wrong
  implementation}; the stored value of a variant on a visible case lets the visible check
  say which mistake a failing value looks like (`Case.mistakes` names the variants).
- `HIDDEN: dict[str, Case]`: the hidden cases (inputs the student never sees).
- `STAND_INS: dict[str, str | callable]` (optional): task -> what stands in for the
  student's function while *later* tasks are judged (error carried forward: a wrong
  `cosine_similarity` costs only its own cell). Either `"module:attribute"` of an
  importable function (ssl_keras's own) or a self-contained function whose source the
  judge compiles (it may use only `np`, `keras`, `ops` and its own body).
- `FORBIDDEN: dict[str, list[str]]` (optional): task -> dotted names of callables the
  student's code must not call while that task is judged (the package's implementation of
  the function being taught). In the judge they raise; a value computed through them is
  never counted.
- `SETUP: tuple[str, ...]` (optional, default `("setup",)`): grade_ids of the source
  notebook's locked cells the judge runs before it loads the answers (imports, constants).

The visible module `checks/<assignment>.py` defines `NAME`, `TASKS` (test cell grade_id
-> task, in notebook order), `VISIBLE: dict[str, Case]` and the `check_<task>` functions.
"""
