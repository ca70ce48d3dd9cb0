"""Finding the submissions: a folder of `<student>.ipynb`, folders `<student>/*.ipynb`, one
notebook, or a .zip of any of these. Files are only read (their bytes are kept in memory and
hashed), never written; a zip is read member by member, never extracted to disk."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path, PurePosixPath

from .config import Submission

SKIPPED_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".git"}
MAX_MEMBER_BYTES = 200 * 1024 * 1024


def student_name(raw: str) -> str:
    """A file-name-safe student name (letters, digits, `.`, `_`, `-`, `@`)."""
    name = re.sub(r"[^A-Za-z0-9._@-]+", "_", raw).strip("._") or "student"
    return name[:100]


def _choose(paths: list, assignment: str, name_of) -> object | None:
    """The notebook to grade among a student's files: `<assignment>.ipynb` or the only one."""
    if not paths:
        return None
    exact = [path for path in paths if name_of(path) == f"{assignment}.ipynb"]
    if exact:
        return exact[0]
    return sorted(paths, key=name_of)[0] if len(paths) == 1 else None


def _skipped(parts) -> bool:
    return any(part in SKIPPED_PARTS or part.startswith(".") for part in parts)


def _entries(root: Path, assignment: str) -> list[tuple[str, Path | None, str | None]]:
    """(student, notebook path or None, problem) for a folder of submissions."""
    entries = []
    for path in sorted(root.iterdir()):
        if _skipped([path.name]):
            continue
        if path.is_file() and path.suffix == ".ipynb":
            entries.append((path.stem, path, None))
        elif path.is_dir():
            notebooks = [
                p for p in path.rglob("*.ipynb") if not _skipped(p.relative_to(path).parts)
            ]
            chosen = _choose(notebooks, assignment=assignment, name_of=lambda p: p.name)
            if chosen is None:
                problem = (
                    "no notebook was submitted" if not notebooks else
                    f"several notebooks were submitted and none is named {assignment}.ipynb"
                )
                entries.append((path.name, None, problem))
            else:
                entries.append((path.name, chosen, None))
    return entries


def collect(source: str | Path, assignment: str, student: str | None = None) -> list[Submission]:
    """Reads every submission under `source` into memory (bytes and SHA-256)."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"No submissions at {source}.")
    if source.is_file() and source.suffix == ".zip":
        items = _from_zip(source, assignment)
    elif source.is_file():
        items = [(student or source.stem, source, *_read(source))]
    else:
        items = [
            (name, path, *(_read(path) if path is not None else (b"", problem)))
            for name, path, problem in _entries(source, assignment)
        ]
    submissions, used = [], set()
    for raw_name, path, data, problem in items:
        name, suffix = student_name(raw_name), 2
        base = name
        while name in used:
            name, suffix = f"{base}-{suffix}", suffix + 1
        used.add(name)
        submission = Submission(
            student=name,
            path=Path(str(path)) if path is not None else Path(raw_name),
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            source=source,
        )
        if problem:
            submission.fail(f"Nothing to grade: {problem}.")
        submissions.append(submission)
    return submissions


def _read(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes, or no bytes and a problem if it is too large to be a notebook."""
    if path.stat().st_size > MAX_MEMBER_BYTES:
        return b"", f"the notebook is larger than {MAX_MEMBER_BYTES // 2**20} MB"
    return path.read_bytes(), None


def _from_zip(path: Path, assignment: str) -> list:
    with zipfile.ZipFile(path) as archive:
        members = [
            info for info in archive.infolist()
            if not info.is_dir() and not _skipped(PurePosixPath(info.filename).parts)
        ]
        parts = [PurePosixPath(info.filename).parts for info in members]
        # a zip of one folder: look inside it
        while parts and all(len(p) > 1 for p in parts) and len({p[0] for p in parts}) == 1:
            parts = [p[1:] for p in parts]
        by_student: dict[str, list] = {}
        items = []
        for info, part in zip(members, parts):
            if not part[-1].endswith(".ipynb"):
                continue
            if len(part) == 1:
                items.append((PurePosixPath(part[0]).stem, info))
            else:
                by_student.setdefault(part[0], []).append(info)
        for student, infos in sorted(by_student.items()):
            chosen = _choose(infos, assignment, lambda info: PurePosixPath(info.filename).name)
            items.append((student, chosen))
        result = []
        for student, info in sorted(items, key=lambda item: item[0]):
            if info is None:
                result.append((student, None, b"", "several notebooks were submitted"))
            elif info.file_size > MAX_MEMBER_BYTES:
                result.append((student, info.filename, b"", "the notebook is too large"))
            else:
                result.append((student, f"{path}:{info.filename}", archive.read(info), None))
        return result
