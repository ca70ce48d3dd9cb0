"""The sandbox that runs each graded notebook (autograder/sandbox.py) and the Execute step
that uses it: processes cannot outlive the run, see each other, escape the allowed file
system or exceed their memory and process limits; outputs are capped.

Bubblewrap tests are skipped where bubblewrap does not work; root-only tests (own uid,
cgroups) are skipped when the tests do not run as root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import types
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest
from ssl_keras_autograder import paths, sandbox
from ssl_keras_autograder.config import GradeConfig, Submission
from ssl_keras_autograder.steps.execute import Execute

ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
BWRAP = "bwrap" in sandbox.available_modes()
ROOT = os.geteuid() == 0
needs_bwrap = pytest.mark.skipif(
    not BWRAP, reason=f"bubblewrap does not work here: "
                      f"{sandbox.unavailable_reasons().get('bwrap', '')}")
needs_root = pytest.mark.skipif(not ROOT, reason="own uid and cgroups need a root grader")


def _jail(tmp_path, name="jail", slot=0, **options):
    workdir = tmp_path / name
    workdir.mkdir()
    options.setdefault("memory_mb", 1024)
    options.setdefault("mode", "bwrap")
    return sandbox.Jail(None, slot=slot, workdir=workdir, **options)


def _python(jail, code, *args, **options):
    """Starts `python -c code args...` in the jail; stdout and stderr are piped."""
    return jail.popen([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                      env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)


def _with_marker(marker):
    return [process for process in psutil.process_iter(["cmdline"])
            if marker in " ".join(process.info["cmdline"] or [])]


DAEMON = """
    import os, sys, time
    heartbeat = os.path.join(os.getcwd(), "heartbeat")
    if os.fork():  # the first process leaves once the daemon beats
        while not os.path.exists(heartbeat):
            time.sleep(0.01)
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
    while True:  # the daemon: a heartbeat every 50 ms, forever
        with open(heartbeat, "w") as handle:
            handle.write(str(time.monotonic()))
        time.sleep(0.05)
