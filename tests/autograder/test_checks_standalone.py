"""The student-side checks need only the installed package: no grading pipeline, no clone.

A student's kernel (Colab, a laptop) has `ssl_keras` and its checks from the wheel, and
neither nbgrader, nbclient, psutil, the judge nor the sandbox. A fresh interpreter, run
outside the repository with those modules refused by an import hook, imports every checks
module and runs a visible check end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from ssl_keras_autograder import paths

# What a student's kernel may lack: the grading pipeline and the repository's own layout.
BLOCKED_TOP_LEVEL = ("nbgrader", "nbclient", "nbformat", "nbconvert", "jupyter_client",
                     "psutil", "autograder", "assignments", "benchmarks", "tests")

SCRIPT = textwrap.dedent("""
    import importlib
    import importlib.abc
    import sys

    BLOCKED = set(sys.argv[1].split(","))


    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            top = fullname.partition(".")[0]
            inside = fullname.split(".")[1:2]
            if top in BLOCKED or (top == "ssl_keras_autograder" and inside
                                  and inside != ["checks"]):
                raise ImportError(f"blocked: {fullname}")
            return None


    sys.meta_path.insert(0, Refuse())
    for name in sys.argv[2].split(","):
        importlib.import_module(f"ssl_keras_autograder.checks.{name}")
    from ssl_keras_autograder.checks import temperature
    import numpy as np

    def softmax_with_temperature(logits, temperature=1.0):
        z = np.asarray(logits, dtype="float64") / temperature
        z = np.exp(z - z.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    temperature.check_softmax_with_temperature(softmax_with_temperature)
    loaded = sorted(m for m in sys.modules if m.startswith("ssl_keras_autograder"))
    print("LOADED", ",".join(loaded))
""")


def run_script(tmp_path, blocked, names):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(blocked), ",".join(names)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )


def test_checks_import_and_run_without_the_grading_pipeline(tmp_path):
    result = run_script(tmp_path, BLOCKED_TOP_LEVEL, paths.ASSIGNMENTS)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "softmax_with_temperature: all visible checks passed." in result.stdout
    loaded = result.stdout.split("LOADED ")[1].split()[0].split(",")
    assert {f"ssl_keras_autograder.checks.{name}" for name in paths.ASSIGNMENTS} <= set(loaded)
    assert all(name.startswith("ssl_keras_autograder.checks") or name == "ssl_keras_autograder"
               for name in loaded), loaded


def test_the_import_hook_really_blocks(tmp_path):
    """The same hook refuses a grading module that is asked for (the test above can fail)."""
    result = run_script(tmp_path, BLOCKED_TOP_LEVEL + ("numpy",), ["temperature"])
    assert result.returncode != 0 and "blocked: numpy" in result.stderr
