"""The units in deploy/systemd, read and run under a throwaway root on loopback (no systemd).

What systemd would do for them is done here by hand, and only that: the environment file and
Environment= lines, RuntimeDirectory= with its mode, ExecStartPre=, then ExecStart=. The
paths of a real install (/opt/corridor, /var/lib/corridor, /run/corridor-keyd, /etc/corridor)
and the web port are replaced by the test's own; nothing else in the command lines changes.
"""

from __future__ import annotations

import grp
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.serving import ROOT, free_port

DEPLOY = ROOT / "deploy"
UNITS = ("corridor-keyd", "corridor-web", "corridor-worker")


def read_unit(path: Path) -> dict[str, list[str]]:
    """`[Service]` of a unit file: every key with all its values, in order (keys may repeat)."""
    values: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service":
            key, _sep, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


@dataclass
class Root:
    """A throwaway root: one node's data, runtime and configuration directories, and its port."""

    base: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.base / "var-lib-corridor"

    @property
    def run_dir(self) -> Path:
        return self.base / "run-corridor-keyd"

    @property
    def etc(self) -> Path:
        return self.base / "etc-corridor"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def substitute(self, text: str) -> str:
        group = grp.getgrgid(os.getegid()).gr_name
        for old, new in (
            ("/opt/corridor/.venv/bin/corridor", f"{sys.executable} -m corridor.cli"),
            ("/opt/corridor/.venv/bin/python", sys.executable),
            ("/opt/corridor", str(ROOT)),
            ("/var/lib/corridor", str(self.data_dir)),
            ("/run/corridor-keyd", str(self.run_dir)),
            ("/etc/corridor", str(self.etc)),
            ("127.0.0.1:8000", f"127.0.0.1:{self.port}"),
            ("/bin/chgrp corridor ", f"/bin/chgrp {group} "),
        ):
            text = text.replace(old, new)
        return text

    def prepare(self, env_overrides: dict[str, str]) -> None:
        """What docs/operators/deploy.md has the operator do before the first start."""
        self.data_dir.mkdir(parents=True, mode=0o700)
        self.etc.mkdir(mode=0o700)
        (self.etc / "secret_key").write_text(os.urandom(48).hex() + "\n")
        env = read_env_file(DEPLOY / "corridor.env.example")
        env = {key: self.substitute(value) for key, value in env.items()}
        # A test has no certificate: it plays the proxy (X-Forwarded-Proto, Host) itself.
        env["CORRIDOR_ALLOWED_HOSTS"] = "corridor.example.org,localhost,127.0.0.1"
        env.update(env_overrides)
        if self.database_url is None:
            env.pop("DATABASE_URL")
        else:
            env["DATABASE_URL"] = self.database_url
        self.write_env(env)

    def write_env(self, env: dict[str, str]) -> None:
        (self.etc / "corridor.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))

    def env(self, unit: str | None = None) -> dict[str, str]:
        """The environment systemd would give the unit (or a shell with the env file sourced)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DJANGO_")) and k != "DATABASE_URL"}
        env["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
        service = (
            read_unit(DEPLOY / "systemd" / f"{unit}.service") if unit else {"EnvironmentFile": ["/etc/corridor/corridor.env"]}
        )
        for path in service.get("EnvironmentFile", []):
            env.update(read_env_file(Path(self.substitute(path))))
        for assignment in service.get("Environment", []):
            key, _sep, value = assignment.partition("=")
            env[key] = self.substitute(value)
        if unit is None:
            env["CORRIDOR_KEYRING"] = str(self.run_dir / "keyd.sock")
        if unit == "corridor-keyd":
            # keyd answers the web user only. Here both are this user, so name a second one too:
            # keyd then runs exactly as under two users (a group-shared directory, uid checks).
            env["CORRIDOR_KEYD_ALLOW_USERS"] = f"{os.geteuid()},65534"
        return env

    def corridor(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 -- our own interpreter and module
            [sys.executable, "-m", "corridor.cli", *args],
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )

    def start(self, unit: str) -> None:
        service = read_unit(DEPLOY / "systemd" / f"{unit}.service")
        for directory in service.get("RuntimeDirectory", []):
            assert directory == "corridor-keyd"
            mode = int(service["RuntimeDirectoryMode"][0], 8)
            self.run_dir.mkdir(mode=mode)
            os.chmod(self.run_dir, mode)
        env = self.env(unit)
        cwd = self.substitute(service["WorkingDirectory"][0])
        for command in service.get("ExecStartPre", []):
            argv = shlex.split(self.substitute(command.lstrip("+-@:!")))
            subprocess.run(argv, env=env, cwd=cwd, check=True, timeout=30)  # noqa: S603 -- the unit's own command
        (argv,) = [shlex.split(self.substitute(command)) for command in service["ExecStart"]]
        log = (self.base / f"{unit}.log").open("w")
        self.processes[unit] = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True)  # noqa: S603

    def wait_for_web(self, timeout: float = 150) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["corridor-web"].poll() is not None:
                raise AssertionError(self.log("corridor-web"))
            try:
                if get(self.url + "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(self.log("corridor-web"))

    def wait_for_socket(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not (self.run_dir / "keyd.sock").exists():
            if self.processes["corridor-keyd"].poll() is not None or time.monotonic() > deadline:
                raise AssertionError(self.log("corridor-keyd"))
            time.sleep(0.05)

    def log(self, unit: str) -> str:
        return (self.base / f"{unit}.log").read_text()

    def stop(self) -> dict[str, int | None]:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {}
        for unit, process in self.processes.items():
            try:
                codes[unit] = process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[unit] = None
        return codes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is the answer under test, not something to follow


_OPENER = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """GET as the reverse proxy would pass it on: TLS ended, the public host name."""
    sent = {"Host": "corridor.example.org", "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    sent.update(headers or {})
    request = urllib.request.Request(url, headers=sent)  # noqa: S310 -- loopback test server
    try:
        with _OPENER.open(request, timeout=10) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")


def init(root: Root) -> list[str]:
    """`corridor init` as the deploy guide runs it; the pins it prints go into the env file."""
    result = root.corridor("init", "--shares", "3", "--threshold", "2", "--no-qr")
    assert result.returncode == 0, result.stderr
    shares = [line for line in result.stdout.splitlines() if line.startswith("share ")]
    pins = {}
    for line in result.stdout.splitlines():
        for name in ("CORRIDOR_AUDIT_KEY_FINGERPRINT", "CORRIDOR_INTAKE_RECIPIENT"):
            if line.strip().startswith(name + "="):
                pins[name] = line.strip().split("=", 1)[1]
    assert set(pins) == {"CORRIDOR_AUDIT_KEY_FINGERPRINT", "CORRIDOR_INTAKE_RECIPIENT"}, result.stdout
    env = read_env_file(root.etc / "corridor.env")
    env.update(pins)
    root.write_env(env)
    return shares
