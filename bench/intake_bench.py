"""Anonymous submissions through the real HTTP stack: `corridor serve` (keyd + gunicorn, 2 workers
x 4 threads) on loopback ports, fresh instances, UNSEALED (the passphrase pool fills only while
unsealed), the production argon2id cost; on SQLite, and on PostgreSQL when one is reachable.

Three servers' worth of figures, in one run, alternated so drift on a shared machine hits both:
- "minimal": the same server's smallest POST view that writes one row (bench.benchapp, served
  through bench.settings only) -- the baseline for the intake's POST at one client;
- "current": the committed HEAD's intake (the pool of pre-derived passphrases on), extracted
  with `git archive` like "today", so that files other people are editing are not measured;
- "today": the code of BASELINE_COMMIT (before issue 15's pool), extracted with `git archive`
  into a temporary directory and served by the same interpreter on another port.
Peak RSS (VmHWM) and RSS of every web worker are read from /proc after each phase.
Bounded: a fixed number of submissions per phase and a deadline for each; loopback only.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import percentile

ROOT = Path(__file__).resolve().parents[1]
# The commit before the passphrase pool (issue 15): "today's code" in the throughput goal.
BASELINE_COMMIT = "0c51ca69da927cae8494dd1060bf53624a6d5820"
MIN_FILL_SECONDS = 1
PHASE_DEADLINE_SECONDS = 90
# The paced one-client phase: a pause between submissions (back-to-back is the goal's figure;
# a person every 0.2 s is still far more than any intake sees, and shows the pool when it refills).
PACE_SECONDS = 0.2
_TOKEN = re.compile(r'name="token" value="([^"]+)"')
_CODENAME = re.compile(r'<ol class="codename"')
STORY = "Бенчмарк: что случилось, где я, как со мной связаться. " * 8
GOALS = {
    "one_client_vs_minimal": "intake POST median at 1 client vs a minimal POST view that writes one row (same server, same run) <= 3x",
    "four_clients_vs_today": "intake throughput at 4 clients vs today's code in the same run >= 1.3x",
    "worker_rss": "peak RSS of a web worker during the intake runs: reported; no growth across runs",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(data_dir: str, code: Path, settings_module: str, database_url: str | None) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("CORRIDOR_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "CORRIDOR_DATA_DIR": data_dir,
            "CORRIDOR_INSECURE_HTTP": "1",
            "DJANGO_SETTINGS_MODULE": settings_module,  # production KDF: no test settings
            "PYTHONPATH": str(code),  # the tree served, ahead of the editable install's
            "CORRIDOR_INTAKE_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS),
            # The limits are what this measures around, not what it measures: switched off.
            "CORRIDOR_INTAKE_SUBMITS_PER_HOUR": "0",
            "CORRIDOR_INTAKE_SUBMITS_PER_HOUR_PER_ADDRESS": "0",
            "CORRIDOR_INTAKE_LOGINS_PER_HOUR": "0",
            "CORRIDOR_INTAKE_LOGINS_PER_HOUR_PER_ADDRESS": "0",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _run(env: dict[str, str], code: Path, args: list[str], stdin: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603 -- our own interpreter and module, fixed arguments
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, cwd=code, check=False, input=stdin
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed: {result.stderr[-2000:]}")
    return result.stdout


@dataclass
class Server:
    """One fresh instance of the code in `code`, served by `corridor serve` and unsealed."""

    name: str
    code: Path
    settings_module: str
    database_url: str | None
    data_dir: str = ""
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Any = None

    def start(self) -> None:
        self.data_dir = tempfile.mkdtemp(prefix=f"corridor-bench-intake-{self.name}-")
        self.env = _environment(self.data_dir, self.code, self.settings_module, self.database_url)
        cli = ["-m", "corridor.cli"]
        _run(self.env, self.code, [*cli, "migrate", "--noinput", "-v", "0"])
        _run(self.env, self.code, [*cli, "collectstatic", "--noinput", "-v", "0"])
        if self.settings_module == "bench.settings":
            _run(self.env, self.code, ["-c", "import django; django.setup(); from bench.benchapp.models import create_tables; create_tables()"])
        init = _run(self.env, self.code, [*cli, "init", "--shares", "3", "--threshold", "2", "--no-qr"])
        shares = [line for line in init.splitlines() if line.startswith("share ")]
        self.port = _free_port()
        self.log = open(Path(self.data_dir) / "serve.log", "wb")  # noqa: SIM115 -- open for the server's whole life
        self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module, fixed arguments
            [sys.executable, *cli, "serve", "--bind", f"127.0.0.1:{self.port}", "--no-scheduler"],
            env=self.env,
            cwd=self.code,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        _wait_until_up(self.port, self.process)
        for share in shares[:2]:
            _run(self.env, self.code, [*cli, "unseal"], stdin=share + "\n")
        status = _run(self.env, self.code, [*cli, "status"]).splitlines()[0]
        if status != "unsealed":
            raise RuntimeError(f"{self.name}: the instance did not unseal ({status})")

    def stop(self, failed: bool = False) -> None:
        if failed and self.data_dir and (Path(self.data_dir) / "serve.log").exists():
            tail = (Path(self.data_dir) / "serve.log").read_bytes()[-4000:].decode(errors="replace")
            print(f"--- {self.name} server's log (last lines) ---\n{tail}", file=sys.stderr)
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log is not None:
            self.log.close()
        if self.database_url:
            _drop_database(self.database_url)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def workers(self) -> list[int]:
        """gunicorn's worker processes: grandchildren of `corridor serve` whose parent runs gunicorn."""
        if self.process is None:
            return []
        children = _children(self.process.pid)
        masters = [pid for pid in children if b"gunicorn" in _cmdline(pid)]
        return sorted(pid for master in masters for pid in _children(master))

    def memory(self) -> dict[str, int]:
        """Per worker, peak RSS (VmHWM) and RSS now (VmRSS), in KiB."""
        out: dict[str, int] = {}
        for index, pid in enumerate(self.workers()):
            status = _proc_status(pid)
            out[f"worker{index}_peak_kib"] = status.get("VmHWM", 0)
            out[f"worker{index}_rss_kib"] = status.get("VmRSS", 0)
        return out


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _proc_status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                name, value = line.split(":", 1)
                values[name] = int(value.split()[0])
    return values


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


