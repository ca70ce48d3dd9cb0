"""The fixture corpus (autograder/fixtures/<assignment>/), graded one batch per assignment.

Every fixture's points per test cell and total must equal `expected.json`, which holds what
the submission deserves under the grading rules (autograder/fixtures/corpus.py), not what
some grader once returned. Batch-level facts are checked too: one distinct row per
submission, no process started by a fixture alive after grading, grades.csv unchanged 5 s
later, small executed notebooks and feedback pages for the big-output attacks, and the
collection cases (colliding names, symlinks, a zip with `..` entries and a bad CRC).

The default run grades the fixtures without the `slow` tag: all of temperature (the fastest
notebook, which carries most resource attacks), 9 contrastive_loss ones plus the collection
cases, one clip_zero_shot (a contrastive notebook takes 35-90 s of a core, clip ~65 s,
pretext ~100 s, foundation ~130 s); `-m slow` grades the rest, one more batch per
assignment. Runs in the jax pass of the suite only.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import keras
import psutil
import pytest
from ssl_keras_autograder import paths
from ssl_keras_autograder.config import GradeConfig
from ssl_keras_autograder.feedback import write_feedback
from ssl_keras_autograder.grade import grade_assignment

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="run once, with jax")

FIXTURES = paths.PACKAGE_DIR / "fixtures"
ASSIGNMENTS = ("temperature", "contrastive_loss", "clip_zero_shot", "pretext_tasks",
               "foundation_models", "simclr", "ablations")
EXPECTED = {name: json.loads((FIXTURES / name / "expected.json").read_text())
            for name in ASSIGNMENTS}
MARKER = EXPECTED["contrastive_loss"]["marker"]
BIG_OUTPUT_BYTES = 5 * 2**20  # executed notebook, result and feedback page of an attack
CONFIG = dict(jobs=2, backend="jax", cell_timeout=20, locked_cell_timeout=60, timeout=300,
              memory_mb=2048)


def _sandbox_problem() -> str | None:
    """Why fixtures tagged `sandbox` cannot run here (None: they can)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: no PID namespace to contain the attack"
    probe = subprocess.run(
        ["bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
         "--dev", "/dev", "true"], capture_output=True)
    if probe.returncode != 0:
        return ("bubblewrap cannot create namespaces here: "
                + probe.stderr.decode(errors="replace").strip()[:200])
    return None


def _cgroup_problem() -> str | None:
    """Why fixtures tagged `cgroup` (memory/pids limits) cannot run here."""
    if os.geteuid() != 0:
        return "the cgroup memory/pids limits need root"
    root = Path("/sys/fs/cgroup")
    writable = [folder for folder in (root, root / "memory", root / "pids")
                if folder.is_dir() and os.access(folder, os.W_OK)]
    if not writable:
        return "no writable cgroup (v2 or v1 memory/pids) under /sys/fs/cgroup"
    return None


SANDBOX_PROBLEM = _sandbox_problem()
CGROUP_PROBLEM = SANDBOX_PROBLEM or _cgroup_problem()


def _skip_reason(entry: dict) -> str | None:
    tags = entry.get("tags", [])
    if "cgroup" in tags and CGROUP_PROBLEM:
        return CGROUP_PROBLEM
    if "sandbox" in tags and SANDBOX_PROBLEM:
        return SANDBOX_PROBLEM
    return None


def _is_slow(entry: dict) -> bool:
    return "slow" in entry.get("tags", [])


