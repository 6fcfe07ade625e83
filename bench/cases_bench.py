"""The case list page (50 rows) at 1,000, 10,000 and 100,000 people under 16 concurrent clients, on the real server.

`corridor serve` (keyd + gunicorn) runs on a loopback port in a temporary instance filled
by `corridor demo --people N`; a caseworker's session is written to its database directly.
The page's throughput is a ratio to a minimal authenticated view (/api/v1/me/) measured
on the same server in the same run, on SQLite and PostgreSQL, with the web workers' memory.
Also: p95 of saving a person with every field.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import percentile

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 16
SAVE_GOAL_MS = 20.0

# Run inside the served instance's environment: a caseworker with a confirmed second
# factor, signed in the way corridor.accounts.testing.sign_in does (session epoch from keyd).
_SIGN_IN = """
import django
django.setup()
from django.conf import settings
from django.test import Client
from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff, sign_in
team = Team.objects.get(name="North Caucasus")
user = User.objects.filter(username="bench-caseworker").first() or make_staff(
    Role.CASEWORKER, teams=[team], username="bench-caseworker")
client = sign_in(Client(), user)
print(client.cookies[settings.SESSION_COOKIE_NAME].value)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _corridor(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 3600) -> str:
    result = subprocess.run(  # noqa: S603 -- our own interpreter and CLI
        [sys.executable, "-m", "corridor.cli", *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(f"corridor {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def _get(port: int, path: str, cookie: str = "") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _load(port: int, path: str, cookie: str, requests_per_client: int) -> dict[str, Any]:
    """CLIENTS threads, each with its own keep-alive connection, `requests_per_client` GETs each."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS + 1)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine: list[float] = []
        codes: list[int] = []
        barrier.wait()
        for _ in range(requests_per_client):
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            codes.append(response.status)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.close()
        with lock:
            latencies.extend(mine)
            for code in codes:
                statuses[code] = statuses.get(code, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "statuses": statuses,
        "median_ms": statistics.median(latencies) * 1e3,
        "p95_ms": percentile(latencies, 95) * 1e3,
        "throughput_rps": len(latencies) / wall,
    }


def _save_person_p95(samples: int = 300) -> dict[str, Any]:
    """domain.create_person with every field, in this process (in-process keyring, bench database)."""
    import datetime

    from corridor.accounts import domain as accounts_domain
    from corridor.accounts.models import Role
    from corridor.cases import domain

    team = accounts_domain.team_named(None, "Bench")
    actor, _token = accounts_domain.create_user(None, username="bench-saver", role=Role.CASEWORKER, teams=[team])

    def values(i: int) -> dict[str, Any]:
        return {
            "names": [
                {"name": f"Зелимхан Хасанов {i}", "kind": "legal"},
                {"name": f"Zelimkhan Khasanov {i}", "kind": "transliteration"},
                {"name": "Зелим", "kind": "used"},
            ],
            "birth_date": datetime.date(1990, 1 + i % 12, 1 + i % 28),
            "birth_precision": "exact",
            "documents_held": "international",
            "passport_expiry": datetime.date(2030, 6, 30),
            "contacts": [
                {"kind": "phone", "value": f"+7 000 {i:07d}", "note": ""},
                {"kind": "signal", "value": f"+7 000 {i + 1:07d}", "note": "after 20:00"},
                {"kind": "relative", "value": "двоюродная сестра, +7 000 555-00-00", "note": "trusted"},
            ],
            "location": "съёмная квартира, Подмосковье",
            "languages": ["ce", "ru"],
            "gender_identity": "man",
            "orientation": "gay",
        }

    for i in range(20):  # warm up
        domain.create_person(actor, **values(i))
    times = []
    for i in range(samples):
        started = time.perf_counter()
        domain.create_person(actor, **values(1_000 + i))
        times.append(time.perf_counter() - started)
    p95 = percentile(times, 95) * 1e3
    return {
        "samples": samples,
        "median_ms": round(statistics.median(times) * 1e3, 2),
        "p95_ms": round(p95, 2),
        "goal": f"p95 <= {SAVE_GOAL_MS} ms",
        "goal_met": p95 <= SAVE_GOAL_MS,
        "measures": "domain.create_person with all 10 encrypted and workflow person fields (not the region, kept only where an organisation chooses it in clear) (new data key, 3 blind indexes, audit entry, "
        "one transaction) on the bench instance's database with the in-process keyring",
    }


# The sizes of the one table (issue 15: flat from 1,000 to 100,000 people) and the databases;
# CORRIDOR_BENCH_CASES_PEOPLE / CORRIDOR_BENCH_CASES_DATABASES narrow a run ("1000,10000",
# "sqlite"). PostgreSQL runs in its own database, dropped and created for each size.
# CORRIDOR_BENCH_CASES_KEEP=DIR keeps each filled instance (DIR/<database>-<people>, and for
# PostgreSQL the database <name>_<people>) and measures it again in later runs instead of
# filling it anew (100,000 people take the best part of an hour to fill on a loaded machine);
# such a size says "populated_earlier" instead of "populate_seconds".
SIZES = (1_000, 10_000, 100_000)
DATABASES = ("sqlite", "postgresql")
PG_URL = "postgres://postgres@127.0.0.1:5432/h_a_bench"
_FILLED = "bench-filled"  # written once `corridor demo --people N` has finished
# The bench drops and creates only databases named like this (its own, never another's).
_OWN_DATABASE = re.compile(r"h_[a-z0-9]+_bench[a-z0-9_]*")


def _process_tree(root: int) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of `root` and every process below it."""
    table: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        table[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    below = {root}
    grew = True
    while grew:
        grew = False
        for pid, (parent, _cmd) in table.items():
            if parent in below and pid not in below:
                below.add(pid)
                grew = True
    return {pid: table[pid] for pid in below if pid in table}


def _web_workers(server_pid: int) -> list[int]:
    """The gunicorn worker processes under `corridor serve` (a gunicorn process whose parent is gunicorn)."""
    tree = _process_tree(server_pid)
    return sorted(pid for pid, (parent, cmd) in tree.items() if "gunicorn" in cmd and "gunicorn" in tree.get(parent, (0, ""))[1])


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak since the process started) of one process, in KiB."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def _pg_recreate(url: str) -> None:
    """Drop and create the bench's own PostgreSQL database (the name in `url`, never another)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not _OWN_DATABASE.fullmatch(name):
        raise RuntimeError(f"refusing to drop {name!r}: the case-list bench only drops its own database (h_<name>_bench...)")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # noqa: S608 -- checked name above
        admin.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 -- checked name above


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    statuses: dict[int, int] = {}
    for result in results:
        for code, count in result["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    return {
        "requests": sum(r["requests"] for r in results),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "median_ms": round(statistics.median(r["median_ms"] for r in results), 1),
        "p95_ms": round(statistics.median(r["p95_ms"] for r in results), 1),
        "throughput_rps": round(statistics.median(r["throughput_rps"] for r in results), 1),
    }


def _one_instance(
    database: str, people: int, list_requests: int, baseline_requests: int, rounds: int, existing: str | None = None
) -> dict[str, Any]:
    """Fill a new instance with `people`, serve it, and measure the list against /api/v1/me/.

    `existing`: the data directory of an SQLite instance already filled by `corridor demo
    --people N --seed 1` (migrated to today's schema first, kept afterwards), to save the fill.
    """
    figures: dict[str, Any] = {"people": people, "database": database}
    keep = os.environ.get("CORRIDOR_BENCH_CASES_KEEP", "")
    if keep and existing is None:
        existing = str(Path(keep) / f"{database}-{people}")
    filled = existing is not None and (Path(existing) / _FILLED).exists()
    data_dir = existing or tempfile.mkdtemp(prefix="corridor-bench-serve-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update({"CORRIDOR_DATA_DIR": data_dir, "CORRIDOR_INSECURE_HTTP": "1", "DJANGO_SETTINGS_MODULE": "corridor.settings"})
    if database == "postgresql":
        url = os.environ.get("CORRIDOR_BENCH_CASES_PG", PG_URL)
        if keep:
            url = f"{url}_{people}"
        if not filled:
            _pg_recreate(url)
        env["DATABASE_URL"] = url
    _corridor(env, "migrate", "--noinput", "-v", "0")
    _corridor(env, "collectstatic", "--noinput", "-v", "0")
    if not filled:
        started = time.perf_counter()
        _corridor(env, "demo", "--people", str(people), "--seed", "1")
        figures["populate_seconds"] = round(time.perf_counter() - started, 1)
        (Path(data_dir) / _FILLED).write_text(f"{people}\n")
    else:
        figures["populated_earlier"] = True

    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 -- our own interpreter and CLI
        [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("corridor serve did not start")
            time.sleep(0.2)
        shares = (Path(data_dir) / "DEMO-ONLY-unseal-shares.txt").read_text().split("\n")
        for share in shares[:3]:
            _corridor(env, "unseal", stdin=share + "\n")
        sign_in = subprocess.run(  # noqa: S603 -- our own interpreter, fixed script
            [sys.executable, "-c", _SIGN_IN], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT, check=True
        )
        cookie = f"sessionid={sign_in.stdout.strip().splitlines()[-1]}"
        pages = {"case_list": "/cases/", "baseline": "/api/v1/me/"}
        status = {name: _get(port, path, cookie)[0] for name, path in pages.items()}
        figures["page_status"] = status
        if status["case_list"] != 200:
            raise RuntimeError(f"/cases/ answered {status['case_list']}")
        for path in pages.values():  # warm every worker
            _load(port, path, cookie, 2)
        workers = _web_workers(server.pid)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in pages}
        per_client = {"case_list": list_requests, "baseline": baseline_requests}
        memory: list[dict[str, Any]] = []
        for _ in range(rounds):  # alternate, so drift on a shared machine hits both alike
            for name, path in pages.items():
                runs[name].append(_load(port, path, cookie, per_client[name]))
                if name == "case_list":
                    sample = {str(pid): _memory_kib(pid) for pid in workers}
                    memory.append(
                        {
                            "rss_mib": round(max(m.get("VmRSS", 0) for m in sample.values()) / 1024, 1),
                            "peak_mib": round(max(m.get("VmHWM", 0) for m in sample.values()) / 1024, 1),
                        }
                    )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        if existing is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    figures["case_list"] = _summary(runs["case_list"])
    figures["baseline_api_me"] = _summary(runs["baseline"])
    figures["throughput_ratio"] = round(figures["case_list"]["throughput_rps"] / figures["baseline_api_me"]["throughput_rps"], 3)
    figures["workers"] = len(workers)
    # Per round, after its case-list load: the largest worker's RSS now and its peak (VmHWM) so far.
    figures["worker_memory_by_round"] = memory
    return figures


def _sizes(default: tuple[Any, ...], variable: str) -> list[str]:
    chosen = os.environ.get(variable, "")
    return [item.strip() for item in chosen.split(",") if item.strip()] or [str(item) for item in default]


def run(list_requests: int = 4, baseline_requests: int = 20, rounds: int = 3) -> dict[str, Any]:
    """The case list at every size on every database, in one table.

    `list_requests` / `baseline_requests` GETs per client per round (the baseline is faster, so
    it gets more, for a comparable measuring time). The top-level figures (case_list,
    baseline_api_me, throughput_ratio, people) are SQLite at the largest size, as before.
    """
    figures: dict[str, Any] = {"save_person": _save_person_p95()}
    table: dict[str, dict[str, Any]] = {}
    for database in _sizes(DATABASES, "CORRIDOR_BENCH_CASES_DATABASES"):
        for people in (int(size) for size in _sizes(SIZES, "CORRIDOR_BENCH_CASES_PEOPLE")):
            print(f"bench: cases: {database}, {people} people ...", file=sys.stderr, flush=True)
            one = _one_instance(database, people, list_requests, baseline_requests, rounds)
            print(f"bench: cases: {json.dumps(one)}", file=sys.stderr, flush=True)  # kept even if a later size fails
            table.setdefault(database, {})[str(people)] = one
    figures.update(collect(table, list_requests, baseline_requests, rounds))
    return figures


def collect(table: dict[str, dict[str, Any]], list_requests: int = 4, baseline_requests: int = 20, rounds: int = 3) -> dict[str, Any]:
    """The suite's figures from the per-instance ones (database -> people -> figures)."""
    figures: dict[str, Any] = {"by_size": table}
    figures["table"] = [
        f"{database:10} {people:>7} people: list {one['case_list']['throughput_rps']:6.1f} req/s, "
        f"/api/v1/me/ {one['baseline_api_me']['throughput_rps']:6.1f} req/s, ratio {one['throughput_ratio']:.3f}, "
        f"list median {one['case_list']['median_ms']} ms, worker peak RSS "
        f"{' / '.join(str(m['peak_mib']) for m in one['worker_memory_by_round'])} MiB by round"
        for database, sizes in table.items()
        for people, one in sizes.items()
    ]
    headline = table.get("sqlite", {}).get(str(max(SIZES))) or next(iter(next(iter(table.values())).values()))
    for key in ("people", "populate_seconds", "page_status", "case_list", "baseline_api_me", "throughput_ratio"):
        if key in headline:
            figures[key] = headline[key]
    figures["measures"] = (
        f"{CLIENTS} concurrent keep-alive clients x {list_requests} (list) / {baseline_requests} (baseline) GETs, "
        f"{rounds} alternating rounds (medians of per-round median/p95/throughput); `corridor serve` defaults "
        "(2 gunicorn workers x 4 threads, keyd over its socket), a new instance per size and database filled by "
        "`corridor demo --people N --seed 1`; the list page reads the first 50 open cases visible to one caseworker "
        "(half of all cases) and writes one audit entry per view. Top-level case_list/baseline_api_me/throughput_ratio: "
        f"SQLite at {max(SIZES):,} people (as before); by_size: every size and database (the table); "
        "worker_memory_by_round: the largest gunicorn worker's VmRSS after each case-list round and its VmHWM peak"
    )
    return figures
