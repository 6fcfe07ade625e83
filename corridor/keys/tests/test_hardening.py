"""Tests for process hardening, run in a child process so pytest itself is untouched.

The child reports what the kernel says after harden_process(), not what we hoped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_CHILD = """
import ctypes, ctypes.util, json, resource
from corridor.keys.hardening import harden_process
failed = harden_process()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
print(json.dumps({
    "failed": failed,
    "core": resource.getrlimit(resource.RLIMIT_CORE),
    "dumpable": libc.prctl(3, 0, 0, 0, 0),  # PR_GET_DUMPABLE
}))
"""


def test_harden_process_disables_core_dumps_and_ptrace() -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, capture_output=True, check=True, timeout=30)
    report = json.loads(out.stdout)
    assert report["core"] == [0, 0]
    assert report["dumpable"] == 0
    assert isinstance(report["failed"], list)
    assert not any("RLIMIT_CORE" in f or "PR_SET_DUMPABLE" in f for f in report["failed"])
