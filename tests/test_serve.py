"""The real thing: `corridor serve` with keyd and gunicorn workers, driven by the CLI.

Starts sealed, unseals from shares piped into `corridor unseal`, and after `corridor seal`
every worker answers 503 within a second.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import ROOT, corridor, free_port

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("serve")]



def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 -- loopback test server
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture(scope="module")
def instance() -> dict[str, str]:
    data_dir = tempfile.mkdtemp(prefix="corridor-serve-")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CORRIDOR_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update({"CORRIDOR_DATA_DIR": data_dir, "CORRIDOR_INSECURE_HTTP": "1", "DJANGO_SETTINGS_MODULE": "corridor.settings"})
    migrate = corridor(env, "migrate", "--noinput", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr
    static = corridor(env, "collectstatic", "--noinput", "-v", "0")
    assert static.returncode == 0, static.stderr
    init = corridor(env, "init", "--shares", "3", "--threshold", "2", "--no-qr")
    assert init.returncode == 0, init.stderr
    env["SHARES"] = "\n".join(line for line in init.stdout.splitlines() if line.startswith("share "))
    return env


@pytest.fixture(scope="module")
def server(instance: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "3", "--threads", "1"],
        env=instance,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get(base + "/healthz") == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise AssertionError(process.stdout.read() if process.stdout else "server did not start")
    yield base
    process.terminate()
    output, _ = process.communicate(timeout=20)
    # Invariant 11: the server's own output names no client address.
    assert "127.0.0.1 -" not in output


def test_serve_starts_sealed_unseals_from_cli_and_seals_every_worker(instance: dict[str, str], server: str) -> None:
    status = corridor(instance, "status")
    assert status.stdout.splitlines()[0] == "sealed"
    assert _get(server + "/accounts/login/") == 503

    shares = instance["SHARES"].splitlines()
    first = corridor(instance, "unseal", stdin=shares[0] + "\n")
    assert first.returncode == 0, first.stderr
    assert corridor(instance, "status").stdout.splitlines() == ["sealed", "shares entered: 1 of 2"]
    second = corridor(instance, "unseal", stdin=shares[2] + "\n")
    assert second.returncode == 0, second.stderr
    assert corridor(instance, "status").stdout.splitlines()[0] == "unsealed"
    # Many requests, so every one of the three workers answers.
    assert {_get(server + "/accounts/login/") for _ in range(30)} == {200}

    from corridor.keys.client import KeydClient

    keyd = KeydClient(Path(instance["CORRIDOR_DATA_DIR"]) / "run" / "keyd.sock")
    started = time.monotonic()
    keyd.seal()
    codes = {_get(server + "/accounts/login/") for _ in range(30)}
    elapsed = time.monotonic() - started
    assert codes == {503}
    assert elapsed < 1.0
    assert corridor(instance, "status").stdout.splitlines()[0] == "sealed"
    # `corridor seal` works from the shell too.
    for share in shares[:2]:
        corridor(instance, "unseal", stdin=share + "\n")
    assert _get(server + "/accounts/login/") == 200
    assert corridor(instance, "seal").returncode == 0
    assert _get(server + "/accounts/login/") == 503


def test_wrong_share_from_cli_fails_with_a_clear_message(instance: dict[str, str], server: str) -> None:
    result = corridor(instance, "unseal", stdin="share 1: AAAA-BBBB-CCCC\n")
    assert result.returncode != 0
    assert "mistyped" in result.stderr


def test_status_when_key_service_is_not_running(tmp_path: Path, instance: dict[str, str]) -> None:
    env = dict(instance, CORRIDOR_DATA_DIR=str(tmp_path))
    result = corridor(env, "status")
    assert result.stdout.splitlines()[0] == "sealed"


def test_the_unseal_page_is_at_the_printed_random_path_and_keyd_refuses_forged_shares(instance: dict[str, str], server: str) -> None:
    import os as _os

    from corridor.keys.shamir import format_share, parse_share

    corridor(instance, "seal")
    path = (Path(instance["CORRIDOR_DATA_DIR"]) / "unseal_path").read_text().strip()
    assert path.startswith("unseal-")
    assert _get(server + "/unseal/") == 404
    assert _get(server + "/" + path) == 200
    shares = instance["SHARES"].splitlines()
    x = parse_share(shares[0])[-1]
    forged = corridor(instance, "unseal", stdin=format_share(1, _os.urandom(32) + bytes([x])) + "\n")
    assert forged.returncode != 0
    assert "This share was not issued for this instance. The shares already entered are kept." in forged.stderr
    assert corridor(instance, "unseal", stdin=shares[0] + "\n").returncode == 0
    assert corridor(instance, "status").stdout.splitlines() == ["sealed", "shares entered: 1 of 2"]
    reset = corridor(instance, "unseal", "--reset")
    assert (reset.returncode, reset.stdout) == (0, "Unseal progress was reset. All trustees must enter their shares again.\n")
    assert corridor(instance, "status").stdout.splitlines() == ["sealed", "shares entered: 0 of 2"]


# -- web workers are hardened like keyd ----------------------------------------------------------


def _gunicorn_processes(port: int) -> tuple[int, list[int]]:
    """gunicorn's master for this port, and its workers."""
    master = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"gunicorn" in cmdline and f"127.0.0.1:{port}".encode() in cmdline:
            status = (entry / "status").read_text()
            parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
            if b"gunicorn" not in (Path("/proc") / str(parent) / "cmdline").read_bytes():
                master = int(entry.name)
    assert master is not None
    children = (Path("/proc") / str(master) / "task" / str(master) / "children").read_text().split()
    return master, [int(pid) for pid in children]


