"""`make bench-load`: 50 concurrent users for 5 minutes against a 100,000-person PostgreSQL instance.

Prepares a fresh instance (its own data directory and PostgreSQL database, `corridor demo
--people N`), serves it with `corridor serve` as deployed (keyd + gunicorn, production
settings), unseals it with the trustees' shares, signs in caseworkers, relocation
coordinators and hotline operators, then runs locust (bench/load/locustfile.py, from
.venv-load) headless. Writes per-page request counts, failures, median and p95 into
bench/results.json under "load", with the workers' peak memory, and exits non-zero when any
request failed or the server logged an error: zero errors is the goal.

    python -m bench.load.run [--people 100000] [--users 50] [--seconds 300]

DATABASE_URL names the PostgreSQL server; the database `corridor_load` on it is dropped and
made again (never the one DATABASE_URL names). Without DATABASE_URL, the local server on
127.0.0.1:5432 is used.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results.json"
LOCUST = ROOT / ".venv-load" / "bin" / "locust"
DATABASE = "corridor_load"
MIN_FILL_SECONDS = 1

# Run inside the served instance's environment (same database and data directory): staff
# signed in as the real two-step sign-in leaves a session (corridor.accounts.testing.sign_in),
# and for each caseworker the cases of their team.
_ACCOUNTS = """
import json, random, django
django.setup()
from django.conf import settings
from django.test import Client
from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases.models import Case
rng = random.Random(1)
teams = list(Team.objects.order_by("name"))
def session(user):
    return sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value
out = {"session_cookie": settings.SESSION_COOKIE_NAME, "caseworkers": [], "coordinators": [], "hotline": []}
for team in teams:
    ids = [str(pk) for pk in Case.objects.filter(team=team).values_list("pk", flat=True)[:5000]]
    cases = rng.sample(ids, min(300, len(ids)))
    for n in range(5):
        user = make_staff(Role.CASEWORKER, teams=[team], username=f"load-cw-{team.pk}-{n}")
        out["caseworkers"].append({"session": session(user), "cases": cases})
for n in range(4):
    out["coordinators"].append({"session": session(make_staff(Role.RELOCATION, teams=teams, username=f"load-co-{n}"))})
for n in range(2):
    out["hotline"].append({"session": session(make_staff(Role.HOTLINE, teams=teams, username=f"load-ho-{n}"))})
print(json.dumps(out))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_urls() -> tuple[str, str]:
    """(the server's maintenance URL, the load database's URL)."""
    given = urllib.parse.urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    if given.scheme not in ("postgres", "postgresql"):
        raise SystemExit("bench-load needs PostgreSQL: DATABASE_URL must be postgres://…")
    return urllib.parse.urlunsplit(given._replace(path="/postgres")), urllib.parse.urlunsplit(given._replace(path=f"/{DATABASE}"))


