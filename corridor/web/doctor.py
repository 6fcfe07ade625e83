"""`corridor doctor`: what a running deployment gets wrong, one line each, with what to fix.

Every check is a small function over what it reads (a path, a value), so that tests give it a
fake /proc or a temporary directory; the command (web/management/commands/doctor.py) wires
them to the real ones. Plain English: this is for the operator at a shell, not for staff.
"""

from __future__ import annotations

import datetime
import enum
import http.client
import ipaddress
import re
import socket
import ssl
import stat
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class Level(enum.IntEnum):
    OK = 0
    WARN = 1
    FAIL = 2


@dataclass(frozen=True)
class Finding:
    level: Level
    check: str
    message: str

    def line(self) -> str:
        return f"{self.level.name:<4}  {self.check}: {self.message}"


def ok(check: str, message: str) -> Finding:
    return Finding(Level.OK, check, message)


def warn(check: str, message: str) -> Finding:
    return Finding(Level.WARN, check, message)


def fail(check: str, message: str) -> Finding:
    return Finding(Level.FAIL, check, message)


# -- settings -------------------------------------------------------------------------------------

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def check_debug(debug: bool) -> Finding:
    if debug:
        return fail("settings", "CORRIDOR_DEBUG is on: error pages show settings and data; remove it")
    return ok("settings", "DEBUG is off")


def check_insecure_http(insecure_http: bool, allowed_hosts: Collection[str]) -> Finding:
    if not insecure_http:
        return ok("settings", "plain HTTP is refused (CORRIDOR_INSECURE_HTTP off)")
    if allowed_hosts and all(host.endswith(".onion") or host in _LOCAL_HOSTS for host in allowed_hosts):
        return warn("settings", "CORRIDOR_INSECURE_HTTP is on: right only for an instance reached through Tor alone")
    return fail("settings", "CORRIDOR_INSECURE_HTTP is on for a public host name: remove it and serve over TLS")


def check_secret_key(secret_key: str) -> Finding:
    # Django's own rule for check --deploy (security.W009), stated here so doctor says why.
    if secret_key.startswith("django-insecure-") or len(secret_key) < 50 or len(set(secret_key)) < 5:
        return fail("settings", "the secret key is weak: set CORRIDOR_SECRET_KEY_FILE to a file of 64 random characters")
    return ok("settings", "the secret key is long and random-looking")


def check_allowed_hosts(allowed_hosts: Collection[str]) -> Finding:
    hosts = [host.strip() for host in allowed_hosts if host.strip()]
    if not hosts:
        return fail("settings", "CORRIDOR_ALLOWED_HOSTS is empty: every request is refused; list your host name")
    if any(host in ("*", ".") or host.startswith("*") for host in hosts):
        return fail("settings", "CORRIDOR_ALLOWED_HOSTS accepts any host: list your host names only")
    if all(host in _LOCAL_HOSTS for host in hosts):
        return warn("settings", "CORRIDOR_ALLOWED_HOSTS names only this machine: add the public (or .onion) name")
    return ok("settings", f"allowed hosts: {', '.join(hosts)}")


def check_pins(fingerprint: str | None, recipient: str | None) -> list[Finding]:
    found = []
    if not _FINGERPRINT.fullmatch(fingerprint or ""):
        found.append(fail("pins", "CORRIDOR_AUDIT_KEY_FINGERPRINT is missing or malformed: copy it from `corridor init`"))
    else:
        found.append(ok("pins", "CORRIDOR_AUDIT_KEY_FINGERPRINT is set"))
    if not _RECIPIENT.fullmatch(recipient or ""):
        found.append(fail("pins", "CORRIDOR_INTAKE_RECIPIENT is missing or malformed: copy it from `corridor init`"))
    else:
        found.append(ok("pins", "CORRIDOR_INTAKE_RECIPIENT is set"))
    return found


# -- TLS ------------------------------------------------------------------------------------------


