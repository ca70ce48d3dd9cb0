"""Zeroes a task whose answer uses a name it must not use (the package's own solution).

Checks modules may define `FORBIDDEN = {test grade_id: [dotted names]}`; for instance a
student's NT-Xent must not call `ssl_keras.losses`. The student's editable cells (every
code cell that is not restored from the source) are parsed: imports and aliases from all
cells are resolved (`from ssl_keras import losses as L; L.nt_xent` is
`ssl_keras.losses.nt_xent`), and dotted names are also searched in the text with comments
removed (`importlib.import_module("ssl_keras.losses")`). Some names are forbidden in every
task: they reach the grader's own code, the test cells' frames or the kernel's machinery.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from .. import notebook as nb
from ..checks._core import RECORD_MARKER
from .base import Step


class ForbiddenNames(Step):
    phase = "score"  # after ScoreCells: it only takes points away
    always_forbidden = (
        "ssl_keras_autograder",
        "sys._getframe",
        "sys.modules",
        "inspect.currentframe",
        "inspect.stack",
        "inspect.getouterframes",
        "gc.get_objects",
        "gc.get_referrers",
        "ctypes",
        "get_ipython",
        "builtins",
        "__builtins__",
        "importlib",
        "__import__",
    )
    # the checks module itself and its visible checks stay usable (students re-run them)
    allowed = (r"ssl_keras_autograder(\.checks(\.\w+(\.check_\w+)?)?)?",)

    def run(self, submission, assignment, config):
        if submission.notebook is None:
            return
        code_cells = [c for c in submission.notebook.cells if c.get("cell_type") == "code"]
        aliases = {}
        for cell in code_cells:
            aliases.update(import_aliases(_parse(cell.get("source", ""))))
        student_cells = [
            (index, cell)
            for index, cell in enumerate(submission.notebook.cells)
            if cell.get("cell_type") == "code" and not nb.is_locked(cell)
        ]
        uses = []  # (cell number, dotted names used, code without comments)
        for index, cell in student_cells:
            source = cell.get("source", "")
            used = {
                name
                for name in used_names(_parse(source), aliases)
                if not any(re.fullmatch(pattern, name) for pattern in self.allowed)
                # IPython magics become get_ipython() calls: only typed ones count
                and (not name.startswith("get_ipython") or "get_ipython" in source)
            }
            uses.append((index + 1, used, _code_text(source)))
        for grade_id, result in submission.cells.items():
            if result.manual:
                continue
            names = list(assignment.forbidden.get(grade_id, [])) + list(self.always_forbidden)
            found: dict[str, list[int]] = {}
            for number, used, text in uses:
                for name in names:
                    if _uses(name, used, text):
                        found.setdefault(f"`{name}`", []).append(number)
                if RECORD_MARKER in text:
                    found.setdefault("the grader's result markers", []).append(number)
            if not found:
                continue
            listed = ", ".join(
                f"{name} (cell{'s' if len(numbers) > 1 else ''} "
                f"{', '.join(str(number) for number in numbers)})"
                for name, numbers in found.items()
            )
            result.points = 0.0
            result.status = "forbidden"
            result.messages.append(
                f"your answer uses {listed}, which this task must not use: write the "
                "computation yourself"
            )


def _transform(source: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 (fall back to the raw text)
        return source


def _parse(source: str):
    try:
        return ast.parse(_transform(source))
    except (SyntaxError, ValueError):
        return None


def _code_text(source: str) -> str:
    """The source without comments (strings stay: they may hold module names)."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return " ".join(tok.string for tok in tokens if tok.type != tokenize.COMMENT)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source


def import_aliases(tree) -> dict[str, str]:
    aliases = {}
    if tree is None:
        return aliases
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    aliases[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def used_names(tree, aliases: dict[str, str]) -> set[str]:
    used = set()
    if tree is None:
        return used
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            used.add(node.module)
            used.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, (ast.Attribute, ast.Name)):
            dotted = _dotted(node)
            if dotted:
                head, _, rest = dotted.partition(".")
                resolved = aliases.get(head, head)
                used.add(f"{resolved}.{rest}" if rest else resolved)
    return used


def _uses(name: str, used: set[str], text: str) -> bool:
    if any(item == name or item.startswith(name + ".") for item in used):
        return True
    if "." in name:
        return re.search(r"(?<![\w.])" + re.escape(name) + r"(?!\w)", text) is not None
    return False
