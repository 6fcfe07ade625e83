"""Every `type: ignore` names the error it silences and says why, on the same line (STYLE.md 14).

No file has a bare one: the test lists each file that does, with how many.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("corridor", "tests", "bench", "scripts", "conftest.py")
# An ignore with its codes, then a comment of its own: `# type: ignore[arg-type]  # why`.
EXPLAINED = re.compile(r"type:\s*ignore\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s*#\s*\S")


def bare_ignores(source: str) -> list[int]:
    """Lines whose comment has a `type: ignore` without codes or without a reason after it."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and "type: ignore" in token.string and not EXPLAINED.search(token.string):
            lines.append(token.start[0])
    return lines


def _files() -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        found += [path] if path.is_file() else sorted(p for p in path.rglob("*.py") if ".venv" not in p.parts)
    return found


def test_every_type_ignore_says_what_and_why() -> None:
    counts = {}
    for path in _files():
        lines = bare_ignores(path.read_text(encoding="utf-8"))
        if lines:
            counts[str(path.relative_to(ROOT))] = len(lines)
    assert counts == {}


def test_the_check_tells_a_reason_from_none() -> None:
    source = (
        "a = f()  # type: ignore\n"
        "b = f()  # type: ignore[arg-type]\n"
        "c = f()  # type: ignore[arg-type]  # the stubs say str, Django takes a Path\n"
        "d = f()  # type: ignore[misc, attr-defined]  # a marker attribute\n"
        "e = '# type: ignore'  # a string is no comment\n"
    )
    assert bare_ignores(source) == [1, 2]
