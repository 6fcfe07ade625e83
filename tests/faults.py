"""A real `corridor serve` that the fault tests may kill, restart and starve.

The instance runs on the suite's database engine: SQLite in its own data directory, or, when
DATABASE_URL names PostgreSQL, a database of its own next to the suite's (`<name>_faults_<worker>`),
created here and dropped afterwards. The server runs in a process group of its own, so a test
can kill -9 gunicorn's master, its workers and keyd at once, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.serving import ROOT, Browser, corridor, free_port


def http(url: str, *, data: dict[str, Any] | None = None, token: str = "", timeout: float = 10) -> tuple[int, dict[str, str], str]:
    """One request: status, headers and body; a refused or cut connection raises OSError."""
    headers = {"Accept": "application/json"}
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 -- loopback test server
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 -- loopback test server
            return int(response.status), dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), dict(exc.headers), exc.read().decode(errors="replace")


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _admin_connect(url: str) -> Any:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password or "") or None,
        dbname="postgres",
        autocommit=True,
    )


def pg_execute(url: str, *statements: str) -> None:
    """Run statements on the maintenance database `postgres` of the cluster in `url`."""
    with _admin_connect(url) as connection:
        for statement in statements:
            connection.execute(statement)


@dataclass
class Instance:
    """An initialised instance and, while `start()`ed, its `corridor serve`."""

    env: dict[str, str]
    data_dir: Path
    shares: list[str]
    log: Path
    database: str | None = None  # the PostgreSQL database's name, when on PostgreSQL
    admin_url: str | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    keyd: subprocess.Popen[bytes] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_keyd(self) -> None:
        """keyd on its own, as its systemd unit runs it (then `start(keyd=False)`)."""
        with self.log.open("ab") as out:
            self.keyd = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
                [sys.executable, "-m", "corridor.cli", "keyd"], env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        socket_path = self.data_dir / "run" / "keyd.sock"
        deadline = time.monotonic() + 60
        while self.keyd_status_or_none() is None:
            assert self.keyd.poll() is None and time.monotonic() < deadline, self.log.read_text(errors="replace")[-3000:]
            time.sleep(0.1)
        assert socket_path.exists()

    def kill_keyd(self) -> None:
        assert self.keyd is not None
        os.killpg(self.keyd.pid, signal.SIGKILL)
        self.keyd.wait(timeout=10)
        self.keyd = None

    def start(self, *, workers: int = 2, threads: int = 4, keyd: bool = True, migrated: bool = False) -> None:
        self.port = self.port or free_port()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
                [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", str(workers), "--threads", str(threads), "--no-scheduler", *([] if keyd else ["--no-keyd"])],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: serve, keyd, gunicorn's master and workers
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if http(self.base + "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None and MIGRATE_FIRST in self.log.read_text(errors="replace")[-3000:] and not migrated:
                # A migration landed in the working tree after the template was made (the tree
                # is shared while it is being written): apply it, as an operator would, and go on.
                result = corridor(self.env, "migrate", "--noinput", "-v", "0", timeout=600)
                assert result.returncode == 0, result.stderr
                self.start(workers=workers, threads=threads, keyd=keyd, migrated=True)
                return
            assert self.process.poll() is None and time.monotonic() < deadline, self.log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)

    def keyd_status_or_none(self) -> str | None:
        """'sealed' or 'unsealed', asked of this instance's keyd; None when it does not answer."""
        from corridor.keys.client import KeydClient
        from corridor.keys.errors import KeyServiceUnavailable

        try:
            return "sealed" if KeydClient(self.data_dir / "run" / "keyd.sock", timeout=5).status().sealed else "unsealed"
        except KeyServiceUnavailable:
            return None

    def keyd_status(self) -> str:
        """'sealed' or 'unsealed' ('sealed' when keyd is not running, as `corridor status` says)."""
        return self.keyd_status_or_none() or "sealed"

    def unseal(self) -> None:
        """Two trustees enter their shares on the unseal page, as they would in a browser."""
        path = "/" + (self.data_dir / "unseal_path").read_text().strip()
        for share in self.shares[:2]:
            browser = Browser(self.base)
            deadline = time.monotonic() + 30
            while True:
                status, _page = browser.submit(path, {"share": share})
                if status == 200:
                    break
                # keyd may still be binding its socket after a restart.
                assert time.monotonic() < deadline, (status, _page[:2000])
                time.sleep(0.3)
        assert self.keyd_status() == "unsealed"

    def kill(self) -> None:
        """kill -9 of the whole `corridor serve` process group, then wait until it is gone."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _group_alive(self.process.pid):
            assert time.monotonic() < deadline, "processes of the killed group are still running"
            time.sleep(0.05)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def shell(self, code: str, timeout: float = 120) -> str:
        """Run Python in `corridor shell` against this instance (its keyd, its database); its stdout."""
        result = corridor(self.env, "shell", "-c", code, timeout=timeout)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def destroy(self) -> None:
        self.stop()
        if self.keyd is not None and self.keyd.poll() is None:
            os.killpg(self.keyd.pid, signal.SIGKILL)
            self.keyd.wait(timeout=10)
        if self.database and self.admin_url:
            pg_execute(self.admin_url, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.log.unlink(missing_ok=True)  # a failing assertion already quoted its end


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    # Zombies of the group count as gone: they hold no files and answer nothing.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


SETUP = """
import json
from corridor.accounts import domain as accounts
from corridor.accounts.models import Role
from corridor.cases.domain.cases import create_person_with_case
team = accounts.create_team(None, "Faults")
user, _ = accounts.create_user(None, username="writer", role=Role.CASEWORKER, teams=[team])
person, case = create_person_with_case(user, team=team, names=[{"name": "Faults Person"}])
token = accounts.create_api_token(None, user, "faults")
print(json.dumps({"case": str(case.pk), "reference": case.reference, "token": token, "team": team.pk}))
"""


MIGRATE_FIRST = "is not set up or not up to date: run `corridor migrate` first"
_TEMPLATE: dict[str, Any] = {}  # this test process's migrated, initialised instance, copied for each test


def _clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CORRIDOR_", "DJANGO_")) and key != "DATABASE_URL"}
    env.update({"CORRIDOR_INSECURE_HTTP": "1", "DJANGO_SETTINGS_MODULE": "corridor.settings"})
    return env


def _database_name(name: str) -> str:
    url = postgres_url()
    assert url is not None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base_name = urllib.parse.urlsplit(url).path.lstrip("/") or "corridor"
    return f"{base_name}_{name}_{worker}".lower().replace("-", "_")


def _with_database(url: str, database: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + database))


def _template() -> dict[str, Any]:
    """Migrate and `corridor init` once per test process (minutes on a busy machine); tests copy it."""
    if _TEMPLATE:
        return _TEMPLATE
    data_dir = Path(tempfile.mkdtemp(prefix="corridor-faults-template-"))
    env = dict(_clean_env(), CORRIDOR_DATA_DIR=str(data_dir))
    url = postgres_url()
    database = None
    if url is not None:
        database = _database_name("faults_template")
        pg_execute(url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"')
        env["DATABASE_URL"] = _with_database(url, database)
    for args in (("migrate", "--noinput", "-v", "0"), ("collectstatic", "--noinput", "-v", "0")):
        result = corridor(env, *args, timeout=600)
        assert result.returncode == 0, result.stderr
    init = corridor(env, "init", "--shares", "3", "--threshold", "2", "--no-qr")
    assert init.returncode == 0, init.stderr
    # The pins `init` prints, set as the deployment documents (deploy/): the web checks keyd against them.
    pins = dict(
        line.strip().split("=", 1) for line in init.stdout.splitlines() if re.match(r"\s*CORRIDOR_(AUDIT_KEY_FINGERPRINT|INTAKE_RECIPIENT)=", line)
    )
    assert set(pins) == {"CORRIDOR_AUDIT_KEY_FINGERPRINT", "CORRIDOR_INTAKE_RECIPIENT"}, init.stdout
    _TEMPLATE.update(
        data_dir=data_dir,
        database=database,
        shares=[line for line in init.stdout.splitlines() if line.startswith("share ")],
        pins=pins,
    )
    atexit.register(_drop_template)
    return _TEMPLATE


def _drop_template() -> None:
    url = postgres_url()
    if url is not None and _TEMPLATE.get("database"):
        pg_execute(url, f'DROP DATABASE IF EXISTS "{_TEMPLATE["database"]}" WITH (FORCE)')
    shutil.rmtree(_TEMPLATE["data_dir"], ignore_errors=True)


def make_instance(name: str) -> Instance:
    """A migrated, initialised instance (not running) on the suite's database engine."""
    template = _template()
    data_dir = Path(tempfile.mkdtemp(prefix=f"corridor-{name}-"))
    shutil.copytree(template["data_dir"], data_dir, dirs_exist_ok=True, symlinks=True)
    data_dir.chmod(0o700)
    env = dict(_clean_env(), CORRIDOR_DATA_DIR=str(data_dir), **template["pins"])
    instance = Instance(env=env, data_dir=data_dir, shares=list(template["shares"]), log=data_dir.parent / f"{data_dir.name}.log")
    url = postgres_url()
    if url is not None:
        instance.database = _database_name(name)
        instance.admin_url = url
        pg_execute(
            url,
            f'DROP DATABASE IF EXISTS "{instance.database}" WITH (FORCE)',
            f'CREATE DATABASE "{instance.database}" TEMPLATE "{template["database"]}"',
        )
        env["DATABASE_URL"] = _with_database(url, instance.database)
    return instance


def set_up_writer(instance: Instance) -> dict[str, Any]:
    """A team, a caseworker with an API token, and a case of theirs (the instance must be unsealed)."""
    lines = instance.shell(SETUP).strip().splitlines()
    return dict(json.loads(lines[-1]))