def check_tls(url: str, *, cafile: str | None = None, timeout: float = 10.0) -> Finding:
    """The public URL answers over HTTPS with a certificate valid for its name."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return fail("tls", f"{url} is not an https:// address: staff must reach Corridor over TLS")
    context = ssl.create_default_context(cafile=cafile)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    try:
        connection.request("HEAD", parts.path or "/", headers={"Host": parts.netloc})
        status = connection.getresponse().status
    except ssl.SSLCertVerificationError as exc:
        return fail("tls", f"{parts.netloc}: the certificate is not valid ({exc.verify_message}); renew or fix it")
    except (OSError, http.client.HTTPException) as exc:
        return fail("tls", f"{parts.netloc} does not answer over HTTPS ({type(exc).__name__}: {exc}); is the proxy running?")
    finally:
        connection.close()
    return ok("tls", f"{parts.netloc} answers over HTTPS with a valid certificate (HTTP {status})")


# -- files ----------------------------------------------------------------------------------------


def check_data_dir(path: Path, *, owner_uid: int) -> list[Finding]:
    """The data directory belongs to the web user and lets nobody else read or write in it.

    0700, or 0711 when keyd runs as its own user and must reach its keys/ folder through it.
    """
    try:
        info = path.stat()
    except OSError:
        return [fail("data directory", f"{path} does not exist; set CORRIDOR_DATA_DIR or create it (0700)")]
    found = []
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != owner_uid:
        found.append(fail("data directory", f"{path} belongs to uid {info.st_uid}, not {owner_uid}: chown it to the web user"))
    if mode & 0o066:
        found.append(fail("data directory", f"{path} has mode {mode:04o}: other users can list or change it; chmod 0700"))
    keys_dir = path / "keys"
    try:
        keys_info = keys_dir.stat()
    except OSError:
        keys_info = None
    if keys_info is not None and stat.S_IMODE(keys_info.st_mode) & 0o077:
        found.append(fail("data directory", f"{keys_dir} has mode {stat.S_IMODE(keys_info.st_mode):04o}: chmod 0700"))
    if not found:
        found.append(ok("data directory", f"{path} is {mode:04o}, owned by uid {info.st_uid}"))
    return found


def check_socket(path: Path, *, web_uid: int) -> list[Finding]:
    """keyd's socket exists, in a directory nobody else may write, owned by another user than the web's."""
    try:
        info = path.lstat()
    except OSError:
        return [fail("keyd socket", f"{path} does not exist: is corridor-keyd running, and CORRIDOR_KEYRING its socket?")]
    if not stat.S_ISSOCK(info.st_mode):
        return [fail("keyd socket", f"{path} is not a socket")]
    found = []
    directory = path.parent.stat()
    if stat.S_IMODE(directory.st_mode) & 0o022 or directory.st_uid != info.st_uid:
        found.append(fail("keyd socket", f"{path.parent} can be written by others: someone could put a socket in keyd's place"))
    if info.st_uid == web_uid:
        found.append(
            warn("keyd socket", "keyd runs as the web user: run it as its own user (deploy/systemd/corridor-keyd.service)")
        )
    if not found:
        found.append(ok("keyd socket", f"{path} belongs to uid {info.st_uid}, not the web user's"))
    return found


# -- processes (from /proc) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    pid: int
    uid: int
    cmdline: str
    core_limit: str  # "0", "unlimited" or a size, as /proc/PID/limits says it


def read_processes(proc: Path) -> list[Process]:
    processes = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            status = (entry / "status").read_text()
            limits = (entry / "limits").read_text()
        except OSError:
            continue  # gone, or not ours to read
        uid_line = next((line for line in status.splitlines() if line.startswith("Uid:")), "Uid:\t-1")
        core = next((line for line in limits.splitlines() if line.startswith("Max core file size")), "")
        fields = core[len("Max core file size") :].split()
        processes.append(Process(int(entry.name), int(uid_line.split()[1]), cmdline, fields[0] if fields else "?"))
    return processes


def _is_keyd(process: Process) -> bool:
    return "corridor.keys.keyd" in process.cmdline or "corridor keyd" in process.cmdline


def _is_web(process: Process) -> bool:
    return "corridor.wsgi" in process.cmdline


def check_users(processes: Iterable[Process]) -> Finding:
    processes = list(processes)
    keyd = {p.uid for p in processes if _is_keyd(p)}
    web = {p.uid for p in processes if _is_web(p)}
    if not keyd or not web:
        missing = " and ".join(name for name, uids in (("keyd", keyd), ("the web server", web)) if not uids)
        return warn("users", f"{missing} not found among the processes this user can see (run doctor as root to see all)")
    if keyd & web:
        return fail("users", "keyd and the web server run as the same user: run keyd as corridor-keyd")
    return ok(
        "users", f"keyd runs as uid {', '.join(map(str, sorted(keyd)))}, the web server as {', '.join(map(str, sorted(web)))}"
    )


def check_core_dumps(processes: Iterable[Process], core_pattern: str) -> list[Finding]:
    processes = list(processes)
    found = []
    for process in processes:
        if (_is_keyd(process) or _is_web(process)) and process.core_limit != "0":
            found.append(
                fail("core dumps", f"process {process.pid} may dump core (limit {process.core_limit}): LimitCORE=0 in its unit")
            )
    pattern = core_pattern.strip()
    if pattern.startswith("|"):
        found.append(
            warn("core dumps", f"crashes go to {pattern.split()[0][1:]}: set Storage=none in /etc/systemd/coredump.conf")
        )
    seen = [name for name, test in (("keyd", _is_keyd), ("the web server", _is_web)) if any(map(test, processes))]
    missing = [name for name in ("keyd", "the web server") if name not in seen]
    if missing and not found:
        # Not seen, not checked: an "ok" here would vouch for processes doctor never read.
        found.append(warn("core dumps", f"{' and '.join(missing)} not found among the processes: core-file limit not checked"))
    if not found:
        found.append(ok("core dumps", "keyd and the web server cannot dump core"))
    return found


def check_swap(proc_swaps: str) -> Finding:
    devices = [line.split()[0] for line in proc_swaps.splitlines()[1:] if line.strip()]
    # dm-crypt swap shows as a device-mapper node; anything else may be plaintext on disk.
    plain = [d for d in devices if not (d.startswith("/dev/mapper/") or d.startswith("/dev/dm-"))]
    if plain:
        return warn(
            "swap", f"swap on {', '.join(plain)} may be unencrypted: memory (keys) can reach the disk; swapoff -a or encrypt it"
        )
    if devices:
        return ok("swap", f"swap only on {', '.join(devices)} (device-mapper: check it is dm-crypt with a random key)")
    return ok("swap", "no swap")


# -- network --------------------------------------------------------------------------------------


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return ipaddress.IPv4Address(raw[::-1])  # one little-endian 32-bit word
    # Four 32-bit words, each in the machine's (little-endian) order.
    return ipaddress.IPv6Address(b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))


def listening(proc_net_tcp: str) -> list[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]]:
    """(address, port) of every socket in state LISTEN in a /proc/net/tcp or tcp6 table."""
    found = []
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4 or fields[3] != "0A":
            continue
        address, _sep, port = fields[1].partition(":")
        found.append((_address(address), int(port, 16)))
    return found


def check_listeners(tables: Iterable[str], allowed_ports: Collection[int]) -> Finding:
    exposed = sorted(
        {
            (str(address), port)
            for table in tables
            for address, port in listening(table)
            if not address.is_loopback and port not in allowed_ports
        }
    )
    if exposed:
        shown = ", ".join(f"[{a}]:{p}" if ":" in a else f"{a}:{p}" for a, p in exposed)
        return fail(
            "network",
            f"listening beyond loopback: {shown}; bind it to 127.0.0.1 or firewall it (allowed: {sorted(allowed_ports)})",
        )
    return ok("network", f"only ports {sorted(allowed_ports)} listen beyond loopback")


# -- the instance ---------------------------------------------------------------------------------


def check_migrations(unapplied: bool) -> Finding:
    if unapplied:
        return fail("database", "migrations wait to be applied (or the database does not answer): run `corridor migrate`")
    return ok("database", "reachable, every migration applied")


def check_keyd(*, reachable: bool, initialized: bool, sealed: bool) -> Finding:
    if not reachable:
        return fail("keyd", "the key service does not answer: start corridor-keyd, check CORRIDOR_KEYRING")
    if not initialized:
        return fail("keyd", "the instance has no keys: run `corridor init` (once)")
    if sealed:
        return warn("keyd", "sealed: staff pages answer 503 until trustees unseal (docs/operators/unseal.md)")
    return ok("keyd", "unsealed")


@dataclass(frozen=True)
class VerifyRun:
    """The newest daily verification of the audit log (audit.ScheduledVerification), as read."""

    day: datetime.date
    started: datetime.datetime
    ok: bool | None
    entries: int
    problem: str


# A run that has not finished after this long ended with its process (it takes minutes, not hours).
VERIFY_RUN_HOURS = 6
_SCHEDULER = "the scheduler runs it: `corridor serve` without --no-scheduler, or `corridor worker`"


def check_audit_verification(run: VerifyRun | None, *, now: datetime.datetime) -> Finding:
    """The scheduler verifies the whole audit log once a day; say what the last run found."""
    if run is None:
        return warn("audit log", f"the daily verification has not run yet; {_SCHEDULER}")
    if run.ok is False:
        return fail(
            "audit log",
            f"the daily verification of {run.day} FAILED: {run.problem}; treat it as an incident: "
            "run `corridor audit verify`, keep a copy of the database and of keys/ (docs/operators/audit.md)",
        )
    if run.day < now.date() - datetime.timedelta(days=1):
        return warn("audit log", f"the daily verification last ran on {run.day}; {_SCHEDULER}")
    if run.ok is None:
        if now - run.started > datetime.timedelta(hours=VERIFY_RUN_HOURS):
            return warn("audit log", f"the daily verification of {run.day} did not finish; run `corridor audit verify`")
        return ok("audit log", f"the daily verification is running (since {run.started:%H:%M} UTC)")
    return ok("audit log", f"verified on {run.day} by the daily run: {run.entries} entries")


def unix_socket_answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True
