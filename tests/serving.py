"""Helpers for the tests that run the real `corridor` command and server in subprocesses."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def corridor(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run `corridor ARGS` with exactly this environment, from the project's root."""
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
