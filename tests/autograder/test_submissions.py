"""Collecting and reading submissions: every problem is one submission's, never silent.

Fast and pure Python: inputs are built in tmp_path, no notebook is run.
"""

import json
import os
import stat
import struct
import zipfile
from pathlib import Path

import nbformat
import pytest
from ssl_keras_autograder import submissions as subs
from ssl_keras_autograder.config import Submission
from ssl_keras_autograder.steps.read_notebook import ReadNotebook, repair_notebook
from ssl_keras_autograder.submissions import collect, collect_with_report, entry_parts, row_name

CODE = "def square(x):\n    return x ** 2\n"


def notebook_bytes(code: str = CODE) -> bytes:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Toy", id="title"),
                      nbformat.v4.new_code_cell(code, id="answer")]
    return nbformat.writes(notebook).encode()


def read(data: bytes, **options) -> Submission:
    submission = Submission("s", Path("s.ipynb"), data, "")
    step = ReadNotebook()
    for key, value in options.items():
        setattr(step, key, value)
    step.run(submission, None, None)
    return submission


def by_student(submissions):
    return {submission.student: submission for submission in submissions}


def reasons(report):
    return {item["entry"]: item["reason"] for item in report}


# Reading: repair what editors leave behind, refuse only what is not a notebook --------------

def test_nbformat_3_notebook_is_read_as_a_valid_v4_notebook_with_its_code():
    v3 = {
        "metadata": {"name": "toy", "signature": "sha256:0"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [{"metadata": {}, "cells": [
            {"cell_type": "heading", "level": 2, "metadata": {}, "source": "Squares"},
            {"cell_type": "code", "collapsed": False, "language": "python", "metadata": {},
             "input": CODE.splitlines(keepends=True), "prompt_number": 3,
             "outputs": [{"output_type": "pyout", "prompt_number": 3, "text": ["4"]}]},
        ]}, {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "done"}]}],
    }
    submission = read(json.dumps(v3).encode())
    assert submission.failure is None
    notebook = submission.notebook
    nbformat.validate(notebook)
    assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5)
    assert [(c.cell_type, c.source) for c in notebook.cells] == [
        ("markdown", "## Squares"), ("code", CODE), ("markdown", "done")]
    assert notebook.cells[1].outputs == [] and notebook.cells[1].execution_count is None


def test_schema_broken_notebook_is_repaired_into_a_valid_one():
    grader = {"grade": False, "grade_id": "square", "locked": False, "solution": True}
    broken = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Toy\n", "text"], "id": "same",
             "attachments": {"a.png": 5}},
            {"cell_type": "code", "source": CODE.splitlines(keepends=True), "id": "same",
             "metadata": {"nbgrader": grader, "tags": ["x", "x"], "collapsed": "no"},
             "outputs": [{"output_type": "nonsense"}], "execution_count": "seven",
             "unknown": 1},
            {"cell_type": "code", "source": "print(1)", "id": "bad id!"},
            {"cell_type": "raw", "source": "r", "metadata": None,
             "attachments": {"b.png": {"image/png": "iVBOR"}}},
        ],
        "metadata": {"kernelspec": {"name": 3}, "language_info": "python", "course": "ssl"},
        "extra": True,
    }
    original = json.dumps(broken)
    repaired = repair_notebook(broken)
    assert json.dumps(broken) == original  # the input is not modified
    nbformat.validate(repaired)
    submission = read(original.encode())
    assert submission.failure is None and submission.messages == []
    cells = submission.notebook.cells
    assert [c.source for c in cells] == ["# Toy\ntext", CODE, "print(1)", "r"]
    assert cells[1].metadata.nbgrader == grader  # nbgrader's metadata survives
    assert "tags" not in cells[1].metadata  # invalid metadata does not
    assert len({c.id for c in cells}) == 4 and cells[0].id == "same"
    assert "attachments" not in cells[0] and cells[3].attachments["b.png"]["image/png"]
    assert submission.notebook.metadata == {"course": "ssl"}


