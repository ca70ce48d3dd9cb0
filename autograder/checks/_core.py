"""What every checks module shares: hidden cases, records, and student-facing failures.

A notebook's test cell calls one function from `ssl_keras_autograder.checks.<assignment>`:

- `check_<task>(student_function)` runs visible checks inside the student's kernel and
  raises `AssertionError` with a message a student understands. These help the student;
  a submission that patches `assert` or `numpy.testing` can fool them, so they carry no
  weight on their own.
- `record_<task>(student_function)` (inside nbgrader's hidden-test markers) runs the
  student's function on the assignment's hidden `Case`s and prints each value on a
  marker line. The grader reads those lines from the executed notebook and compares
  them, outside the kernel, with `references/<assignment>.json`, which
  `python -m autograder references` computes from ssl_keras's reference
  implementations. Nothing the student's code patches reaches that comparison.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable

import numpy as np

RECORD_MARKER = "@@ssl-keras-grader@@"


@dataclasses.dataclass(frozen=True)
class Case:
    """A hidden input on which a student's function is compared with the reference.

    Args:
        cell: grade_id of the notebook test cell that records this case.
        task: the `record_<task>` function that records it.
        inputs: builds the positional inputs (a list of NumPy arrays or Python values),
            the same in the student's kernel and in the reference script.
        reference: the reference implementation, called as
            `reference(*inputs(), **kwargs)`; it should return an array-like.
        kwargs: keyword arguments passed to both the student's and the reference
            function.
        rtol, atol: tolerances of the comparison (`numpy.allclose`).
        description: what the case tests, in words shown to the student on failure.
    """

    cell: str
    task: str
    inputs: Callable[[], list]
    reference: Callable
    kwargs: dict = dataclasses.field(default_factory=dict)
    rtol: float = 1e-4
    atol: float = 1e-5
    description: str = ""


def normal(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Standard-normal float32 arrays from one seeded generator, in order."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype("float32") for shape in shapes]


def to_array(value) -> np.ndarray:
    """A backend tensor, NumPy array or Python number as a float64 NumPy array."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        try:
            value = value.detach().cpu().numpy() if hasattr(value, "detach") else value.numpy()
        except Exception:  # noqa: BLE001 (fall back to keras below)
            pass
    if not isinstance(value, np.ndarray | int | float | bool | list | tuple):
        import keras

        value = keras.ops.convert_to_numpy(value)
    return np.asarray(value, dtype="float64")


def record(name: str, value) -> None:
    """Prints one recorded value on a marker line for the grader."""
    try:
        array = to_array(value)
        payload = {"case": name, "shape": list(array.shape), "value": array.tolist()}
    except Exception as error:  # noqa: BLE001 (the grader reports it; the cell goes on)
        payload = {"case": name, "error": f"{type(error).__name__}: {error}"}
    print(RECORD_MARKER + json.dumps(payload, allow_nan=True), flush=True)


def record_cases(cases: dict[str, Case], task: str, student_function: Callable) -> None:
    """Calls `student_function` on every hidden case of `task` and records the results."""
    for name, case in cases.items():
        if case.task != task:
            continue
        try:
            value = student_function(*case.inputs(), **case.kwargs)
        except Exception as error:  # noqa: BLE001 (a raising case is recorded as such)
            print(
                RECORD_MARKER
                + json.dumps({"case": name, "error": f"{type(error).__name__}: {error}"}),
                flush=True,
            )
            continue
        record(name, value)


def reference_values(cases: dict[str, Case]) -> dict[str, dict]:
    """The reference value of every case, as stored in `references/<assignment>.json`."""
    values = {}
    for name, case in cases.items():
        array = to_array(case.reference(*case.inputs(), **case.kwargs))
        values[name] = {
            "cell": case.cell,
            "task": case.task,
            "shape": list(array.shape),
            "value": array.tolist(),
            "rtol": case.rtol,
            "atol": case.atol,
            "description": case.description,
        }
    return values


def expect_close(actual, expected, what: str, rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Raises an `AssertionError` that says, in words, how `actual` differs from `expected`."""
    actual_array = to_array(actual)
    expected_array = np.asarray(expected, dtype="float64")
    if actual_array.shape != expected_array.shape:
        raise AssertionError(
            f"{what}: expected shape {expected_array.shape}, got shape {actual_array.shape}."
        )
    if not np.all(np.isfinite(actual_array)):
        raise AssertionError(f"{what}: the result contains NaN or infinity.")
    if not np.allclose(actual_array, expected_array, rtol=rtol, atol=atol):
        difference = float(np.max(np.abs(actual_array - expected_array)))
        if actual_array.size == 1:
            raise AssertionError(
                f"{what}: expected {expected_array.item():.6g}, got {actual_array.item():.6g}."
            )
        raise AssertionError(
            f"{what}: values differ from the expected ones by up to {difference:.3g}."
        )


def is_close_scalar(a: float, b: float, rel: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)
