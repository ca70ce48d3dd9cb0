"""The Gradescope autograder zip, run the way Gradescope runs it.

Gradescope unpacks the zip into `/autograder/source/`, runs `setup.sh` once, then for each
submission puts the student's files in `/autograder/submission/` and runs
`run_autograder`, which must write `/autograder/results/results.json`. Here the same layout
lives in a temporary folder (`AUTOGRADER_ROOT`), `setup.sh` is checked as a dry run (the
test's virtual environment is already installed) and `run_autograder` runs for real.
The expected points come from the fixture corpus (`autograder/fixtures/temperature/
expected.json`), not from this code.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import pytest
from ssl_keras_autograder import paths
from ssl_keras_autograder.__main__ import main
from ssl_keras_autograder.gradescope import VISIBILITIES, build_autograder, to_gradescope

NAME = "temperature"  # the cheapest assignment to grade (one autograded cell)
FIXTURES = paths.PACKAGE_DIR / "fixtures" / NAME
TOP_LEVEL = {
    "score", "execution_time", "output", "output_format", "test_output_format",
    "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
}
TEST_FIELDS = {
    "score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
    "tags", "visibility", "extra_data",
}


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    return build_autograder(
        NAME, out, backend=keras.backend.backend(),
        grade_options={"cell_timeout": 120.0, "timeout": 600.0},
    )


def _layout(autograder_zip: Path, root: Path, files: dict[str, bytes]) -> Path:
    """/autograder as Gradescope lays it out: source/ (the zip), submission/, results/."""
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    for name, data in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "submission").mkdir(parents=True, exist_ok=True)
    (root / "results").mkdir()
    return root


def _environment(root: Path, **extra) -> dict:
    return {
        "PATH": os.environ["PATH"], "HOME": str(root), "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_PYTHON": sys.executable, **extra,
    }


def _run_autograder(root: Path, **extra) -> tuple[dict, subprocess.CompletedProcess]:
    process = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], cwd=root,
        env=_environment(root, **extra), capture_output=True, text=True, timeout=900,
    )
    assert process.returncode == 0, process.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    _check_spec(document)
    return document, process


def _check_spec(document: dict) -> None:
    """Gradescope's results.json format (gradescope-autograders.readthedocs.io, specs)."""
    assert set(document) <= TOP_LEVEL, set(document) - TOP_LEVEL
    assert isinstance(document["score"], (int, float))
    assert document.get("visibility", "visible") in VISIBILITIES
    assert document.get("stdout_visibility", "visible") in VISIBILITIES
    assert isinstance(document.get("output", ""), str)
    assert isinstance(document["tests"], list)
    scored = 0.0
    for test in document["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITIES
        assert test.get("status", "passed") in ("passed", "failed")
        if "score" in test or "max_score" in test:
            assert 0 <= test["score"] <= test["max_score"]
            scored += test["score"]
    assert document["score"] == pytest.approx(scored)


def _notebook(fixture: str) -> bytes:
    return (FIXTURES / f"{fixture}.ipynb").read_bytes()


def _expected(fixture: str) -> dict:
    return json.loads((FIXTURES / "expected.json").read_text())["fixtures"][fixture]


# --- the zip ----------------------------------------------------------------------------


def test_zip_holds_setup_runner_settings_grading_copy_and_wheel(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        settings = json.loads(archive.read("autograder.json"))
        grading = archive.read(f"assignment/{NAME}.grading.ipynb").decode()
        wheels = [name for name in names if name.startswith("wheels/")]
        assert len(wheels) == 1 and wheels[0].endswith(".whl")
        with zipfile.ZipFile(archive.open(wheels[0])) as wheel:
            packaged = set(wheel.namelist())
    assert {"setup.sh", "run_autograder", "autograder.json"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    # setup.sh installs exactly the wheel that is in the zip, with the chosen backend
    assert re.findall(r"wheels/(ssl_keras-[^\"\s]+\.whl)", setup) == [wheels[0][len("wheels/"):]]
    assert f'AUTOGRADER_BACKEND:-{keras.backend.backend()}}}' in setup
    assert settings["assignment"] == NAME and settings["backend"] == keras.backend.backend()
    # the grading copy: test cells kept, solutions removed
    assert '"grade_id": "softmax_tests"' in grading and "BEGIN SOLUTION" not in grading
    # the package the grader needs, with its hidden cases and references, is in the wheel
    for path in ("ssl_keras/__init__.py", "ssl_keras_autograder/gradescope.py",
                 f"ssl_keras_autograder/judges/{NAME}.py",
                 f"ssl_keras_autograder/references/{NAME}.json"):
        assert path in packaged
    assert not any("/fixtures/" in path for path in packaged)


def test_scripts_are_valid_bash_and_setup_dry_run_installs_the_wheel(autograder_zip, tmp_path):
    root = _layout(autograder_zip, tmp_path, {})
    for script in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", str(root / "source" / script)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    wheel = next((root / "source" / "wheels").glob("*.whl"))

    def dry_run(**extra):
        return subprocess.run(
            ["bash", str(root / "source" / "setup.sh")], cwd=root / "source",
            env=_environment(root, AUTOGRADER_DRY_RUN="1", **extra),
            capture_output=True, text=True, timeout=60,
        )

    process = dry_run()
    assert process.returncode == 0, process.stderr
    backend = keras.backend.backend()
    assert f"python3 -m venv {root}/venv" in process.stdout
    install = [line for line in process.stdout.splitlines() if str(wheel) in line]
    assert len(install) == 1 and install[0].startswith(f"+ {root}/venv/bin/python -m pip install")
    assert install[0].endswith(f"{wheel}[grading,{backend}]")
    assert not (root / "venv").exists()  # a dry run installs nothing
    torch = dry_run(AUTOGRADER_BACKEND="torch")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in torch.stdout
    assert f"{wheel}[grading,torch]" in torch.stdout
    unknown = dry_run(AUTOGRADER_BACKEND="theano")
    assert unknown.returncode == 2 and "unknown backend" in unknown.stderr


def test_cli_builds_the_zip_and_refuses_an_unknown_assignment(autograder_zip, tmp_path, capsys):
    with zipfile.ZipFile(autograder_zip) as archive:
        wheel_name = next(n for n in archive.namelist() if n.startswith("wheels/"))
        (tmp_path / Path(wheel_name).name).write_bytes(archive.read(wheel_name))
    out = tmp_path / "out" / "autograder.zip"
    assert main(["gradescope", NAME, "--out", str(out), "--backend", "torch",
                 "--wheel", str(tmp_path / Path(wheel_name).name),
                 "--hidden-visibility", "after_published"]) == 0
    with zipfile.ZipFile(out) as archive:
        settings = json.loads(archive.read("autograder.json"))
    assert settings["backend"] == "torch" and settings["hidden_visibility"] == "after_published"
    assert main(["gradescope", "no_such_assignment", "--out", str(out)]) == 2
    assert "No source notebook" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["gradescope", "--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m autograder gradescope" in capsys.readouterr().out


# --- submissions that cannot be graded: score 0 and a message, never a crash -------------


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, "No notebook was submitted (received: nothing)"),
        ({"answers.pdf": b"%PDF-1.4"}, "No notebook was submitted (received: answers.pdf)"),
        ({"sheet7.ipynb": b"{}"}, "named sheet7.ipynb, but this assignment's notebook is "
                                  "temperature.ipynb"),
        ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "Several notebooks were submitted (a.ipynb, "
                                               "b.ipynb) and none is named temperature.ipynb"),
        ({"temperature.ipynb": b"{}", "old/Temperature.ipynb": b"{}"},
         "Several notebooks could be this assignment's"),
    ],
    ids=["nothing", "pdf", "wrong_name", "several", "two_named_right"],
)
def test_ungradable_submission_scores_zero_with_a_message(autograder_zip, tmp_path, files,
                                                          message):
    document, _ = _run_autograder(_layout(autograder_zip, tmp_path, files))
    assert document["score"] == 0 and document["tests"] == []
    assert message in document["output"]
    assert document["visibility"] == "visible"