def test_unreadable_input_fails_with_a_clear_message():
    assert "empty" in read(b"  \n").failure
    assert "more than the" in read(notebook_bytes(), max_bytes=100).failure
    assert "not valid JSON" in read(b'{"cells": [').failure
    assert "not a Jupyter notebook" in read(b"[1, 2]").failure
    assert "not a Jupyter notebook" in read(b'{"worksheets": 3}').failure
    assert "nested too deeply" in read(b"[" * 100_000 + b"]" * 100_000).failure
    deep = {"cells": [], "metadata": {}}
    level = deep["metadata"]
    for _ in range(950):
        level["x"] = {}
        level = level["x"]
    submission = read(json.dumps(deep).encode())  # deep but within json's limit
    assert submission.failure is None or "nested too deeply" in submission.failure
    odd = {"cells": [7, {"cell_type": "widget"}, {"cell_type": "code", "source": CODE}]}
    submission = read(json.dumps(odd).encode())
    assert submission.failure is None and "2 cell(s)" in submission.messages[0]


# Names: every submission gets its own stable row ---------------------------------------------

@pytest.mark.parametrize("first", ["carol x.ipynb", "carol_x.ipynb"])
def test_colliding_names_get_their_own_rows_whatever_the_order(tmp_path, first):
    files = {"carol_x.ipynb": notebook_bytes(), "carol x.ipynb": b""}
    folder = tmp_path / "folder"
    folder.mkdir()
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name in sorted(files, key=lambda name: name != first):
            (folder / name).write_bytes(files[name])
            handle.writestr(name, files[name])
    unsafe = row_name("carol x")
    assert unsafe.startswith("carol_x-") and len(unsafe) == len("carol_x-") + 6
    for source in (folder, archive):
        found = by_student(collect(source, "toy"))
        assert set(found) == {"carol_x", unsafe}
        assert found["carol_x"].data == files["carol_x.ipynb"]
        assert found[unsafe].data == b"" and found[unsafe].path.name.endswith("carol x.ipynb")
        assert any("'carol x'" in message for message in found[unsafe].messages)
        assert found["carol_x"].messages == []


def test_the_same_raw_name_twice_gives_two_rows_with_messages(tmp_path):
    (tmp_path / "ann.ipynb").write_bytes(notebook_bytes())
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "toy.ipynb").write_bytes(notebook_bytes("x = 1\n"))
    found = collect(tmp_path, "toy")
    assert len({s.student for s in found}) == 2
    assert all(s.student.startswith("ann-") and "same name" in s.messages[0] for s in found)
    assert collect(tmp_path, "toy")[0].student == found[0].student  # stable
    archive = tmp_path / "twice.zip"
    with zipfile.ZipFile(archive, "w") as handle, pytest.warns(UserWarning, match="Duplicate"):
        handle.writestr("ann.ipynb", notebook_bytes())
        handle.writestr("ann.ipynb", notebook_bytes("x = 1\n"))
    found = collect(archive, "toy")
    assert len({s.student for s in found}) == 2
    assert {s.data for s in found} == {notebook_bytes(), notebook_bytes("x = 1\n")}


# Archives: names normalized, nothing dropped silently, bad members fail their student -------

