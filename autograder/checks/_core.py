"""What every checks module shares: cases, the one comparison rule, and visible checks.

A notebook's test cell calls one function of `ssl_keras_autograder.checks.<assignment>`,
`check_<task>(student_function)`, in the student's kernel. It runs the task's *visible*
cases and compares each value with the expected value stored in
`checks/expected/<assignment>.json` (computed by `python -m autograder references` from the
grader's private reference implementations, never typed by hand, never shipped as code).
A failing case raises `AssertionError` with a message a student understands; when the
value equals one of the usual mistakes (also stored, as values), the message names it.

Points never come from the kernel. The grader's judge (`autograder/judge.py`) loads the
answer cells' definitions in a separate process and evaluates the *same* visible cases and
the assignment's hidden ones (`autograder/judges/<assignment>.py`, grader-private), and
the grader compares them with `compare`, the function the visible checks use: whatever a
hidden case checks (shape, finite values, integer values, closeness) is checked visibly too.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

EXPECTED_DIR = Path(__file__).resolve().parent / "expected"


@dataclasses.dataclass(frozen=True)
class Case:
    """An input on which a student's function is evaluated and compared.

    Args:
        task: the name of the student's function or class (e.g. `"nt_xent"`).
        inputs: builds the positional inputs (NumPy arrays or Python values).
        kwargs: keyword arguments.
        measure: name of a function of the visible checks module, called as
            `measure(student_object, *inputs, **kwargs)`, that turns the student's object
            (a class, say) into the numbers compared; None calls the object itself.
        rtol, atol: tolerances of `numpy.allclose`.
        description: what the case tests, in words shown to the student.
        mistakes: `(variant, message)` pairs: when a failing value equals the stored value
            of that wrong variant on this case, the visible check says `message`.
    """

    task: str
    inputs: Callable[[], list]
    kwargs: dict = dataclasses.field(default_factory=dict)
    measure: str | None = None
    rtol: float = 1e-4
    atol: float = 1e-5
    description: str = ""
    mistakes: tuple = ()


def normal(seed: int, *shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Standard-normal float32 arrays from one seeded generator, in order."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype("float32") for shape in shapes]


def to_array(value) -> np.ndarray:
    """A backend tensor, NumPy array or Python number as a NumPy array (dtype kept)."""
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        try:
            value = value.detach().cpu().numpy() if hasattr(value, "detach") else value.numpy()
        except Exception:  # noqa: BLE001 (fall back to keras below)
            pass
    if not isinstance(value, np.ndarray | int | float | bool | list | tuple | np.generic):
        import keras

        value = keras.ops.convert_to_numpy(value)
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        array = array.astype("float64")
    return array


def evaluate(case: Case, function, module=None):
    """The raw value of `case` for `function` (through `case.measure` of `module`)."""
    if case.measure:
        return getattr(module, case.measure)(function, *case.inputs(), **case.kwargs)
    return function(*case.inputs(), **case.kwargs)


def as_record(value) -> dict:
    """A value as the grader stores and compares it: shape, dtype kind, nested lists."""
    array = to_array(value)
    kind = array.dtype.kind
    return {
        "shape": list(array.shape),
        "kind": "f" if kind == "f" else "i",
        "value": array.astype("float64").tolist(),
    }


def compare(record: dict, expected: dict) -> str | None:
    """None if `record` (from `as_record`, or `{"error": ...}`) matches `expected`, else
    what differs, in words. The only comparison rule: the visible checks in the kernel and
    the grader's judge of every (visible and hidden) case both use it.
    """
    task = expected.get("task") or "your function"
    if record is None:
        return f"{task} gave no value"
    if "error" in record:
        return f"{task} raised {record['error']}"
    try:
        actual = np.asarray(record["value"], dtype="float64")
        wanted = np.asarray(expected["value"], dtype="float64")
    except (KeyError, TypeError, ValueError):
        return f"{task} returned something that is not an array of numbers"
    if list(actual.shape) != list(wanted.shape):
        return (f"{task} returned shape {tuple(actual.shape)}; the expected shape is "
                f"{tuple(wanted.shape)}" + _shape_hint(actual.shape, wanted.shape))
    if not np.all(np.isfinite(actual)):
        return f"{task} gave NaN or infinity"
    if expected.get("kind") == "i" and not np.array_equal(actual, np.round(actual)):
        return f"{task} should give whole numbers (counts or indices); it gave fractions"
    rtol, atol = expected.get("rtol", 1e-4), expected.get("atol", 1e-5)
    if np.allclose(actual, wanted, rtol=rtol, atol=atol):
        return None
    if actual.size == 1:
        return f"{task} gave {actual.item():.6g}; the expected value is {wanted.item():.6g}"
    difference = float(np.max(np.abs(actual - wanted)))
    return f"{task} differs from the expected values by up to {difference:.3g}"


def _shape_hint(actual, wanted) -> str:
    if tuple(wanted) == () and int(np.prod(actual)) == 1:
        return " (a scalar: return the number itself, e.g. `ops.mean(...)`, not an array of 1)"
    return ""


@functools.cache
def expected_values(assignment: str) -> dict:
    """The stored expected values of an assignment's visible cases (and their mistakes)."""
    path = EXPECTED_DIR / f"{assignment}.json"
    return json.loads(path.read_text())


def run_case(case: Case, function, module) -> dict:
    """Evaluates one case as a record; a student's exception becomes `{"error": ...}`."""
    try:
        return as_record(evaluate(case, function, module))
    except NotImplementedError:
        raise AssertionError(
            f"{case.task}: not implemented yet (remove the `raise NotImplementedError()` "
            "line and write your code).") from None
    except AssertionError:
        raise
    except Exception as error:  # noqa: BLE001 (reported to the student in words)
        return {"error": f"{type(error).__name__}: {error}"}


def check(module, task: str, function) -> None:
    """Runs the visible cases of `task` from `module.VISIBLE` against the stored expected
    values; raises `AssertionError` on the first failure, naming the case (and the mistake
    it looks like). Prints a line when all pass."""
    stored = expected_values(module.NAME)
    for name, case in module.VISIBLE.items():
        if case.task != task:
            continue
        expected = stored[name]
        record = run_case(case, function, module)
        problem = compare(record, expected)
        if problem is None:
            continue
        for variant, message in case.mistakes:
            mistake = expected.get("mistakes", {}).get(variant)
            if mistake is not None and "error" not in record and compare(
                record, {**expected, "value": mistake["value"]}
            ) is None:
                problem += f": it looks like {message}"
                break
        raise AssertionError(f"{case.description or name}: {problem}.")
    print(f"{task}: all visible checks passed.")


def is_close_scalar(a: float, b: float, rel: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)
