"""The judge: scores a submission's answers in a process of its own, outside the notebook.

`python judge.py FD` (a standalone script, run by the grader inside the submission's
sandbox) reads length-prefixed pickled frames on stdin, written by the grader
(`autograder/steps/judge.py`):

1. a header: `{"setup": [source of the assignment's locked setup cells],
   "cells": [[label, source, is_answer_cell], ...] (the student's own code cells: answer
   cells, cells they added, scratch cells; never locked or test cells),
   "tasks": [every task name], "checks_module": importable name or None}`;
2. then, one at a time, one request per task in notebook order: `{"task", "timeout"
   (seconds for the whole task), "cases":
   [{"name", "inputs", "kwargs", "measure"}], "stand_ins": {earlier task: "module:attr" or
   source}, "forbidden": [dotted names]}`. The grader sends the next request only after
   it has read this task's answer, so no task's process ever holds a later task's data.

For each request the judge forks a fresh child (it has imported numpy, keras and ssl_keras,
but run nothing, so the fork is clean) that:
- refuses the task's forbidden callables (they raise when called; a call made while a
  case is evaluated is reported, whatever the student's code does with the exception);
- starts from the namespace of the setup cells, then loads only *definitions* (no
  top-level calls, prints, plots or loops): imports, functions, classes and call-free
  assignments of the student's other cells, then imports, functions, classes and
  assignments of the answer cells, in notebook order, so the answer cells' definitions
  win: a scratch cell, a comment or a docstring never matters, and neither does where the
  answer cell stands;
- puts the stand-ins of the earlier tasks in place of the student's versions (error
  carried forward);
- evaluates every case and sends one JSON line per case on its own pipe.
The parent judge reads that pipe (bounded in size and time), keeps only this task's cases,
and writes one JSON line per task to FD, the channel only the grader reads. The judge and
its children are not dumpable, so a child cannot open another process's file descriptors or
memory through /proc. Nothing the student's kernel printed is read.
"""

from __future__ import annotations

import ast
import ctypes
import json
import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback

MAX_ANSWER_BYTES = 32 * 2**20
KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                   ast.ClassDef, ast.Assign, ast.AnnAssign)
# Cell magics whose body is still the cell's Python code.
TRANSPARENT_CELL_MAGICS = ("time", "timeit", "capture", "prun", "memit")


class ForbiddenCall(BaseException):  # noqa: N818 (not an error the student should catch)
    """Raised by a forbidden callable; derives from BaseException so `except Exception` in
    the student's code does not swallow it (the call is reported either way)."""


class CaseTimeout(BaseException):  # noqa: N818
    pass