def test_zip_entries_are_normalized_and_ignored_entries_reported(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("../../x.ipynb", notebook_bytes())
        handle.writestr("/abs/y.ipynb", notebook_bytes("y = 2\n"))
        handle.writestr("win\\toy.ipynb", notebook_bytes("w = 3\n"))
        handle.writestr("__MACOSX/._x.ipynb", b"junk")
        handle.writestr("README.txt", b"read me")
        handle.writestr(".hidden.ipynb", b"{}")
        handle.writestr("dee/.ipynb_checkpoints/toy-checkpoint.ipynb", b"{}")
        handle.writestr("dee/a.ipynb", notebook_bytes())
        handle.writestr("dee/b.ipynb", notebook_bytes())
        handle.writestr("folder/", b"")
    submissions, report = collect_with_report(archive, "toy")
    found = by_student(submissions)
    assert set(found) == {"x", "abs", "win", "dee"}
    assert found["x"].data == notebook_bytes() and found["abs"].data == notebook_bytes("y = 2\n")
    assert found["win"].data == notebook_bytes("w = 3\n") and found["win"].failure is None
    assert str(found["x"].path).endswith("class.zip:../../x.ipynb")  # the raw entry name
    assert any("read as 'x.ipynb'" in message for message in found["x"].messages)
    assert "none is named toy.ipynb" in found["dee"].failure
    ignored = reasons(report)
    assert set(ignored) == {"__MACOSX/._x.ipynb", "README.txt", ".hidden.ipynb",
                            "dee/.ipynb_checkpoints/toy-checkpoint.ipynb", "dee/a.ipynb",
                            "dee/b.ipynb", "folder/"}
    assert "__MACOSX" in ignored["__MACOSX/._x.ipynb"] and "not a notebook" in ignored["README.txt"]
    assert "hidden" in ignored[".hidden.ipynb"] and "checkpoint" in ignored[
        "dee/.ipynb_checkpoints/toy-checkpoint.ipynb"]
    assert collect(archive, "toy")[0].student == submissions[0].student
    assert entry_parts("C:\\Users\\..\\ann.ipynb") == ("Users", "ann.ipynb")


def _data_offset(archive: Path, name: str) -> int:
    with zipfile.ZipFile(archive) as handle:
        info = handle.getinfo(name)
    header = archive.read_bytes()[info.header_offset:info.header_offset + 30]
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


def test_bad_zip_members_fail_only_their_student(tmp_path, monkeypatch):
    archive = tmp_path / "class.zip"
    good = notebook_bytes()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("ann.ipynb", good)
        handle.writestr("crc.ipynb", good, compress_type=zipfile.ZIP_STORED)
        handle.writestr("deflate.ipynb", good, compress_type=zipfile.ZIP_DEFLATED)
        handle.writestr("method.ipynb", good, compress_type=zipfile.ZIP_STORED)
        handle.writestr("big.ipynb", b"{" + b" " * 5000 + b"}")
        link = zipfile.ZipInfo("link.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        handle.writestr(link, "../../source/toy.ipynb")
    data = bytearray(archive.read_bytes())
    for name in ("crc.ipynb", "deflate.ipynb"):
        offset = _data_offset(archive, name) + 40
        data[offset:offset + 8] = bytes(255 - byte for byte in data[offset:offset + 8])
    with zipfile.ZipFile(archive) as handle:
        method = handle.getinfo("method.ipynb")
    data[method.header_offset + 8:method.header_offset + 10] = struct.pack("<H", 97)
    central = data.index(b"PK\x01\x02")
    while True:  # the central directory record of method.ipynb
        name_length = struct.unpack("<H", data[central + 28:central + 30])[0]
        if data[central + 46:central + 46 + name_length] == b"method.ipynb":
            data[central + 10:central + 12] = struct.pack("<H", 97)
            break
        central = data.index(b"PK\x01\x02", central + 4)
    archive.write_bytes(bytes(data))
    monkeypatch.setattr(subs, "MAX_MEMBER_BYTES", 1000)
    found = by_student(collect(archive, "toy"))
    assert found["ann"].failure is None and found["ann"].data == good
    assert "could not be read from the archive" in found["crc"].failure
    assert "CRC" in found["crc"].failure
    assert "could not be read from the archive" in found["deflate"].failure
    assert "could not be read from the archive" in found["method"].failure
    assert "too large" in found["big"].failure
    assert "a link, not a file" in found["link"].failure
    assert all(found[name].data == b"" for name in ("crc", "deflate", "method", "big", "link"))


def test_a_corrupt_zip_is_a_clear_error(tmp_path):
    archive = tmp_path / "class.zip"
    archive.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="not a readable zip archive"):
        collect(archive, "toy")


# Folders: links and special files are never followed, reads are bounded ---------------------

@pytest.mark.skipif(not hasattr(os, "symlink") or not hasattr(os, "mkfifo"),
                    reason="needs symlinks and FIFOs")
def test_links_and_special_files_are_refused_not_read(tmp_path):
    secret = tmp_path / "source" / "toy.ipynb"
    secret.parent.mkdir()
    secret.write_bytes(notebook_bytes("SOLUTION = 42\n"))
    root = tmp_path / "submissions"
    root.mkdir()
    (root / "ann.ipynb").write_bytes(notebook_bytes())
    (root / "bob.ipynb").symlink_to(secret)
    (root / "cy.ipynb").symlink_to("/dev/zero")
    (root / "dan.ipynb").symlink_to(root / "ann.ipynb")
    os.mkfifo(root / "eve.ipynb")
    (root / "fay").symlink_to(secret.parent, target_is_directory=True)
    (root / "gus").mkdir()
    (root / "gus" / "toy.ipynb").symlink_to(secret)
    (root / "hal").mkdir()
    (root / "hal" / "work").symlink_to(secret.parent, target_is_directory=True)
    (root / "notes.txt").symlink_to(secret)
    submissions, report = collect_with_report(root, "toy")
    found = by_student(submissions)
    assert set(found) == {"ann", "bob", "cy", "dan", "eve", "fay", "gus", "hal"}
    assert found["ann"].failure is None
    for student in ("bob", "cy", "dan", "gus"):
        assert "a link, not a file: submit the notebook itself" in found[student].failure
    assert "not a regular file" in found["eve"].failure
    assert "link to a folder" in found["fay"].failure
    assert "no notebook" in found["hal"].failure and "hal/work" in found["hal"].failure
    for student in ("bob", "cy", "dan", "eve", "fay", "gus", "hal"):
        assert found[student].data == b"", student
    ignored = reasons(report)
    assert "link" in ignored["notes.txt"] and "not followed" in ignored["hal/work"]


def test_folder_report_and_choice_of_notebook(tmp_path):
    (tmp_path / "bob" / "old").mkdir(parents=True)
    (tmp_path / "bob" / "old" / "toy.ipynb").write_bytes(notebook_bytes("old = 1\n"))
    (tmp_path / "bob" / "toy.ipynb").write_bytes(notebook_bytes())
    (tmp_path / "bob" / "scratch.ipynb").write_bytes(notebook_bytes())
    (tmp_path / "bob" / "data.csv").write_bytes(b"1,2")
    (tmp_path / "eve").mkdir()
    (tmp_path / ".DS_Store").write_bytes(b"")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    submissions, report = collect_with_report(tmp_path, "toy")
    found = by_student(submissions)
    assert found["bob"].data == notebook_bytes() and "no notebook" in found["eve"].failure
    ignored = reasons(report)
    assert set(ignored) == {".DS_Store", ".ipynb_checkpoints", "bob/old/toy.ipynb",
                            "bob/scratch.ipynb", "bob/data.csv"}
    assert "bob/toy.ipynb" in ignored["bob/scratch.ipynb"]


def test_reads_are_bounded_whatever_size_a_file_claims(tmp_path, monkeypatch):
    monkeypatch.setattr(subs, "MAX_MEMBER_BYTES", 1000)
    (tmp_path / "big.ipynb").write_bytes(b" " * 1001)
    (tmp_path / "fits.ipynb").write_bytes(b" " * 1000)
    found = by_student(collect(tmp_path, "toy"))
    assert "too large" in found["big"].failure and found["big"].data == b""
    assert found["fits"].failure is None and len(found["fits"].data) == 1000
    requested = []

    def endless(size):  # a file that keeps growing
        requested.append(size)
        return b"x" * size

    assert subs._bounded_read(endless) is None and sum(requested) == 1001
