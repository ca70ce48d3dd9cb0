"""Finding the submissions: a folder of `<student>.ipynb`, folders `<student>/*.ipynb`, one
notebook, or a .zip of any of these. Files are only read (their bytes are kept in memory and
hashed), never written; a zip is read member by member, never extracted to disk.

Each problem is one submission's problem, never the batch's, and never silent:
- a notebook that cannot be read (a link, a device or pipe, a corrupt or oversized zip
  member, ...) gives its student a failed row saying why;
- everything else that is not graded (other files, `__MACOSX`, checkpoints, hidden files,
  folders, a student's extra notebooks) is listed, with the reason, in the collection report
  of `collect_with_report` (`grade` writes it to `collection.json`).

Links are never followed inside the submissions: a student's link to the source notebook,
to `/dev/zero` or to another student's file is refused, not read. Files are read with a
bounded read (at most `MAX_MEMBER_BYTES` + 1 bytes), whatever size they claim.

Row names: a student name that is already file-name safe (`student_name(raw) == raw`) is
kept exactly; any other gets the safe name plus a short hash of the raw name
(`carol x` -> `carol_x-<6 hex>`), so it can never take a safe name's row, whatever the
order. The raw name stays in `Submission.path`: the submitted file (`<folder>/<raw>.ipynb`),
the student's folder (`<folder>/<raw>/`), or `<zip>:<entry as stored in the archive>`.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .config import Submission

SKIPPED_PARTS = {
    "__MACOSX": "macOS archive metadata (__MACOSX)",
    ".ipynb_checkpoints": "a Jupyter checkpoint (.ipynb_checkpoints)",
    ".git": "version-control data (.git)",
}
MAX_MEMBER_BYTES = 200 * 1024 * 1024
LINK = "is a link, not a file: submit the notebook itself"
NOT_REGULAR = "is not a regular file (a device, pipe or socket): submit the notebook itself"
_CHUNK = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a link swapped in after the check is still refused
    | getattr(os, "O_NONBLOCK", 0)  # a pipe swapped in does not block the grader
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


def student_name(raw: str) -> str:
    """A file-name-safe student name (letters, digits, `.`, `_`, `-`, `@`)."""
    name = re.sub(r"[^A-Za-z0-9._@-]+", "_", raw).strip("._") or "student"
    return name[:100]


def row_name(raw: str) -> str:
    """The row of the student `raw`: `raw` itself if it is safe, else its safe name and a
    short hash of `raw` (two raw names never share a row, in any order)."""
    name = student_name(raw)
    return name if name == raw else f"{name}-{_short_hash(raw)}"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:6]


@dataclasses.dataclass
class _Found:
    """One row to be: a student's raw name and notebook bytes, or why there are none."""

    raw_name: str
    path: str  # the original path, as `Submission.path` keeps it
    data: bytes = b""
    problem: str | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


def collect(source: str | Path, assignment: str, student: str | None = None) -> list[Submission]:
    """Reads every submission under `source` into memory (bytes and SHA-256)."""
    return collect_with_report(source, assignment, student)[0]