def _not_dumpable() -> None:
    try:
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def read_frame(fd: int):
    header = _read_exactly(fd, 8)
    if header is None:
        return None
    (size,) = struct.unpack("<Q", header)
    body = _read_exactly(fd, size)
    return None if body is None else pickle.loads(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------
# Loading the answers: definitions only.


def python_source(source: str) -> str | None:
    """The cell as plain Python (magics removed or turned into calls), or None when the
    cell is not Python (a `%%writefile`, `%%bash`, ... cell)."""
    lines = source.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in TRANSPARENT_CELL_MAGICS:
            return None
        index = next(i for i, line in enumerate(lines) if line.strip())
        lines = lines[index + 1:]
        source = "\n".join(lines)
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 (plain Python needs no transformation)
        return source


def _calls(node) -> set:
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            target = child.func
            while isinstance(target, ast.Attribute):
                target = target.value
            if isinstance(target, ast.Name):
                names.add(target.id)
    return names


def _targets(node) -> set:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {name.id for target in targets for name in ast.walk(target)
            if isinstance(name, ast.Name)}


def definitions(cells: list, tasks: set) -> tuple[list, list]:
    """([(label, compiled statement)], [problems]) of the student's cells.

    `cells` holds `(label, source, is_answer_cell)`. Other cells come first, then the
    answer cells, each group in notebook order. Kept: imports, functions, classes, and
    assignments: in answer cells unless the value calls a function the student's cells
    define (a test run) and binds no task; in other cells only when the value calls
    nothing (a constant: scratch work is never run).
    """
    ordered = [cell for cell in cells if not cell[2]] + [cell for cell in cells if cell[2]]
    parsed, defined, problems = [], set(), []
    for grade_id, source, answer in ordered:
        text = python_source(source)
        if text is None:
            continue  # %%writefile, %%bash, ...: not Python
        try:
            tree = ast.parse(text)
        except SyntaxError as error:
            problems.append(f"{grade_id} has a syntax error (line {error.lineno}: "
                            f"{error.msg})")
            continue
        parsed.append((grade_id, tree, answer))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
    statements = []
    for grade_id, tree, answer in parsed:
        for node in tree.body:
            if not isinstance(node, KEPT_STATEMENTS):
                continue
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                if not answer and _calls(node):
                    continue
                if answer and _calls(node) & defined and not (_targets(node) & tasks):
                    continue
            module = ast.Module(body=[node], type_ignores=[])
            try:
                statements.append((grade_id, compile(module, f"<{grade_id}>", "exec")))
            except (SyntaxError, ValueError) as error:
                problems.append(f"{grade_id}: {type(error).__name__}: {error}")
    return statements, problems


# ---------------------------------------------------------------------------------------
# Forbidden callables.

HITS: list = []
JUDGING = [False]


def _forbidden(name: str):
    if JUDGING[0]:
        HITS.append(name)
    raise ForbiddenCall(f"{name} may not be used in this task")


def resolve(dotted: str):
    """The object a dotted name reaches, or None: attributes first (`ssl_keras.losses.nt_xent`
    is the function even though a module of that name exists), else importing a module."""
    import importlib

    parts = dotted.split(".")
    try:
        value = importlib.import_module(parts[0])
    except Exception:  # noqa: BLE001 (not importable here: nothing to refuse)
        return None
    for index, part in enumerate(parts[1:], start=1):
        if hasattr(value, part):
            value = getattr(value, part)
            continue
        try:  # the module under a re-exported function's name (`distributed.gathered_nt_xent`)
            value = getattr(importlib.import_module(".".join(parts[:index])), part)
            continue
        except Exception:  # noqa: BLE001 (not a module, or not in it)
            pass
        try:  # a submodule not imported yet
            value = importlib.import_module(".".join(parts[:index + 1]))
        except Exception:  # noqa: BLE001
            return None
    return value


PENDING: list = []  # forbidden names whose module is not imported yet


def refuse(names: list) -> None:
    """Makes every callable in `names` raise `ForbiddenCall` however it is reached: the
    function's own code is replaced (covers aliases, stored references, `getattr`, star
    imports and `exec`), classes refuse to be built or called, and module attributes that
    hold them are replaced too. A name whose top module is not imported yet (say,
    `torch.softmax` in a jax judge) is refused as soon as an import brings it in: importing
    every backend up front would cost seconds per task."""
    import builtins

    PENDING.extend(names)
    refuse_pending()
    original = builtins.__import__

    def importing(*args, **kwargs):
        module = original(*args, **kwargs)
        if PENDING:
            refuse_pending()
        return module

    builtins.__import__ = importing


def refuse_pending() -> None:
    ready = [name for name in PENDING if name.split(".")[0] in sys.modules]
    if not ready:
        return
    for name in ready:
        PENDING.remove(name)
    _refuse_now(ready)


def _refuse_now(names: list) -> None:
    import inspect
    import types

    targets = {}
    for dotted in names:
        obj = resolve(dotted)
        if obj is None or isinstance(obj, types.ModuleType):
            continue
        targets[id(obj)] = (dotted, obj)
    for dotted, obj in targets.values():
        code = compile(f"def _refused(*args, **kwargs):\n    __judge_refuse__({dotted!r})\n",
                       "<forbidden>", "exec")
        stub_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
        if inspect.isfunction(obj) and not obj.__code__.co_freevars:
            obj.__globals__["__judge_refuse__"] = _forbidden
            obj.__code__ = stub_code
        elif inspect.isclass(obj):
            def refused(*args, _name=dotted, **kwargs):
                _forbidden(_name)

            for attribute in ("__init__", "__call__", "call"):
                try:
                    setattr(obj, attribute, refused)
                except (TypeError, AttributeError):
                    pass
        else:
            def refused(*args, _name=dotted, **kwargs):
                _forbidden(_name)

            for module in list(sys.modules.values()):
                namespace = getattr(module, "__dict__", None)
                if not isinstance(namespace, dict):
                    continue
                for key, value in list(namespace.items()):
                    if value is obj:
                        namespace[key] = refused


# ---------------------------------------------------------------------------------------
# One task, in a forked child.


def _stand_in(spec: str):
    import importlib

    if ":" in spec and "\n" not in spec:
        module, attribute = spec.split(":", 1)
        return getattr(importlib.import_module(module), attribute)
    import keras
    import numpy as np
    from keras import ops

    namespace = {"np": np, "keras": keras, "ops": ops}
    exec(compile(spec, "<stand-in>", "exec"), namespace)  # the grader's own code
    functions = [value for key, value in namespace.items()
                 if callable(value) and key not in ("np", "keras", "ops")]
    return functions[-1]


def _on_alarm(signum, frame):
    raise CaseTimeout()


class _Dummy:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def run_task(header: dict, request: dict, out) -> None:
    """In the child: load, evaluate, and write one JSON line per case to `out`."""
    from ssl_keras_autograder.checks._core import as_record

    def send(payload):
        out.write(json.dumps(payload, allow_nan=True) + "\n")
        out.flush()

    task = request["task"]
    refuse(request["forbidden"])
    if isinstance(header.get("setup_error"), str):
        send({"error": header["setup_error"]})
        return
    namespace = dict(header["namespace"])
    statements, problems = definitions(header["cells"], set(header["tasks"]))
    load_errors = {}
    for grade_id, code in statements:
        try:
            exec(code, namespace)
        except BaseException as error:  # noqa: BLE001 (reported only if the task is missing)
            load_errors.setdefault(grade_id, f"{type(error).__name__}: {error}")
    for earlier, spec in request["stand_ins"].items():
        namespace[earlier] = _stand_in(spec)
    function = namespace.get(task)
    if function is None or not callable(function):
        why = [f"the grader found no function or class named `{task}` in your answer cells"]
        why += problems
        why += [f"loading {label} failed: {error}" for label, error in load_errors.items()]
        send({"missing": "; ".join(why)})
        return
    checks = None
    if header.get("checks_module"):
        import importlib

        checks = importlib.import_module(header["checks_module"])
    signal.signal(signal.SIGALRM, _on_alarm)
    timeout = float(request.get("timeout", 60))
    for case in request["cases"]:
        refuse_pending()  # modules the answers imported inside their functions
        JUDGING[0] = True
        started = time.monotonic()
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout)
            if case["measure"]:
                value = getattr(checks, case["measure"])(function, *case["inputs"],
                                                         **case["kwargs"])
            else:
                value = function(*case["inputs"], **case["kwargs"])
            signal.setitimer(signal.ITIMER_REAL, 0)
            record = as_record(value)
        except CaseTimeout:
            record = {"error": f"no result within the {timeout:.0f} s limit of one case "
                               "(an infinite loop, or very slow code?)"}
        except ForbiddenCall as error:
            record = {"error": f"a forbidden call ({error})"}
        except RecursionError:
            record = {"error": "RecursionError: maximum recursion depth exceeded"}
        except BaseException as error:  # noqa: BLE001 (the student's exception, in words)
            text = str(error)
            record = {"error": f"{type(error).__name__}: {text[:500]}"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            JUDGING[0] = False
        record["case"] = case["name"]
        record["seconds"] = round(time.monotonic() - started, 3)
        send(record)
    if HITS:
        send({"forbidden": sorted(set(HITS))})


def run_setup(header: dict) -> None:
    """Runs the assignment's setup cells once, before any student code, in the judge; every
    task's child starts from a copy of the resulting namespace."""
    import random

    import keras
    import numpy

    namespace = {"__name__": "__main__", "get_ipython": lambda: _Dummy()}
    # The cases do not depend on global seeds; Keras's `set_random_seed` would import
    # TensorFlow (seconds) on every backend just to seed it.
    original_seed = keras.utils.set_random_seed
    keras.utils.set_random_seed = lambda seed: (random.seed(seed), numpy.random.seed(seed))
    for index, source in enumerate(header["setup"]):
        text = python_source(source) or ""
        text = "\n".join(line for line in text.splitlines() if "get_ipython()" not in line)
        try:
            exec(compile(text, f"<setup {index}>", "exec"), namespace)
        except BaseException as error:  # noqa: BLE001 (the grader's problem, said so)
            header["setup_error"] = (f"the grader could not run the assignment's setup cell "
                                     f"({type(error).__name__}: {error}): not your fault")
            break
    keras.utils.set_random_seed = original_seed
    header["namespace"] = namespace


def judge_task(header: dict, request: dict, task_timeout: float) -> dict:
    """In the judge: forks the child for one task and collects its answer."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            _not_dumpable()
            os.close(read_end)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            for fd in header.get("close_fds", []):
                try:
                    os.close(fd)
                except OSError:
                    pass
            with os.fdopen(write_end, "w") as out:
                try:
                    run_task(header, request, out)
                except BaseException:  # noqa: BLE001
                    out.write(json.dumps({"error": "the grader's judge failed: "
                                          + traceback.format_exc()[-800:]}) + "\n")
        finally:
            os._exit(0)
    os.close(write_end)
    started = time.monotonic()
    data, timed_out = bytearray(), False
    while True:
        left = task_timeout - (time.monotonic() - started)
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([read_end], [], [], min(left, 1.0))
        if not ready:
            continue
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        if len(data) < MAX_ANSWER_BYTES:
            data += chunk[:MAX_ANSWER_BYTES - len(data)]
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    return collect(request, bytes(data), timed_out, status, time.monotonic() - started,
                   task_timeout)


def collect(request, data: bytes, timed_out: bool, status: int, seconds: float,
            task_timeout: float) -> dict:
    """The task's answer from the child's lines: this task's cases only, each once."""
    names = {case["name"] for case in request["cases"]}
    answer = {"task": request["task"], "records": {}, "forbidden": [], "missing": None,
              "error": None, "seconds": round(seconds, 2)}
    twice = set()
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            payload = json.loads(line)
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        if "case" in payload:
            name = payload["case"]
            if name not in names:
                continue
            if name in answer["records"]:
                twice.add(name)
            answer["records"][name] = payload
        elif isinstance(payload.get("forbidden"), list):
            answer["forbidden"] += [str(item)[:200] for item in payload["forbidden"]]
        elif payload.get("missing") and answer["missing"] is None:
            answer["missing"] = str(payload["missing"])[:2000]
        elif payload.get("error") and answer["error"] is None:
            answer["error"] = str(payload["error"])[:2000]
    for name in twice:
        answer["records"][name] = {"case": name, "error": "a result was sent twice"}
    if timed_out:
        answer["error"] = (f"judging {request['task']} took longer than its "
                           f"{task_timeout:.0f} s limit (an infinite loop, or very slow code?)")
    elif os.WIFSIGNALED(status) and len(answer["records"]) < len(names):
        answer["error"] = (f"the process judging {request['task']} was stopped "
                           f"(signal {os.WTERMSIG(status)}: too much memory, or a crash)")
    elif len(answer["records"]) < len(names) and not (answer["missing"] or answer["error"]):
        answer["error"] = (f"the process judging {request['task']} ended before every case "
                           "was evaluated (os._exit or sys.exit in your code?)")
    return answer


def main() -> None:
    _not_dumpable()
    result_fd = int(sys.argv[1])
    stdin = sys.stdin.fileno()
    header = read_frame(stdin)
    if header is None:
        return
    header["close_fds"] = [result_fd, stdin]
    import keras  # noqa: F401 (imported once here, before any fork)
    import numpy  # noqa: F401

    try:
        import ssl_keras  # noqa: F401
    except ImportError:
        pass
    try:
        import IPython.core.inputtransformer2  # noqa: F401
    except ImportError:
        pass
    if header.get("checks_module"):
        import importlib

        importlib.import_module(header["checks_module"])
    run_setup(header)
    with os.fdopen(result_fd, "w") as channel:
        while True:
            request = read_frame(stdin)
            if request is None:
                break
            answer = judge_task(header, request, float(request.get("timeout", 60)))
            channel.write(json.dumps(answer, allow_nan=True) + "\n")
            channel.flush()
            del request


if __name__ == "__main__":
    main()
