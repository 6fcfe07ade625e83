"""Anonymous submissions through the real HTTP stack: `corridor serve` (keyd + gunicorn) on a
loopback port, a fresh instance left SEALED, the production argon2id cost.

Reports submissions per second with one and four clients, p95 latency with one client,
failures with eight concurrent clients, and the codename lookup cost. Bounded: a fixed
number of submissions per phase and a deadline for each; loopback only.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.common import percentile

ROOT = Path(__file__).resolve().parents[1]
MIN_FILL_SECONDS = 1
PHASE_DEADLINE_SECONDS = 60
_TOKEN = re.compile(r'name="token" value="([^"]+)"')
_CODENAME = re.compile(r'<ol class="codename"')
STORY = "Бенчмарк: что случилось, где я, как со мной связаться. " * 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(data_dir: str) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("CORRIDOR_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "CORRIDOR_DATA_DIR": data_dir,
            "CORRIDOR_INSECURE_HTTP": "1",
            "DJANGO_SETTINGS_MODULE": "corridor.settings",  # production KDF: no test settings
            "CORRIDOR_INTAKE_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS),
            # The limits are what this measures around, not what it measures: switched off.
            "CORRIDOR_INTAKE_SUBMITS_PER_HOUR": "0",
            "CORRIDOR_INTAKE_SUBMITS_PER_HOUR_PER_ADDRESS": "0",
            "CORRIDOR_INTAKE_LOGINS_PER_HOUR": "0",
            "CORRIDOR_INTAKE_LOGINS_PER_HOUR_PER_ADDRESS": "0",
        }
    )
    return env


def _corridor(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 -- our own interpreter and module, fixed arguments
        [sys.executable, "-m", "corridor.cli", *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"corridor {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


class Client:
    """One keep-alive HTTP connection, as one person's browser would use.

    Like a browser, it reconnects once when the server has closed an idle keep-alive
    connection before the request reached it; any other error is a failure.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def _send(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> tuple[int, str]:
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read().decode("utf-8")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> tuple[int, str]:
        return self._send("GET", path, None, {})

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields)
        return self._send("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def token(self) -> str:
        status, html = self.get("/help/")
        match = _TOKEN.search(html)
        if status != 200 or match is None:
            raise RuntimeError(f"the help form did not load: {status}")
        return match.group(1)

    def close(self) -> None:
        self.connection.close()


def _submit(client: Client, token: str) -> tuple[bool, float]:
    started = time.perf_counter()
    try:
        status, html = client.post(
            "/help/", {"token": token, "q_what_happened": STORY, "q_where": "Москва", "q_safe_now": "unsure"}
        )
    except (OSError, http.client.HTTPException):
        return False, time.perf_counter() - started
    return status == 200 and _CODENAME.search(html) is not None, time.perf_counter() - started


def _phase(port: int, clients: int, per_client: int) -> dict[str, Any]:
    """`clients` threads, each submitting `per_client` forms fetched (and aged) beforehand."""
    fetcher = Client(port)
    tokens = [[fetcher.token() for _ in range(per_client)] for _ in range(clients)]
    fetcher.close()
    time.sleep(MIN_FILL_SECONDS + 0.1)  # the form refuses posts faster than a person could write
    sessions = [Client(port) for _ in range(clients)]
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
    barrier = threading.Barrier(clients + 1)

    def work(index: int) -> None:
        nonlocal failures
        barrier.wait()
        for token in tokens[index]:
            if time.monotonic() > deadline:
                break
            ok, elapsed = _submit(sessions[index], token)
            with lock:
                latencies.append(elapsed)
                failures += 0 if ok else 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for session in sessions:
        session.close()
    return {
        "clients": clients,
        "submissions": len(latencies),
        "failures": failures,
        "per_second": round((len(latencies) - failures) / wall, 1),
        "median_ms": round(statistics.median(latencies) * 1e3, 1),
        "p95_ms": round(percentile(latencies, 95) * 1e3, 1),
    }


def _lookup_cost(samples: int = 15) -> dict[str, Any]:
    """The argon2id + HKDF + X25519 derivation one codename entry costs, at the production setting."""
    from corridor.intake import passphrases
    from corridor.keys import kdf

    salt = kdf.random_salt()
    codename = passphrases.generate(8)
    kdf.derive(codename, salt, kdf.OWASP_MINIMUM)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        kdf.derive(codename, salt, kdf.OWASP_MINIMUM)
        times.append(time.perf_counter() - started)
    return {
        "median_ms": round(statistics.median(times) * 1e3, 1),
        "params": "argon2id m=19 MiB t=2 p=1",
        "codename_bits": round(passphrases.entropy_bits(8), 1),
    }


def run(one_client: int = 200, four_clients: int = 100, eight_clients: int = 40) -> dict[str, Any]:
    data_dir = tempfile.mkdtemp(prefix="corridor-bench-intake-")
    env = _environment(data_dir)
    _corridor(env, "migrate", "--noinput", "-v", "0")
    _corridor(env, "collectstatic", "--noinput", "-v", "0")
    _corridor(env, "init", "--shares", "3", "--threshold", "2", "--no-qr")  # and stays sealed
    port = _free_port()
    log = open(Path(data_dir) / "serve.log", "wb")  # noqa: SIM115 -- open for the server's whole life
    server = subprocess.Popen(  # noqa: S603 -- our own interpreter and module, fixed arguments
        [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(port, server)
        _phase(port, 2, 3)  # warm up: load every worker's code paths
        status = _corridor(env, "status").splitlines()[0]
        results = {
            "instance": status,
            "one_client": _phase(port, 1, one_client),
            "four_clients": _phase(port, 4, four_clients),
            "eight_clients": _phase(port, 8, eight_clients),
            "codename_lookup": _lookup_cost(),
            "goal": ">= 40/s with 1 client, >= 60/s with 4 (2 cores), p95 <= 50 ms with 1 client, 0 failures with 8",
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    results["server_log"] = str(Path(data_dir) / "serve.log")
    return results


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("corridor serve exited during start-up")
        try:
            client = Client(port)
            status, _body = client.get("/healthz")
            client.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("corridor serve did not answer within 30 seconds")


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