def collect_with_report(
    source: str | Path, assignment: str, student: str | None = None
) -> tuple[list[Submission], list[dict]]:
    """The submissions under `source`, and what was found there and not graded.

    Args:
        source: a folder of submissions, a .zip of one, or one notebook.
        assignment: its name: a student's `<assignment>.ipynb` is graded when they
            submitted several notebooks.
        student: the student's name when `source` is one notebook (default: its stem).

    Returns:
        `(submissions, report)`: one `Submission` per student, sorted by `student` (those
        with nothing readable to grade are already failed, with the reason), and one
        `{"entry": ..., "reason": ...}` per file, folder or archive entry not graded
        (`entry`: its path relative to `source`, or its name as stored in the zip).

    Raises:
        FileNotFoundError: if `source` does not exist.
        ValueError: if `source` is a corrupt zip, or neither a folder nor a file.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"No submissions at {source}.")
    report: list[dict] = []
    if source.is_file() and source.suffix == ".zip":
        found = _from_zip(source, assignment, report)
    elif source.is_file():
        # the grader chose this file: a link given here is followed
        data, problem = _read_file(source, follow=True)
        found = [_Found(student or source.stem, str(source), data, problem)]
    elif source.is_dir():
        found = _from_folder(source, assignment, report)
    else:
        raise ValueError(f"{source} is neither a folder, a .zip nor a notebook.")
    submissions = []
    for item, name in zip(found, _row_names(found)):
        submission = Submission(
            student=name,
            path=Path(item.path),
            data=item.data,
            sha256=hashlib.sha256(item.data).hexdigest(),
            source=source,
        )
        if item.problem:
            submission.fail(f"Nothing to grade: {item.problem}.")
        if student_name(item.raw_name) != item.raw_name:
            submission.messages.append(
                f"the name {item.raw_name!r} is not a safe file name: it is graded as {name}"
            )
        submission.messages.extend(item.notes)
        submissions.append(submission)
    return sorted(submissions, key=lambda s: s.student), report


def _row_names(found: list[_Found]) -> list[str]:
    """One distinct row per submission, chosen from its own raw name and path only."""
    names = [row_name(item.raw_name) for item in found]
    counts = collections.Counter(names)
    for index, item in enumerate(found):
        if counts[names[index]] > 1:  # the same raw name twice (folder and notebook, ...)
            others = [other.path for other in found if other is not item
                      and row_name(other.raw_name) == names[index]]
            item.notes.append(
                f"another submission has the same name ({', '.join(others)}): each is "
                "graded under its own name"
            )
            names[index] = f"{names[index]}-{_short_hash(item.path)}"
    taken = set()
    for index, name in enumerate(names):  # the same path twice: a zip entry stored twice
        number = 1
        while names[index] in taken:
            number += 1
            names[index] = f"{name}-{number}"
        taken.add(names[index])
    return names


def _ignored(entry: str, reason: str) -> dict:
    return {"entry": entry, "reason": reason}


def _skip_reason(name: str) -> str | None:
    """Why a file or folder named `name` is never graded, or None."""
    if name in SKIPPED_PARTS:
        return SKIPPED_PARTS[name]
    if name.startswith("."):
        return "a hidden file or folder"
    return None


def _choose(candidates: list, assignment: str, name_of) -> object | None:
    """The notebook to grade among a student's (sorted, shallowest first):
    `<assignment>.ipynb`, else the only one."""
    exact = [c for c in candidates if name_of(c) == f"{assignment}.ipynb"]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


def _report_unchosen(candidates, chosen, student, assignment, entry_of, report) -> None:
    for candidate in candidates:
        if candidate is chosen:
            continue
        if chosen is None:
            reason = (f"one of several notebooks of {student}, none named {assignment}.ipynb: "
                      "none was graded")
        else:
            reason = f"not graded: {student}'s notebook is {entry_of(chosen)}"
        report.append(_ignored(entry_of(candidate), reason))


def _several(count: int, assignment: str) -> str:
    return f"several notebooks were submitted ({count}) and none is named {assignment}.ipynb"


# Folders -----------------------------------------------------------------------------------

def _from_folder(root: Path, assignment: str, report: list[dict]) -> list[_Found]:
    found = []
    with os.scandir(root) as entries:
        entries = sorted(entries, key=lambda entry: entry.name)
    for entry in entries:
        path = Path(entry.path)
        reason = _skip_reason(entry.name)
        if reason:
            report.append(_ignored(entry.name, reason))
        elif entry.is_dir(follow_symlinks=False):
            found.append(_from_student_folder(root, path, assignment, report))
        elif entry.name.endswith(".ipynb"):
            found.append(_Found(path.stem, str(path), *_read_file(path)))
        elif entry.is_symlink() and path.is_dir():  # a stat of the target: nothing is read
            found.append(_Found(entry.name, str(path), problem=(
                f"{entry.name} is a link to a folder, not a folder: submit the notebook itself"
            )))
        else:
            report.append(_ignored(entry.name, _not_notebook_reason(path)))
    return found


def _not_notebook_reason(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError as error:
        return f"could not be read ({error.strerror})"
    if stat.S_ISLNK(mode):
        return "a link, not followed"
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, pipe or socket)"
    return "not a notebook (only .ipynb files are graded)"


def _from_student_folder(root: Path, folder: Path, assignment: str, report) -> _Found:
    """The notebook of the student whose folder is `folder` (links are not followed)."""

    def entry_of(path: Path) -> str:
        return path.relative_to(root).as_posix()

    def unlisted(error: OSError) -> None:
        report.append(_ignored(entry_of(Path(error.filename)),
                               f"could not be listed ({error.strerror})"))

    notebooks, linked_folders = [], []
    for current, folders, files in os.walk(folder, onerror=unlisted, followlinks=False):
        current = Path(current)
        kept = []
        for name in sorted(folders):
            path = current / name
            reason = _skip_reason(name)
            if path.is_symlink() and not reason:
                reason = "a link to a folder, not followed"
                linked_folders.append(entry_of(path))
            if reason:
                report.append(_ignored(entry_of(path), reason))
            else:
                kept.append(name)
        folders[:] = kept
        for name in sorted(files):
            path = current / name
            reason = _skip_reason(name)
            if reason:
                report.append(_ignored(entry_of(path), reason))
            elif name.endswith(".ipynb"):
                notebooks.append(path)
            else:
                report.append(_ignored(entry_of(path), _not_notebook_reason(path)))
    notebooks.sort(key=lambda path: (len(path.parts), path))
    chosen = _choose(notebooks, assignment, lambda path: path.name)
    _report_unchosen(notebooks, chosen, folder.name, assignment, entry_of, report)
    if chosen is not None:
        return _Found(folder.name, str(chosen), *_read_file(chosen))
    if notebooks:
        problem = _several(len(notebooks), assignment)
    elif linked_folders:
        problem = (f"no notebook was submitted ({', '.join(linked_folders)} is a link to a "
                   "folder, not followed: submit the notebook itself)")
    else:
        problem = "no notebook was submitted"
    return _Found(folder.name, str(folder) + os.sep, problem=problem)


def _read_file(path: Path, follow: bool = False) -> tuple[bytes, str | None]:
    """The bytes of the regular file `path` (a bounded read), or none and the problem."""
    name = path.name
    try:
        if not follow and stat.S_ISLNK(os.lstat(path).st_mode):
            return b"", f"{name} {LINK}"
        flags = _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0) if follow else _OPEN_FLAGS
        descriptor = os.open(path, flags)
    except OSError as error:
        if os.path.islink(path):  # ELOOP: it became a link after the check
            return b"", f"{name} {LINK}"
        return b"", f"{name} could not be read ({error.strerror})"
    with os.fdopen(descriptor, "rb", buffering=0) as handle:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return b"", f"{name} {NOT_REGULAR}"
        if status.st_size > MAX_MEMBER_BYTES:
            return b"", _too_large(name)
        try:
            data = _bounded_read(handle.read)
        except OSError as error:
            return b"", f"{name} could not be read ({error.strerror})"
    return (b"", _too_large(name)) if data is None else (data, None)


def _bounded_read(read) -> bytes | None:
    """At most `MAX_MEMBER_BYTES` bytes from `read`, or None if there are more."""
    chunks, size = [], 0
    while size <= MAX_MEMBER_BYTES:
        chunk = read(min(_CHUNK, MAX_MEMBER_BYTES + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


def _too_large(name: str) -> str:
    return f"{name} is larger than {MAX_MEMBER_BYTES / 2**20:.0f} MB, too large to be a notebook"


# Zips --------------------------------------------------------------------------------------

def entry_parts(filename: str) -> tuple[str, ...]:
    """The safe path of a zip entry: backslashes are separators; empty, `.`, `..`,
    absolute and drive (`C:`) parts are dropped (`../../x.ipynb` -> `("x.ipynb",)`)."""
    parts = [part for part in filename.replace("\\", "/").split("/")
             if part not in ("", ".", "..")]
    if parts and re.fullmatch(r"[A-Za-z]:", parts[0]):
        parts = parts[1:]
    return tuple(parts)


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _from_zip(path: Path, assignment: str, report: list[dict]) -> list[_Found]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as error:
        raise ValueError(
            f"{path} is not a readable zip archive ({error}): download the submissions again."
        ) from error
    with archive:
        members = []  # (info, safe parts) of every entry that may hold a submission
        for info in archive.infolist():
            parts = entry_parts(info.filename)
            reason = (
                "a folder entry (its files are listed on their own)" if info.is_dir() else
                "no usable name" if not parts else
                next(filter(None, map(_skip_reason, parts)), None)
            )
            if reason:
                report.append(_ignored(info.filename, reason))
            else:
                members.append((info, parts))
        depth = _common_depth([member_parts for _, member_parts in members])
        by_student: dict[str, list] = {}
        found = []
        for info, member_parts in members:
            inner = member_parts[depth:]
            if not inner[-1].endswith(".ipynb"):
                report.append(_ignored(info.filename, "a link, not followed" if _is_link(info)
                                       else "not a notebook (only .ipynb files are graded)"))
            elif len(inner) == 1:
                student = PurePosixPath(inner[0]).stem
                found.append(_member(path, archive, info, student, member_parts))
            else:
                by_student.setdefault(inner[0], []).append((info, member_parts))
        for student, candidates in sorted(by_student.items()):
            candidates.sort(key=lambda candidate: (len(candidate[1]), candidate[1]))
            chosen = _choose(candidates, assignment, lambda candidate: candidate[1][-1])
            _report_unchosen(candidates, chosen, student, assignment,
                             lambda candidate: candidate[0].filename, report)
            if chosen is not None:
                info, member_parts = chosen
                found.append(_member(path, archive, info, student, member_parts))
            else:
                folder = "/".join(candidates[0][1][:depth + 1])
                found.append(_Found(student, f"{path}:{folder}/",
                                    problem=_several(len(candidates), assignment)))
        return found


def _common_depth(parts: list[tuple[str, ...]]) -> int:
    """How many leading folders every entry shares (a zip of one folder: look inside it)."""
    depth = 0
    while (parts and all(len(p) > depth + 1 for p in parts)
           and len({p[depth] for p in parts}) == 1):
        depth += 1
    return depth


def _member(path: Path, archive: zipfile.ZipFile, info, student: str, parts) -> _Found:
    item = _Found(student, f"{path}:{info.filename}")
    safe = "/".join(parts)
    if safe != info.filename:
        item.notes.append(f"the archive entry {info.filename!r} was read as {safe!r}")
    item.data, item.problem = _read_member(archive, info, parts[-1])
    return item


def _read_member(archive: zipfile.ZipFile, info, name: str) -> tuple[bytes, str | None]:
    """The bytes of one zip member (a bounded read), or none and the problem."""
    if _is_link(info):
        return b"", f"{name} {LINK}"
    if info.flag_bits & 0x1:
        return b"", f"{name} is encrypted in the archive: submit it without a password"
    if info.file_size > MAX_MEMBER_BYTES:
        return b"", _too_large(name)
    try:
        with archive.open(info) as handle:
            data = _bounded_read(handle.read)
    except Exception as error:  # noqa: BLE001 (a bad member is its student's problem)
        return b"", (
            f"{name} could not be read from the archive ({type(error).__name__}: {error}); "
            "the archive is damaged or uses an unsupported compression"
        )
    return (b"", _too_large(name)) if data is None else (data, None)