def _marked_processes() -> list[str]:
    """Processes carrying the fixtures' marker in their command line or environment."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            text = " ".join(process.info["cmdline"] or [])
            if MARKER not in text:
                text += " ".join(f"{k}={v}" for k, v in process.environ().items())
        except (psutil.Error, OSError):
            continue
        if MARKER in text:
            found.append(f"{process.info['pid']}: {text[:200]}")
    return found


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _add_collection_cases(folder: Path, assignment: str) -> dict[str, dict]:
    """Colliding names and symlinks next to the fixtures; {file: what it deserves}."""
    correct = FIXTURES / assignment / "correct.ipynb"
    shutil.copy2(correct, folder / "carol_x.ipynb")
    (folder / "carol x.ipynb").write_bytes(b"")
    (folder / "erin").mkdir()
    (folder / "erin" / f"{assignment}.ipynb").symlink_to(paths.source_notebook(assignment))
    (folder / "zed.ipynb").symlink_to("/dev/zero")
    maximum = EXPECTED[assignment]["max_score"]
    return {
        "carol_x.ipynb": {"score": maximum, "graded": True},
        "carol x.ipynb": {"score": 0.0, "graded": False},
        f"erin/{assignment}.ipynb": {"score": 0.0, "graded": False},  # the solutions: refused
        "zed.ipynb": {"score": 0.0, "graded": False},
    }


class Batch:
    """One assignment's fixtures graded in one call, and what the test saw around it."""

    def __init__(self, assignment: str, slow: bool, root: Path):
        self.assignment = assignment
        expected = EXPECTED[assignment]["fixtures"]
        self.names = [name for name, entry in sorted(expected.items())
                      if _is_slow(entry) == slow and _skip_reason(entry) is None]
        self.submissions = root / "submissions"
        self.submissions.mkdir(parents=True)
        for name in self.names:
            shutil.copy2(FIXTURES / assignment / f"{name}.ipynb", self.submissions)
        self.collection = {}
        if assignment == "contrastive_loss" and not slow:
            self.collection = _add_collection_cases(self.submissions, assignment)
        self.out = root / "graded"
        started = time.monotonic()
        results = grade_assignment(assignment, self.submissions, self.out, GradeConfig(**CONFIG))
        self.seconds = time.monotonic() - started
        self.alive_at_end = _marked_processes()
        self.grades_hash = _sha(self.out / "grades.csv")
        time.sleep(5)
        self.alive_after = _marked_processes()
        self.grades_hash_after = _sha(self.out / "grades.csv")
        self.results = results
        self.by_file = {Path(r["submitted_file"]).name: r for r in results}
        self.by_relative = {}
        for result in results:
            submitted = Path(result["submitted_file"])
            try:
                self.by_relative[str(submitted.relative_to(self.submissions))] = result
            except ValueError:
                self.by_relative[str(submitted)] = result
        print(f"\n{assignment}{' (slow)' if slow else ''}: {len(results)} submissions graded "
              f"in {self.seconds:.0f} s")

    def result(self, fixture: str) -> dict:
        return self.by_file[f"{fixture}.ipynb"]


_BATCHES: dict[tuple[str, bool], Batch] = {}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    def get(assignment: str, slow: bool) -> Batch:
        key = (assignment, slow)
        if key not in _BATCHES:
            root = tmp_path_factory.mktemp(f"{assignment}{'-slow' if slow else ''}")
            _BATCHES[key] = Batch(assignment, slow, root)
        return _BATCHES[key]

    yield get
    # what a writer manages to put outside its folder when no sandbox is available
    for folder in (Path("/tmp"), paths.REPOSITORY_DIR):
        (folder / "ssl_keras_injected_by_submission.txt").unlink(missing_ok=True)


def _cases(slow: bool):
    for assignment in ASSIGNMENTS:
        for name, entry in sorted(EXPECTED[assignment]["fixtures"].items()):
            if _is_slow(entry) != slow:
                continue
            marks = [pytest.mark.slow] if slow else []
            reason = _skip_reason(entry)
            if reason:
                marks.append(pytest.mark.skip(reason=reason))
            yield pytest.param(assignment, name, marks=marks, id=f"{assignment}/{name}")


def _assert_deserved(batch: Batch, fixture: str) -> None:
    expected = EXPECTED[batch.assignment]["fixtures"][fixture]
    result = batch.result(fixture)
    points = {c["grade_id"]: c["points"] for c in result["cells"] if c["kind"] == "autograded"}
    messages = {c["grade_id"]: c["messages"] for c in result["cells"] if c["points"] == 0}
    assert points == expected["cells"], (expected["why"], messages, result["messages"])
    assert result["score"] == expected["score"], expected["why"]
    assert result["max_score"] == EXPECTED[batch.assignment]["max_score"]


@pytest.mark.parametrize(("assignment", "fixture"), list(_cases(slow=False)))
def test_fixture_deserved_score(batch, assignment, fixture):
    _assert_deserved(batch(assignment, False), fixture)


@pytest.mark.parametrize(("assignment", "fixture"), list(_cases(slow=True)))
def test_slow_fixture_deserved_score(batch, assignment, fixture):
    _assert_deserved(batch(assignment, True), fixture)