def _minimal(client: Client, index: int) -> tuple[bool, float]:
    started = time.perf_counter()
    try:
        status, body = client.post("/bench/minimal/", {"name": f"Бенчмарк {index}"})
    except (OSError, http.client.HTTPException):
        return False, time.perf_counter() - started
    return status == 200 and body == "ok", time.perf_counter() - started


def _phase(port: int, clients: int, per_client: int, *, minimal: bool = False, pace: float = 0.0) -> dict[str, Any]:
    """`clients` threads, each posting `per_client` forms fetched (and aged) beforehand.

    The token fetching and the wait before the burst leave the server idle for a moment, as
    between people; the pool refills then (at most its size per worker).
    """
    if minimal:
        tokens = [[str(i) for i in range(per_client)] for _ in range(clients)]
    else:
        fetcher = Client(port)
        tokens = [[fetcher.token() for _ in range(per_client)] for _ in range(clients)]
        fetcher.close()
    time.sleep(MIN_FILL_SECONDS + 0.5)  # the form refuses posts faster than a person could write
    sessions = [Client(port) for _ in range(clients)]
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
    barrier = threading.Barrier(clients + 1)

    def work(index: int) -> None:
        nonlocal failures
        barrier.wait()
        for number, token in enumerate(tokens[index]):
            if time.monotonic() > deadline:
                break
            if pace and number:
                time.sleep(pace)  # a pause between people: the server is idle for a moment
            ok, elapsed = _minimal(sessions[index], number) if minimal else _submit(sessions[index], token)
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
        **({"pause_s": pace} if pace else {}),
        "submissions": len(latencies),
        "failures": failures,
        "per_second": round((len(latencies) - failures) / wall, 1),
        "median_ms": round(statistics.median(latencies) * 1e3, 2),
        "p95_ms": round(percentile(latencies, 95) * 1e3, 2),
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


def _head() -> str:
    return subprocess.run(  # noqa: S603 -- fixed arguments
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, check=True, text=True, timeout=30  # noqa: S607
    ).stdout.strip()