def _recreate_database(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def _corridor(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 3600) -> str:
    result = subprocess.run(  # noqa: S603 -- our own interpreter and CLI
        [sys.executable, "-m", "corridor.cli", *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(f"corridor {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def _environment(data_dir: str, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update(
        {
            "CORRIDOR_DATA_DIR": data_dir,
            "DATABASE_URL": database_url,
            "CORRIDOR_INSECURE_HTTP": "1",
            "DJANGO_SETTINGS_MODULE": "corridor.settings",
            "CORRIDOR_INTAKE_MIN_FILL_SECONDS": str(MIN_FILL_SECONDS),
            # Every simulated person comes from 127.0.0.1 (as through an onion service): the
            # per-address and hourly limits would hold their requests, which is not what this
            # measures. They are tested in corridor/intake/tests/test_ratelimit.py.
            "CORRIDOR_INTAKE_SUBMITS_PER_HOUR": "0",
            "CORRIDOR_INTAKE_SUBMITS_PER_HOUR_PER_ADDRESS": "0",
        }
    )
    return env


def _wait_healthy(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:  # noqa: S310 -- loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("corridor serve did not start")


class _Memory:
    """Samples the resident memory of every process of the server, once a second."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak_kib: dict[str, int] = {}
        self.series: list[int] = []  # the largest worker's RSS at each sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _children(self) -> list[int]:
        found, todo = [], [self.root_pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            todo.extend(int(child) for child in children)
        return found

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            largest = 0
            for pid in self._children():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
                kind = "keyd" if "keyd" in command else "web"
                label = f"{kind}-{pid}"
                self.peak_kib[label] = max(self.peak_kib.get(label, 0), rss)
                if kind == "web":
                    largest = max(largest, rss)
            self.series.append(largest)

    def __enter__(self) -> _Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _read_stats(prefix: Path) -> dict[str, Any]:
    pages: dict[str, Any] = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8", newline="") as handle:  # noqa: PTH123
        for row in csv.DictReader(handle):
            pages[row["Name"] if row["Name"] != "Aggregated" else "all"] = {
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "median_ms": float(row["Median Response Time"] or 0),
                "p95_ms": float(row["95%"] or 0) if row["95%"] != "N/A" else None,
                "requests_per_second": round(float(row["Requests/s"] or 0), 2),
            }
    failures: list[dict[str, str]] = []
    with open(f"{prefix}_failures.csv", encoding="utf-8", newline="") as handle:  # noqa: PTH123
        failures = [{"page": r["Name"], "error": r["Error"][:300], "count": r["Occurrences"]} for r in csv.DictReader(handle)]
    return {"pages": pages, "failures": failures}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench-load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--no-write", action="store_true", help="print the figures, leave bench/results.json alone")
    args = parser.parse_args(argv)
    if not LOCUST.exists():
        raise SystemExit(f"{LOCUST} is missing: run `make bench-load`, which installs it")

    maintenance_url, database_url = _database_urls()
    _recreate_database(maintenance_url)
    data_dir = tempfile.mkdtemp(prefix="corridor-load-")
    env = _environment(data_dir, database_url)
    figures: dict[str, Any] = {"database": "postgresql", "people": args.people, "users": args.users, "seconds": args.seconds}
    started = time.perf_counter()
    _corridor(env, "migrate", "--noinput", "-v", "0")
    _corridor(env, "collectstatic", "--noinput", "-v", "0")
    print(f"bench-load: filling the instance with {args.people} people…", flush=True)
    _corridor(env, "demo", "--people", str(args.people), "--seed", "1")
    figures["populate_seconds"] = round(time.perf_counter() - started, 1)

    port = _free_port()
    log_path = Path(data_dir) / "serve.log"
    with open(log_path, "wb") as log:  # noqa: PTH123
        server = subprocess.Popen(  # noqa: S603 -- our own interpreter and CLI
            [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(port, server)
        shares = (Path(data_dir) / "DEMO-ONLY-unseal-shares.txt").read_text().split("\n")
        for share in shares[:3]:
            _corridor(env, "unseal", stdin=share + "\n")
        fixture = json.loads(
            subprocess.run(  # noqa: S603 -- our own interpreter, fixed script
                [sys.executable, "-c", _ACCOUNTS], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT, check=True
            ).stdout.strip().splitlines()[-1]
        )
        fixture |= {"intake_path": "/help/", "min_fill_seconds": MIN_FILL_SECONDS}
        fixture_path = Path(data_dir) / "load-fixture.json"
        fixture_path.write_text(json.dumps(fixture))
        fixture_path.chmod(0o600)
        prefix = Path(data_dir) / "locust"
        print(f"bench-load: {args.users} users for {args.seconds} s on http://127.0.0.1:{port}/ …", flush=True)
        with _Memory(server.pid) as memory:
            locust = subprocess.run(  # noqa: S603 -- the pinned locust of .venv-load
                [
                    str(LOCUST), "-f", str(ROOT / "bench" / "load" / "locustfile.py"), "--headless",
                    "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s",
                    "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary", "--stop-timeout", "30",
                ],
                env={**os.environ, "CORRIDOR_LOAD_FIXTURE": str(fixture_path)},
                capture_output=True,
                text=True,
                timeout=args.seconds + 300,
                check=False,
            )
        figures |= _read_stats(prefix)
        figures["locust_exit"] = locust.returncode
        thirds = [memory.series[i * len(memory.series) // 3 : (i + 1) * len(memory.series) // 3] for i in range(3)]
        figures["peak_rss_mib"] = {label: round(kib / 1024, 1) for label, kib in sorted(memory.peak_kib.items())}
        figures["largest_web_worker_peak_rss_mib_per_third"] = [round(max(t, default=0) / 1024, 1) for t in thirds]
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
    log_text = log_path.read_text(errors="replace")
    # A 5xx, a traceback, or gunicorn killing or losing a worker (which would show to locust only
    # as a dropped connection) counts as an error even when a retry hid it from the client.
    server_errors = ("Traceback", '" 500 ', '" 502 ', '" 503 ', '" 504 ', "WORKER TIMEOUT", "[CRITICAL]")
    figures["server_errors_logged"] = sum(1 for line in log_text.splitlines() if any(m in line for m in server_errors))
    if figures["server_errors_logged"]:
        kept = Path(tempfile.gettempdir()) / "corridor-load-serve.log"
        shutil.copyfile(log_path, kept)
        figures["server_log"] = str(kept)
    shutil.rmtree(data_dir, ignore_errors=True)

    total = figures["pages"].get("all", {})
    figures["errors"] = int(total.get("failures", 0)) + figures["server_errors_logged"]
    figures["goal"] = "zero errors; p95 per page reported (50 users, 5 minutes, 100,000 people, PostgreSQL)"
    figures["goal_met"] = figures["errors"] == 0 and total.get("requests", 0) > 0
    figures["measured_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    figures["machine"] = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}
    figures["measures"] = (
        "locust (bench/load/locustfile.py): caseworkers 5 : coordinators 2 : hotline 1 : people asking for help 3, "
        "each waiting 1-3 s (people 2-6 s) between actions; `corridor serve` defaults (2 gunicorn workers x 4 "
        "threads, keyd over its socket) on the same 2-core machine as locust; intake hourly limits off; a request whose "
        "kept-alive connection the server closed without an answer is sent again once, as browsers do"
    )
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if not args.no_write:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["load"] = figures
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        from bench import report

        report.write()  # docs/performance.md follows the figures
    return 0 if figures["goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