def _batch_params():
    for assignment in ASSIGNMENTS:
        fixtures = EXPECTED[assignment]["fixtures"].values()
        if any(not _is_slow(entry) for entry in fixtures):
            yield pytest.param(assignment, False, id=assignment)
        if any(_is_slow(entry) for entry in fixtures):
            yield pytest.param(assignment, True, id=f"{assignment}-slow", marks=pytest.mark.slow)


@pytest.mark.parametrize(("assignment", "slow"), list(_batch_params()))
def test_batch_harms_no_one(batch, assignment, slow):
    graded = batch(assignment, slow)
    students = [result["student"] for result in graded.results]
    assert len(students) == len(set(students)), students
    assert len(graded.results) == len(graded.names) + len(graded.collection)
    with open(graded.out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["student"] for row in rows) == sorted(students)
    assert graded.alive_at_end == [], "processes outlived the grading"
    assert graded.alive_after == [], "processes outlived the grading"
    assert graded.grades_hash_after == graded.grades_hash, "grades.csv changed after grading"
    for result in graded.results:  # a classmate's daemon did not cost anyone points
        name = Path(result["submitted_file"]).stem
        entry = EXPECTED[assignment]["fixtures"].get(name)
        if entry is not None:
            assert result["score"] == entry["score"], (name, entry["why"])


@pytest.mark.parametrize(("assignment", "slow"), list(_batch_params()))
def test_big_outputs_stay_small(batch, assignment, slow, tmp_path):
    graded = batch(assignment, slow)
    big = [name for name in graded.names
           if "big_output" in EXPECTED[assignment]["fixtures"][name].get("tags", [])]
    if not big:
        pytest.skip("no big-output fixture in this batch")
    pages = {page.stem: page for page in write_feedback(graded.out, tmp_path)}
    for name in big:
        student = graded.result(name)["student"]
        executed = graded.out / "executed" / f"{student}.ipynb"
        assert executed.stat().st_size < BIG_OUTPUT_BYTES, (name, executed.stat().st_size)
        result_file = graded.out / "results" / f"{student}.json"
        assert result_file.stat().st_size < BIG_OUTPUT_BYTES, name
        assert pages[student].stat().st_size < BIG_OUTPUT_BYTES, name


def test_colliding_names_and_symlinks(batch):
    graded = batch("contrastive_loss", False)
    for relative, deserved in graded.collection.items():
        result = graded.by_relative.get(relative) or graded.by_file.get(Path(relative).name)
        assert result is not None, (relative, sorted(graded.by_relative))
        assert result["score"] == deserved["score"], (relative, result["messages"])
        assert (result["status"] == "graded") == deserved["graded"], (relative, result["status"])
    carols = [r["student"] for r in graded.results if r["student"].startswith("carol")]
    assert len(carols) == 2 and len(set(carols)) == 2, carols


def _corrupt_crc(archive: Path, member: str) -> None:
    """Flips one byte of a stored member's data, so that reading it fails its CRC check."""
    with zipfile.ZipFile(archive) as handle:
        info = handle.getinfo(member)
    data = bytearray(archive.read_bytes())
    name_length = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.file_size // 2] ^= 0x01
    archive.write_bytes(bytes(data))


def test_zip_with_dotdot_entry_and_bad_crc(tmp_path):
    correct = (FIXTURES / "temperature" / "correct.ipynb").read_bytes()
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as handle:
        handle.writestr("../../dave.ipynb", correct)
        handle.writestr("eve.ipynb", correct)
        handle.writestr("frank.ipynb", correct)
    _corrupt_crc(archive, "eve.ipynb")
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(archive).read("eve.ipynb")
    results = grade_assignment("temperature", archive, tmp_path / "graded", GradeConfig(**CONFIG))
    by_student = {result["student"]: result for result in results}
    assert len(by_student) == 3, sorted(by_student)
    dave = [r for name, r in by_student.items() if "dave" in name]
    assert len(dave) == 1 and dave[0]["score"] == 1.0, sorted(by_student)
    eve = [r for name, r in by_student.items() if "eve" in name]
    assert len(eve) == 1 and eve[0]["score"] == 0.0 and eve[0]["status"] == "not graded"
    assert by_student["frank"]["score"] == 1.0