def test_results_json_is_written_even_when_the_grader_cannot_start(autograder_zip, tmp_path):
    root = _layout(autograder_zip, tmp_path, {f"{NAME}.ipynb": _notebook("correct")})
    document, process = _run_autograder(root, AUTOGRADER_PYTHON=str(tmp_path / "no_python"))
    assert document["score"] == 0 and "could not run" in document["output"]
    assert "did not write results.json" in process.stderr


# --- visibility ---------------------------------------------------------------------------


def _cell(grade_id, points, max_points, status, messages, kind="autograded"):
    return {"grade_id": grade_id, "kind": kind, "points": points, "max_points": max_points,
            "status": status, "messages": messages}


def test_hidden_case_points_after_the_due_date_visible_checks_at_once():
    result = {
        "score": 1.0, "max_score": 4.0, "manual_pending": 3.0, "messages": [],
        "cells": [
            # fails a hidden case only: its visible checks pass
            _cell("a_tests", 0.0, 2.0, "failed",
                  ["f gave 1; the expected value is 2 (on a hidden case: x = 3)"]),
            # fails a visible case: the student is told at once
            _cell("b_tests", 0.0, 1.0, "failed",
                  ["g gave 0; the expected value is 1 (on a visible case: g(1))",
                   "g gave 0; the expected value is 5 (on a hidden case: g(5))"]),
            # no hidden case: its points are shown at once
            _cell("c_tests", 1.0, 1.0, "passed", []),
            _cell("essay", 0.0, 3.0, "pending manual grading", ["graded by hand"], "manual"),
        ],
    }
    document = to_gradescope(result, {"a_tests", "b_tests"}, "after_due_date")
    _check_spec(document)
    tests = {test["name"]: test for test in document["tests"]}
    assert list(tests) == ["a_tests: visible checks", "a_tests", "b_tests: visible checks",
                           "b_tests", "c_tests"]
    assert tests["a_tests: visible checks"]["status"] == "passed"
    assert "x = 3" not in tests["a_tests: visible checks"]["output"]
    assert tests["b_tests: visible checks"]["status"] == "failed"
    assert "g(1)" in tests["b_tests: visible checks"]["output"]
    assert "g(5)" not in tests["b_tests: visible checks"]["output"]
    for name in ("a_tests: visible checks", "b_tests: visible checks", "c_tests"):
        assert tests[name]["visibility"] == "visible"
    for name in ("a_tests", "b_tests"):
        assert tests[name]["visibility"] == "after_due_date" and tests[name]["score"] == 0
    assert (tests["a_tests"]["max_score"], tests["c_tests"]["score"]) == (2.0, 1.0)
    assert "essay" not in tests and "3 more points are graded by hand" in document["output"]
    assert document["score"] == 1.0 and document["stdout_visibility"] == "hidden"


