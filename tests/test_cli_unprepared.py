"""The CLI on a data directory that is not ready yet says the one step to take, and fails,
instead of printing a traceback (or, like `demo` once did, writing keys before failing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]


def _corridor(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update({"CORRIDOR_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "corridor.settings"})
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


COMMANDS_NEEDING_THE_DATABASE = [
    ("createuser", "--username", "amina", "--role", "caseworker", "--noinput"),
    ("token", "create", "amina"),
    ("audit", "verify"),
    ("demo",),
    ("rotate",),
    ("serve", "--bind", "127.0.0.1:1"),
]


@pytest.mark.parametrize("args", COMMANDS_NEEDING_THE_DATABASE, ids=lambda args: args[0])
def test_an_unmigrated_data_directory_asks_for_migrate(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = _corridor(tmp_path, *args)
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"corridor: the database of {tmp_path} is not set up or not up to date: run `corridor migrate` first\n",
    )
    # Nothing was half-done: no keys, no demo shares.
    assert sorted(path.name for path in tmp_path.iterdir() if path.name not in ("db.sqlite3", "secret_key", "unseal_path")) == []


def test_an_uninitialised_data_directory_asks_for_init_and_a_stopped_keyd_is_named(tmp_path: Path) -> None:
    assert _corridor(tmp_path, "migrate", "--noinput", "-v", "0").returncode == 0
    status = _corridor(tmp_path, "status")
    # Scripts read the first line: an instance without keys is certainly not unsealed.
    assert (status.returncode, status.stdout, status.stderr) == (
        1,
        "sealed\n",
        f"CommandError: {tmp_path} has no keys yet: run `corridor init` first\n",
    )
    for args in (("seal",), ("rotate",)):
        result = _corridor(tmp_path, *args)
        assert (result.returncode, result.stderr) == (
            1,
            "corridor: the key service is not running: start it with `corridor serve` (or `corridor keyd`)\n",
        ), args


def test_an_unexpected_error_prints_no_typed_value(tmp_path: Path) -> None:
    """A command that fails unexpectedly prints where, not what: the exception's message
    (which quotes the value that caused it) stays out of the output journald keeps."""
    probe = (
        "import django.core.management as management, corridor.cli\n"
        "typed = 'Zaurbek-' + 'Musaev'\n"
        "management.execute_from_command_line = lambda argv: int(typed)\n"
        "corridor.cli.main(['check'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DJANGO_")) and k != "DATABASE_URL"}
    env["CORRIDOR_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "Zaurbek" not in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "ValueError (message withheld from the log)"
