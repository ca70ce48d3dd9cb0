"""README's "API at a glance" names everything each subpackage exports.

Read without importing anything: `__all__` of every `ssl_keras/<subpackage>/__init__.py`
(its literal list) against the table rows of that module; a name counts when it appears in
backticks, alone or called (`name`, `name(...)`, `name.attribute`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = sorted(path.parent.name for path in (ROOT / "ssl_keras").glob("*/__init__.py"))


def exported(subpackage: str) -> list[str]:
    tree = ast.parse((ROOT / "ssl_keras" / subpackage / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) == "__all__" for target in node.targets):
            return list(ast.literal_eval(node.value))
    return []


def table_rows(readme: str) -> dict[str, str]:
    """{module: the text of its rows} of the README's API table."""
    section = readme.split("## API at a glance", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`(ssl_keras(?:\.\w+)*)`[^|]*\|(.*)\|\s*$", line)
        if match:
            rows[match.group(1)] = rows.get(match.group(1), "") + match.group(2)
    return rows


def named(name: str, text: str) -> bool:
    return re.search("`" + re.escape(name) + r"(?=[`(.\[ ])", text) is not None


@pytest.mark.parametrize("subpackage", SUBPACKAGES)
def test_every_export_is_in_the_api_table(subpackage):
    text = table_rows((ROOT / "README.md").read_text()).get(f"ssl_keras.{subpackage}", "")
    missing = [name for name in exported(subpackage) if not named(name, text)]
    assert not missing, f"README's API table lacks, for ssl_keras.{subpackage}: {missing}"


def test_the_table_reader_finds_rows_and_names():
    readme = ("## API at a glance\n\n| module | names |\n|---|---|\n"
              "| `ssl_keras.ops` | `cosine_similarity(a, b)`, `l2` |\n"
              "| `ssl_keras.ops` (more) | `NTXent.call`, `Pair` / `pair` |\n\n"
              "## Next\n| `x` | `y` |")
    rows = table_rows(readme)
    assert set(rows) == {"ssl_keras.ops"}
    assert all(named(name, rows["ssl_keras.ops"])
               for name in ("cosine_similarity", "l2", "NTXent", "Pair", "pair"))
    assert not named("cosine", rows["ssl_keras.ops"]) and not named("y", rows["ssl_keras.ops"])
    assert "load_image_folder" in exported("data")