def _tree(commit: str, name: str) -> Path:
    """A commit's files (git archive) in a temporary directory; the same interpreter serves it.

    The committed tree, not the checkout: files being edited in the checkout are not measured.
    """
    archive = subprocess.run(  # noqa: S603 -- fixed arguments
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True, timeout=120  # noqa: S607
    ).stdout
    target = Path(tempfile.mkdtemp(prefix=f"corridor-bench-{name}-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


# -- PostgreSQL: a database of our own per server, dropped at the end -------------------------


def _postgres_base() -> str | None:
    """A PostgreSQL URL to make databases with: BENCH_POSTGRES_URL, a postgres DATABASE_URL, or none."""
    for name in ("BENCH_POSTGRES_URL", "DATABASE_URL"):
        value = os.environ.get(name, "")
        if value.startswith(("postgres://", "postgresql://")):
            return value
    return None


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]  # a fixed statement with our own identifier


def _create_database(base: str, name: str) -> str:
    _admin(base, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(base, f'CREATE DATABASE "{name}"')
    return _with_database(base, name)


def _drop_database(url: str) -> None:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with contextlib.suppress(Exception):
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the run -----------------------------------------------------------------------------------


def _backend(
    label: str, current_tree: Path, today_tree: Path, postgres: str | None, rounds: int, sizes: dict[str, int]
) -> dict[str, Any]:
    suffix = f"{os.getpid()}"
    current = Server(
        "current", current_tree, "bench.settings", _create_database(postgres, f"h_intake_bench_current_{suffix}") if postgres else None
    )
    today = Server(
        "today", today_tree, "corridor.settings", _create_database(postgres, f"h_intake_bench_today_{suffix}") if postgres else None
    )
    memory: list[dict[str, Any]] = []
    failed = True
    try:
        current.start()
        today.start()
        for server in (current, today):
            _phase(server.port, 2, 4)  # warm up: load every worker's code paths
        _phase(current.port, 2, 4, minimal=True)
        memory.append({"after": "warm-up", **current.memory()})
        minimal_runs, one_runs, one_today_runs, four_runs, four_today_runs = [], [], [], [], []
        paced_runs, paced_today_runs = [], []
        for _round in range(rounds):
            minimal_runs.append(_phase(current.port, 1, sizes["minimal"], minimal=True))
            one_runs.append(_phase(current.port, 1, sizes["one"]))
            memory.append({"after": f"one client, round {_round + 1}", **current.memory()})
            one_today_runs.append(_phase(today.port, 1, sizes["one"]))
            paced_runs.append(_phase(current.port, 1, sizes["paced"], pace=PACE_SECONDS))
            paced_today_runs.append(_phase(today.port, 1, sizes["paced"], pace=PACE_SECONDS))
            four_today_runs.append(_phase(today.port, 4, sizes["four"]))
            four_runs.append(_phase(current.port, 4, sizes["four"]))
            memory.append({"after": f"four clients, round {_round + 1}", **current.memory()})
        eight = _phase(current.port, 8, sizes["eight"])
        memory.append({"after": "eight clients", **current.memory()})
        today_memory = today.memory()
        failed = False
    finally:
        current.stop(failed)
        today.stop(failed)
    minimal_median = statistics.median(r["median_ms"] for r in minimal_runs)
    one_median = statistics.median(r["median_ms"] for r in one_runs)
    four_rate = statistics.median(r["per_second"] for r in four_runs)
    four_today_rate = statistics.median(r["per_second"] for r in four_today_runs)
    peaks = [value for row in memory for key, value in row.items() if key.endswith("_peak_kib")]
    # Growth across runs: the same phase (four clients) in the first round and in the last.
    after_four = [row for row in memory if str(row["after"]).startswith("four clients")]
    first_rss = [value for key, value in after_four[0].items() if key.endswith("_rss_kib")]
    last_rss = [value for key, value in after_four[-1].items() if key.endswith("_rss_kib")]
    return {
        "database": label,
        "instance": "unsealed",
        "minimal_post_one_client": minimal_runs,
        "intake_one_client": one_runs,
        "intake_one_client_today": one_today_runs,
        "intake_one_client_paced": paced_runs,
        "intake_one_client_paced_today": paced_today_runs,
        "intake_four_clients": four_runs,
        "intake_four_clients_today": four_today_runs,
        "intake_eight_clients": eight,
        "one_client_vs_minimal": round(one_median / minimal_median, 2),
        "one_client_today_vs_minimal": round(statistics.median(r["median_ms"] for r in one_today_runs) / minimal_median, 2),
        "one_client_paced_vs_minimal": round(statistics.median(r["median_ms"] for r in paced_runs) / minimal_median, 2),
        "one_client_paced_today_vs_minimal": round(
            statistics.median(r["median_ms"] for r in paced_today_runs) / minimal_median, 2
        ),
        "four_clients_vs_today": round(four_rate / four_today_rate, 2),
        "worker_memory": memory,
        "worker_memory_today_at_end": today_memory,
        "worker_peak_rss_mib": round(max(peaks) / 1024, 1) if peaks else None,
        "worker_rss_growth_first_to_last_round_mib": round((max(last_rss) - max(first_rss)) / 1024, 1) if first_rss and last_rss else None,
    }


def run(
    rounds: int = 3, minimal: int = 100, one: int = 50, paced: int = 25, four: int = 40, eight: int = 20
) -> dict[str, Any]:
    sizes = {"minimal": minimal, "one": one, "paced": paced, "four": four, "eight": eight}
    head = _head()
    current_tree, today_tree = _tree(head, "current"), _tree(BASELINE_COMMIT, "today")
    results: dict[str, Any] = {
        "goal": GOALS,
        "current": f"commit {head[:12]} (HEAD when run), git archive",
        "today": f"commit {BASELINE_COMMIT[:12]} (before the pool), git archive, served beside it in the same run",
        "rounds": rounds,
    }
    try:
        results["sqlite"] = _backend("sqlite", current_tree, today_tree, None, rounds, sizes)
        postgres = _postgres_base()
        if postgres:
            results["postgresql"] = _backend("postgresql", current_tree, today_tree, postgres, rounds, sizes)
        else:
            results["postgresql"] = "not measured: set BENCH_POSTGRES_URL (or a postgres DATABASE_URL)"
        results["codename_lookup"] = _lookup_cost()
    finally:
        shutil.rmtree(current_tree, ignore_errors=True)
        shutil.rmtree(today_tree, ignore_errors=True)
    return results


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
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
    raise RuntimeError("corridor serve did not answer within 60 seconds")


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))
