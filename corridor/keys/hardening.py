"""Best-effort hardening of the key service process: no core dumps, no ptrace, locked pages.

CPython cannot guarantee that secrets are zeroised: bytes are immutable, copied freely by
the interpreter and the libraries, and freed memory is not wiped. These measures keep
keys off disk (core files, swap) and away from same-user debuggers; they do not make
memory of a compromised, running process safe.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import sys

_PR_SET_DUMPABLE = 4
_MCL_CURRENT = 1
_MCL_FUTURE = 2
_MCL_ONFAULT = 4  # Linux 4.4+: lock pages as they are touched, not every mapping up front


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _has_cap_ipc_lock() -> bool:
    # CAP_IPC_LOCK (bit 14) lifts RLIMIT_MEMLOCK; euid 0 alone does not in a container.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 14))
    except (OSError, ValueError):
        pass
    return False


def harden_process(*, lock_on_fault: bool = False) -> list[str]:
    """Apply every measure that works here; return a description of each that failed.

    lock_on_fault locks pages when first touched (MCL_ONFAULT) instead of populating every
    mapping at once: web workers reserve far more (thread stacks, malloc arenas) than they use.
    """
    failed: list[str] = []
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError) as exc:
        failed.append(f"disable core dumps (RLIMIT_CORE): {exc}")

    if not sys.platform.startswith("linux"):
        failed.append("prctl(PR_SET_DUMPABLE) and mlockall: only implemented on Linux")
        return failed

    try:
        libc = _libc()
    except OSError as exc:
        failed.append(f"load libc: {exc}")
        return failed

    # Not dumpable also means other processes of the same user cannot ptrace us or
    # read /proc/<pid>/mem.
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        failed.append(f"prctl(PR_SET_DUMPABLE, 0): {os.strerror(ctypes.get_errno())}")

    # With MCL_FUTURE and a finite RLIMIT_MEMLOCK, any later allocation past the limit
    # fails, which would crash keyd mid-request; lock only when the limit cannot bite.
    soft, _hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    if soft != resource.RLIM_INFINITY and not _has_cap_ipc_lock():
        failed.append(
            "mlockall: skipped because RLIMIT_MEMLOCK is finite; raise it (LimitMEMLOCK=infinity) to keep keys out of swap"
        )
    elif lock_on_fault and libc.mlockall(_MCL_CURRENT | _MCL_FUTURE | _MCL_ONFAULT) == 0:
        pass
    elif libc.mlockall(_MCL_CURRENT | _MCL_FUTURE) != 0:
        failed.append(f"mlockall(MCL_CURRENT|MCL_FUTURE): {os.strerror(ctypes.get_errno())}")
    return failed
