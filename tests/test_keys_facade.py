"""The keys package's contracts, read from the source: the rest of Corridor goes through its
facade and never holds key bytes; keys never imports the audit log.

Tests and test helpers (tests/, conftest.py, testing.py) may reach inside keys.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "corridor"

# What code outside keys may import from it, and why each is not simply the facade.
PUBLIC = {
    "corridor.keys.api": "the facade",
    "corridor.keys.fields": "model field classes; migrations name them by this path",
    "corridor.keys.errors": "exceptions, importable before Django is set up (the corridor CLI)",
    "corridor.keys.hardening": "process hardening, run by gunicorn before Django is set up",
    "corridor.keys.treehead": "RFC 6962 hashing and the checkpoint text keyd signs; no keys in it",
}
CRYPTO_LIBRARIES = ("cryptography", "argon2", "pyrage", "pyshamir", "nacl")
# Key material: DataKey.plain_key() (for fields and files inside keys only) and the age
# identity a passphrase derives (DerivedKeys.open decrypts with it).
KEY_BYTES_ATTRIBUTES = {"plain_key", "_plain", "identity"}


def _is_test_support(path: Path) -> bool:
    return "tests" in path.parts or path.name in ("conftest.py", "testing.py")


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every import, `from a import b` counting as a.b as well as a."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def facade_violations(source: str) -> list[str]:
    """What a module outside keys does that only keys may do."""
    tree = ast.parse(source)
    problems: list[str] = []
    for line, name in _imported(tree):
        if name.startswith("corridor.keys."):
            module = ".".join(name.split(".")[:3])
            parent = name.rsplit(".", 1)[0]
            # `from corridor.keys.api import DataKey` names corridor.keys.api.DataKey: fine.
            if module not in PUBLIC and parent not in PUBLIC and name not in PUBLIC:
                problems.append(f"line {line}: imports {name} (use corridor.keys.api)")
        if name.split(".")[0] in CRYPTO_LIBRARIES:
            problems.append(f"line {line}: imports {name} (cryptography lives in corridor.keys)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in KEY_BYTES_ATTRIBUTES:
            problems.append(f"line {node.lineno}: reads .{node.attr} (key bytes stay in corridor.keys)")
    return problems


def audit_imports(source: str) -> list[str]:
    return [f"line {line}: imports {name}" for line, name in _imported(ast.parse(source)) if name.startswith("corridor.audit")]


def _sources(under: Path) -> list[Path]:
    return sorted(path for path in under.rglob("*.py") if not _is_test_support(path.relative_to(ROOT.parent)))


def test_code_outside_keys_uses_only_the_facade_and_holds_no_key_bytes() -> None:
    keys = ROOT / "keys"
    problems = {
        str(path.relative_to(ROOT.parent)): found
        for path in _sources(ROOT)
        if keys not in path.parents and (found := facade_violations(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


def test_keys_never_imports_the_audit_log() -> None:
    problems = {
        str(path.relative_to(ROOT.parent)): found
        for path in _sources(ROOT / "keys")
        if (found := audit_imports(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


def test_the_checks_catch_what_they_are_for() -> None:
    """Each rule, fed a line that breaks it (so the walks above cannot pass by checking nothing)."""
    assert facade_violations("from corridor.keys import crypto\n") == ["line 1: imports corridor.keys.crypto (use corridor.keys.api)"]
    assert facade_violations("from corridor.keys.instance import keyring\n") == [
        "line 1: imports corridor.keys.instance (use corridor.keys.api)",
        "line 1: imports corridor.keys.instance.keyring (use corridor.keys.api)",
    ]
    assert facade_violations("import corridor.keys.kdf\n") == ["line 1: imports corridor.keys.kdf (use corridor.keys.api)"]
    assert facade_violations("from cryptography.hazmat.primitives import hashes\n") == [
        "line 1: imports cryptography.hazmat.primitives (cryptography lives in corridor.keys)",
        "line 1: imports cryptography.hazmat.primitives.hashes (cryptography lives in corridor.keys)",
    ]
    assert facade_violations("x = data_key.plain_key()\n") == ["line 1: reads .plain_key (key bytes stay in corridor.keys)"]
    assert facade_violations("age_decrypt(thread.keys.identity, blob)\n") == ["line 1: reads .identity (key bytes stay in corridor.keys)"]
    assert facade_violations("from corridor.keys import api as keys\nfrom corridor.keys.api import DataKey\nimport corridor.keys.fields\n") == []
    assert audit_imports("def f():\n    from corridor.audit import log\n") == ["line 2: imports corridor.audit", "line 2: imports corridor.audit.log"]
    assert len(_sources(ROOT)) > 100