# --- a real submission, graded as on Gradescope -------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "fixture, files",
    [
        ("correct", {"Copy of temperature.ipynb": "correct"}),
        ("wrong_axis", {"temperature.ipynb": "wrong_axis", "scratch.ipynb": "correct"}),
    ],
)
def test_run_autograder_grades_the_submitted_notebook(autograder_zip, tmp_path, fixture, files):
    root = _layout(autograder_zip, tmp_path,
                   {name: _notebook(source) for name, source in files.items()})
    document, process = _run_autograder(root)
    expected = _expected(fixture)
    assert document["score"] == pytest.approx(expected["score"]), process.stdout
    tests = {test["name"]: test for test in document["tests"]}
    for grade_id, points in expected["cells"].items():
        assert tests[grade_id]["score"] == pytest.approx(points)
        assert tests[grade_id]["visibility"] == "after_due_date"
        assert tests[f"{grade_id}: visible checks"]["visibility"] == "visible"
        assert tests[grade_id]["status"] == ("passed" if points else "failed")
    assert "graded by hand" in document["output"]
    if "scratch.ipynb" in files:
        assert "ignored the other notebooks: scratch.ipynb" in document["output"]
        assert tests["softmax_tests: visible checks"]["status"] == "failed"
    assert not list((root / "results").glob("*.ipynb"))  # hidden tests stay on the grader