"""


def _beats(path: Path, seconds=0.5) -> bool:
    """Whether the file at `path` is still being rewritten."""
    before = path.read_text() if path.exists() else None
    time.sleep(seconds)
    return path.exists() and path.read_text() != before


def test_modes_are_listed_best_first_and_off_always_works():
    modes = sandbox.available_modes()
    assert modes[-1] == "off"
    assert set(modes) <= {"bwrap", "namespaces", "off"}
    assert modes == sorted(modes, key=["bwrap", "namespaces", "off"].index)


@needs_bwrap
def test_double_forked_daemon_dies_with_the_run(tmp_path):
    marker = f"daemon-{uuid.uuid4().hex}"
    jail = _jail(tmp_path)
    try:
        process = _python(jail, DAEMON, marker)
        process.communicate(timeout=20)
        heartbeat = jail.workdir / "heartbeat"
        assert heartbeat.exists()  # the daemon ran before the first process left
        # the first process exited: its PID namespace ended, and the daemon with it,
        # even before close()
        time.sleep(0.3)
        assert not _beats(heartbeat)
        assert _with_marker(marker) == []
    finally:
        jail.close()
    assert _with_marker(marker) == []
    jail.close()  # idempotent


def test_close_kills_a_daemon_without_a_pid_namespace(tmp_path):
    marker = f"daemon-{uuid.uuid4().hex}"
    jail = _jail(tmp_path, mode="off")
    # the first process stays while its child runs in a session of its own: the cgroup or
    # the watchdog (which remembers every process it saw) still knows the child
    code = DAEMON.replace("        os._exit(0)\n    os.setsid()\n    if os.fork():\n"
                          "        os._exit(0)", "        time.sleep(60)\n    os.setsid()")
    assert code != DAEMON
    try:
        process = _python(jail, code, marker)
        heartbeat = jail.workdir / "heartbeat"
        deadline = time.monotonic() + 10
        while not heartbeat.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the watchdog samples the tree
        assert _beats(heartbeat, 0.2)
    finally:
        jail.close()
    assert process.poll() is not None
    assert not _beats(heartbeat)
    assert _with_marker(marker) == []


@needs_bwrap
def test_two_jails_cannot_see_or_signal_each_other(tmp_path):
    first, second = _jail(tmp_path, "first", slot=0), _jail(tmp_path, "second", slot=1)
    try:
        sleeper = _python(first, "import time; time.sleep(30)")
        time.sleep(0.5)
        outside = [child.pid for child in psutil.Process(sleeper.pid).children(recursive=True)]
        assert outside, "the first jail's processes are visible from the grader"
        probe = _python(second, """
            import json, os, signal, sys
            results = {"own": sorted(int(name) for name in os.listdir("/proc") if name.isdigit())}
            for pid in map(int, sys.argv[1:]):
                try:
                    os.kill(pid, signal.SIGKILL)
                    results[pid] = "killed"
                except OSError as error:
                    results[pid] = type(error).__name__
            print(json.dumps(results))
        """, *outside)
        out, err = probe.communicate(timeout=20)
        results = json.loads(out)
        for pid in outside:
            assert results[str(pid)] != "killed"
            assert pid not in results["own"] or pid <= 3  # small pids are its own namespace's
        assert len(results["own"]) <= 3  # bwrap's init, python, and nothing else
        assert sleeper.poll() is None, "the first jail's process was killed from the second"
        if ROOT:
            uids = {psutil.Process(pid).uids().real for pid in outside}
            assert uids == {sandbox.DEFAULT_UID_BASE}
    finally:
        first.close()
        second.close()


@needs_bwrap
@needs_root
def test_root_grader_jail_is_unprivileged_and_sees_only_what_is_allowed(tmp_path):
    secret = tmp_path / "secret.txt"  # a grader file beside the jail's folder
    secret.write_text("solutions")
    jail = _jail(tmp_path)
    python_in_root = Path(sys.base_prefix).resolve()
    allowed_in_root = ({python_in_root.relative_to("/root").parts[0]}
                       if Path("/root") in python_in_root.parents else set())
    try:
        process = _python(jail, """
            import json, os, subprocess, sys
            status = dict(line.split(":", 1) for line in open("/proc/self/status"))
            report = {
                "uid": os.getuid(), "euid": os.geteuid(),
                "cap_eff": int(status["CapEff"].strip(), 16),
                "cap_bnd": int(status["CapBnd"].strip(), 16),
                "umount": subprocess.run(["umount", "/usr"], capture_output=True).returncode,
                "root": sorted(os.listdir("/root")) if os.path.isdir("/root") else [],
                "exists": {path: os.path.exists(path) for path in sys.argv[1:5]},
                "references": os.listdir(sys.argv[5]) if os.path.isdir(sys.argv[5]) else [],
                "writes": {},
            }
            for path in sys.argv[6:]:
                try:
                    with open(path, "w") as handle:
                        handle.write("x")
                    report["writes"][path] = "written"
                except OSError as error:
                    report["writes"][path] = type(error).__name__
            print(json.dumps(report))
        """, paths.ASSIGNMENTS_DIR, paths.REPOSITORY_DIR / ".git", paths.REPOSITORY_DIR / "tests",
            secret, paths.REFERENCES_DIR,
            tmp_path / "escape.txt", paths.PACKAGE_DIR / "escape.txt", "/usr/escape.txt",
            jail.workdir / "inside.txt")
        out, err = process.communicate(timeout=30)
        report = json.loads(out)
    finally:
        jail.close()
    assert report["uid"] != 0 and report["euid"] != 0
    assert report["cap_eff"] == 0 and report["cap_bnd"] == 0
    assert report["umount"] != 0
    assert set(report["root"]) <= allowed_in_root
    assert not any(report["exists"].values()), report["exists"]
    assert report["references"] == []
    # the grader's folders and the system are read-only; the folder around the jail's own
    # exists inside only as part of the jail's private /tmp (a tmpfs): nothing reaches the host
    assert report["writes"][str(paths.PACKAGE_DIR / "escape.txt")] != "written"
    assert report["writes"]["/usr/escape.txt"] != "written"
    assert (jail.workdir / "inside.txt").read_text() == "x"
    assert not (tmp_path / "escape.txt").exists()
    assert not (paths.PACKAGE_DIR / "escape.txt").exists()


@needs_root
def test_memory_in_a_memfd_counts_and_kills(tmp_path):
    jail = _jail(tmp_path, memory_mb=300, mode=sandbox.available_modes()[0])
    if jail.cgroup is None:
        jail.close()
        pytest.skip("no writable cgroup")
    try:
        process = _python(jail, """
            import os
            fd = os.memfd_create("hoard")
            block = b"x" * 2**20
            for _ in range(600):
                os.write(fd, block)
            print("survived")
        """)
        out, _ = process.communicate(timeout=60)
        usage = jail.usage()
    finally:
        jail.close()
    assert b"survived" not in out
    assert process.returncode != 0
    assert usage["memory_killed"] is True
    assert 250 <= usage["peak_memory_mb"] <= 310


@needs_root
def test_pids_limit_stops_a_fork_bomb(tmp_path):
    marker = f"bomb-{uuid.uuid4().hex}"
    jail = _jail(tmp_path, pids_max=24, mode=sandbox.available_modes()[0])
    if jail.cgroup is None:
        jail.close()
        pytest.skip("no writable cgroup")
    try:
        process = _python(jail, """
            import os, time
            started, forked, refused = time.monotonic(), 0, 0
            while time.monotonic() - started < 2:
                try:
                    if os.fork() == 0:
                        time.sleep(60)
                        os._exit(0)
                    forked += 1
                except OSError:
                    refused += 1
            print(forked, refused, flush=True)
            time.sleep(60)
        """, marker)
        line = process.stdout.readline().split()
        forked, refused = int(line[0]), int(line[1])
        assert forked < 24 and refused > 0
        assert len(_with_marker(marker)) <= 24
    finally:
        jail.close()
    assert _with_marker(marker) == []


def _code(source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": False,
                                     **nbgrader}
    return cell


def _execute(tmp_path, cells, **settings):
    """Runs `cells` through the Execute step, as the grader does; returns the submission."""
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    source = tmp_path / "source" / "toy.ipynb"
    source.parent.mkdir()
    # what Execute reads of the assignment
    assignment = types.SimpleNamespace(name="toy", source=types.SimpleNamespace(path=source),
                                       data_files=[])
    submission = Submission(student="student", path=tmp_path / "student.ipynb", data=b"",
                            sha256="", notebook=notebook)
    work_root = tmp_path / "work"
    work_root.mkdir()
    config = GradeConfig(jobs=1, work_root=str(work_root), startup_timeout=60, **settings)
    Execute().run(submission, assignment, config)
    return submission


def test_outputs_are_capped_and_locked_cells_get_their_own_limit(tmp_path):
    submission = _execute(tmp_path, [
        _code("print('x' * 50_000_000)"),
        _code("import base64, os\nfrom IPython.display import display\n"
              "display({'image/png': base64.b64encode(os.urandom(3 * 2**20)).decode()}, raw=True)"),
        _code("print('still here')"),
        _code("import time; time.sleep(2.5); print('locked ran')", locked=True),
        _code("import time; time.sleep(30)", locked=True),
        _code("import time; time.sleep(30)"),
    ], cell_timeout=2, locked_cell_timeout=5, timeout=120)
    info = submission.execution
    assert info["sandbox"] == sandbox.available_modes()[0]
    assert info["isolation"]
    executed = submission.executed
    assert executed is not None, info
    size = len(json.dumps(executed))
    assert size < 2 * 2**20  # 50 MB printed, 4 MB image: the whole notebook is small
    printed = "".join(out.get("text", "") for out in executed.cells[0].outputs)
    assert printed.startswith("x" * 1000) and len(printed) < 300 * 1024
    assert "[output cut: 47.4 MB more]" in printed
    image_outputs = executed.cells[1].outputs
    assert "image/png" not in image_outputs[0]["data"]
    assert "too large" in image_outputs[0]["data"]["text/plain"]
    assert executed.cells[2].outputs[0]["text"] == "still here\n"
    assert "locked ran" in executed.cells[3].outputs[0]["text"]
    kinds = [(event["kind"], event.get("cell")) for event in info["events"]]
    assert ("locked_cell_timeout", 4) in kinds
    assert ("cell_timeout", 5) in kinds
    assert not any(cell == 3 for _, cell in kinds)
    assert "peak_memory_mb" in info and "memory_killed" in info


def test_log_and_result_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(Execute, "keep_log", 1000)
    submission = _execute(tmp_path, [
        _code("import os\nfor _ in range(200):\n    os.write(2, b'e' * 100_000)"),
        _code("print('done')"),
    ], cell_timeout=30, timeout=60, max_result_mb=0.001)
    info = submission.execution
    assert len(info["log_tail"]) <= 1000
    assert info["result_too_large"] is True
    assert submission.executed is None
    assert info["events"][0]["kind"] == "worker_error"


def test_require_without_bubblewrap_is_a_per_submission_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_modes_cache", ["namespaces", "off"])
    monkeypatch.setitem(sandbox._modes_problems, "bwrap", "not installed (test)")
    submission = _execute(tmp_path, [_code("print(1)")], sandbox="require")
    assert submission.execution["events"][0]["kind"] == "sandbox_failed"
    assert "not installed (test)" in submission.execution["events"][0]["message"]


@needs_bwrap
def test_readable_paths_inside_grader_private_folders_come_back(tmp_path):
    """The judge's jail is given its own module back; a notebook's jail is not."""
    judges = paths.PACKAGE_DIR / "judges"
    if not any(judges.iterdir()):
        pytest.skip("no judge modules")
    listing = "import json, os, sys; print(json.dumps(sorted(os.listdir(sys.argv[1]))))"
    for name, readable, expected in (("notebook", [], []),
                                     ("judge", [judges], sorted(os.listdir(judges)))):
        jail = _jail(tmp_path, name, readable=readable)
        try:
            out, err = _python(jail, listing, judges).communicate(timeout=20)
        finally:
            jail.close()
        assert json.loads(out) == expected, err