def _without_capabilities(argv: list[str]) -> list[str]:
    """argv run as this user but holding no capabilities (as root, CAP_SYS_PTRACE would read
    any process, and a process without capabilities may read only others without them)."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to run without capabilities as root"
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--", *argv]


def _readable_by_same_user(pid: int) -> bool:
    """Whether a process of the same user, holding no capabilities, can read /proc/PID/environ:
    the kernel allows that only while PID is dumpable (prctl PR_SET_DUMPABLE)."""
    result = subprocess.run(  # noqa: S603 -- fixed arguments
        _without_capabilities(["cat", f"/proc/{pid}/environ"]), capture_output=True, timeout=10, check=False
    )
    return result.returncode == 0


def _memory_lock_allowed() -> bool:
    soft, _hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    capabilities = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("CapEff:"))
    return soft == resource.RLIM_INFINITY or bool(int(capabilities.split()[1], 16) & (1 << 14))


def test_web_workers_dump_no_core_and_lock_memory(server: str) -> None:
    port = int(server.rsplit(":", 1)[1])
    _get(server + "/accounts/login/")  # the workers have served
    master, workers = _gunicorn_processes(port)
    assert len(workers) == 3
    for pid in [master, *workers]:
        limits = Path(f"/proc/{pid}/limits").read_text()
        core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
        assert core.split()[4:6] == ["0", "0"], core  # soft and hard: no core file, and none can be re-enabled
    if _memory_lock_allowed():
        for pid in workers:
            status = Path(f"/proc/{pid}/status").read_text()
            locked = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmLck:")))
            assert locked > 10_000, f"worker {pid} locked only {locked} kB"


def test_web_workers_are_not_dumpable(instance: dict[str, str], server: str) -> None:
    """No other process of the web server's user may read a worker's memory or environment.

    A second gunicorn (on the running keyd) without capabilities, so that a reader without
    them is held back only by the workers' dumpable flag."""
    port = free_port()
    command = [sys.executable, "-m", "corridor.cli", "serve", "--no-keyd", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    output = tempfile.TemporaryFile()
    process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
        _without_capabilities(command), env=instance, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"http://127.0.0.1:{port}/healthz") == 200:
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the second server did not start"
                time.sleep(0.2)
        master, workers = _gunicorn_processes(port)
        assert len(workers) == 2
        # The check itself works: a plain process without capabilities is readable.
        with subprocess.Popen(_without_capabilities(["sleep", "30"])) as control:
            try:
                time.sleep(0.2)  # let setpriv exec sleep
                assert _readable_by_same_user(control.pid)
            finally:
                control.kill()
        assert {pid: _readable_by_same_user(pid) for pid in [master, *workers]} == {pid: False for pid in [master, *workers]}
    finally:
        process.terminate()
        process.wait(timeout=20)
    output.seek(0)
    warnings = [line for line in output.read().decode().splitlines() if "hardening incomplete" in line]
    # Without CAP_IPC_LOCK and with a finite RLIMIT_MEMLOCK the workers cannot lock their memory:
    # said once, by gunicorn's master, naming the measure and nothing else.
    if resource.getrlimit(resource.RLIMIT_MEMLOCK)[0] == resource.RLIM_INFINITY:
        assert warnings == []
    else:
        assert len(warnings) == 1, warnings
        assert warnings[0].endswith(
            "[WARNING] web workers: hardening incomplete: mlockall: skipped because RLIMIT_MEMLOCK is finite;"
            " raise it (LimitMEMLOCK=infinity) to keep keys out of swap"
        ), warnings


def test_the_wsgi_entry_hardens_any_servers_worker(instance: dict[str, str]) -> None:
    """Another WSGI server (granian, uwsgi) imports corridor.wsgi: that import hardens the worker."""
    probe = (
        "import ctypes, ctypes.util, resource\n"
        "import corridor.wsgi\n"
        "libc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
        "print(libc.prctl(3, 0, 0, 0, 0), *resource.getrlimit(resource.RLIMIT_CORE))\n"  # 3: PR_GET_DUMPABLE
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=instance, capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )
    assert (result.returncode, result.stdout.split()) == (0, ["0", "0", "0"]), result.stderr
