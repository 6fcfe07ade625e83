"""`corridor doctor`: each check on fake /proc contents and temporary files, and the command's exit status."""

from __future__ import annotations

import datetime
import http.server
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from corridor.web import doctor
from corridor.web.doctor import Level, Process

ANY = "0.0.0.0"  # noqa: S104 -- an address read back from /proc, never bound

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 6364 1 0 100 0 0 10 0
   1: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1572 1 0 100 0 0 10 0
   2: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1573 1 0 100 0 0 10 0
   3: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   106        0 6365 1 0 100 0 0 10 0
"""
TCP6 = """  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F41 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 6274 1 0 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4596 1 0 100 0 0 10 0
   2: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4597 1 0 100 0 0 10 0
"""


def test_listening_sockets_are_read_from_proc_net_tcp() -> None:
    assert [(str(a), p) for a, p in doctor.listening(TCP)] == [("127.0.0.1", 8000), (ANY, 443), (ANY, 5432)]
    assert [(str(a), p) for a, p in doctor.listening(TCP6)] == [("::1", 8001), ("::", 80), ("::", 9000)]


def test_only_the_proxy_may_listen_beyond_loopback() -> None:
    finding = doctor.check_listeners([TCP, TCP6], {80, 443})
    assert finding.level is Level.FAIL
    assert "0.0.0.0:5432" in finding.message
    assert "[::]:9000" in finding.message
    assert "8000" not in finding.message.split(";")[0]  # loopback is fine
    assert doctor.check_listeners([TCP, TCP6], {80, 443, 5432, 9000}).level is Level.OK


def test_settings() -> None:
    assert doctor.check_debug(True).level is Level.FAIL
    assert doctor.check_debug(False).level is Level.OK
    assert doctor.check_secret_key("django-insecure-" + "x" * 60).level is Level.FAIL
    assert doctor.check_secret_key("ab" * 30).level is Level.FAIL  # long, but two characters
    assert doctor.check_secret_key("short-Key-1").level is Level.FAIL
    assert doctor.check_secret_key("q8Z_vR2-kLp0" * 5).level is Level.OK
    assert doctor.check_allowed_hosts([]).level is Level.FAIL
    assert doctor.check_allowed_hosts(["*"]).level is Level.FAIL
    assert doctor.check_allowed_hosts(["localhost", "127.0.0.1"]).level is Level.WARN
    assert doctor.check_allowed_hosts(["corridor.example.org"]).level is Level.OK
    assert doctor.check_insecure_http(True, ["corridor.example.org"]).level is Level.FAIL
    assert doctor.check_insecure_http(True, ["abc.onion"]).level is Level.WARN
    assert doctor.check_insecure_http(False, ["corridor.example.org"]).level is Level.OK


def test_pins_must_be_present_and_well_formed() -> None:
    assert [f.level for f in doctor.check_pins(None, "")] == [Level.FAIL, Level.FAIL]
    assert [f.level for f in doctor.check_pins("AB" * 32, "age1nope")] == [Level.FAIL, Level.FAIL]
    recipient = "age1" + "q" * 58
    assert [f.level for f in doctor.check_pins("ab" * 32, recipient)] == [Level.OK, Level.OK]


def test_data_directory_mode_and_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert doctor.check_data_dir(data, owner_uid=os.geteuid())[0].level is Level.FAIL  # missing
    data.mkdir(mode=0o700)
    assert [f.level for f in doctor.check_data_dir(data, owner_uid=os.geteuid())] == [Level.OK]
    os.chmod(data, 0o711)  # noqa: S103 -- traversal only, for keyd under its own user
    assert [f.level for f in doctor.check_data_dir(data, owner_uid=os.geteuid())] == [Level.OK]
    os.chmod(data, 0o755)  # noqa: S103 -- the wide mode doctor must catch
    assert [f.level for f in doctor.check_data_dir(data, owner_uid=os.geteuid())] == [Level.FAIL]
    os.chmod(data, 0o700)
    assert [f.level for f in doctor.check_data_dir(data, owner_uid=os.geteuid() + 1)] == [Level.FAIL]
    (data / "keys").mkdir(mode=0o750)
    os.chmod(data / "keys", 0o750)  # noqa: S103 -- the wide mode doctor must catch
    assert [f.level for f in doctor.check_data_dir(data, owner_uid=os.geteuid())] == [Level.FAIL]


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "run"
    directory.mkdir(mode=0o710)
    path = directory / "keyd.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    yield path
    server.close()


def test_keyd_socket(unix_socket: Path, tmp_path: Path) -> None:
    me = os.geteuid()
    assert [f.level for f in doctor.check_socket(unix_socket, web_uid=me + 1)] == [Level.OK]
    # Owned by the web user itself: keyd does not run under its own user.
    assert [f.level for f in doctor.check_socket(unix_socket, web_uid=me)] == [Level.WARN]
    os.chmod(unix_socket.parent, 0o733)  # noqa: S103 -- the wide mode doctor must catch
    assert Level.FAIL in [f.level for f in doctor.check_socket(unix_socket, web_uid=me + 1)]
    assert doctor.check_socket(tmp_path / "none.sock", web_uid=me)[0].level is Level.FAIL
    assert doctor.unix_socket_answers(unix_socket) is True
    assert doctor.unix_socket_answers(tmp_path / "none.sock") is False


def _fake_process(proc: Path, pid: int, uid: int, argv: list[str], core: str) -> None:
    entry = proc / str(pid)
    entry.mkdir(parents=True)
    (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (entry / "status").write_text(f"Name:\tpython\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{uid}\t{uid}\t{uid}\t{uid}\n")
    (entry / "limits").write_text(
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        f"Max core file size        {core}                    {core}            bytes     \n"
    )


def test_processes_users_and_core_dumps_from_proc(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    _fake_process(proc, 10, 998, ["/opt/corridor/.venv/bin/python", "-m", "corridor.keys.keyd", "--data-dir", "/x"], "0")
    _fake_process(proc, 11, 999, ["python", "-m", "gunicorn", "corridor.wsgi:application"], "0")
    _fake_process(proc, 12, 0, ["/usr/sbin/sshd"], "unlimited")
    (proc / "self").mkdir()
    processes = sorted(doctor.read_processes(proc), key=lambda p: p.pid)
    assert [(p.pid, p.uid, p.core_limit) for p in processes] == [(10, 998, "0"), (11, 999, "0"), (12, 0, "unlimited")]
    assert doctor.check_users(processes).level is Level.OK
    assert [f.level for f in doctor.check_core_dumps(processes, "core\n")] == [Level.OK]  # sshd is not ours

    same_user = [Process(1, 999, "python -m corridor.keys.keyd", "0"), Process(2, 999, "gunicorn corridor.wsgi:application", "0")]
    assert doctor.check_users(same_user).level is Level.FAIL
    assert doctor.check_users(same_user[:1]).level is Level.WARN  # no web server seen

    dumping = [Process(2, 999, "gunicorn corridor.wsgi:application", "unlimited")]
    assert [f.level for f in doctor.check_core_dumps(dumping, "core")] == [Level.FAIL]
    piped = doctor.check_core_dumps([], "|/lib/systemd/systemd-coredump %P %u")
    assert [f.level for f in piped] == [Level.WARN]
    assert "systemd-coredump" in piped[0].message


def test_swap() -> None:
    header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
    assert doctor.check_swap(header).level is Level.OK
    assert doctor.check_swap(header + "/dev/sda2  partition\t1000\t0\t-2\n").level is Level.WARN
    assert doctor.check_swap(header + "/swapfile  file\t1000\t0\t-2\n").level is Level.WARN
    assert doctor.check_swap(header + "/dev/dm-1  partition\t1000\t0\t-2\n").level is Level.OK


def test_instance_state() -> None:
    assert doctor.check_migrations(True).level is Level.FAIL
    assert doctor.check_migrations(False).level is Level.OK
    assert doctor.check_keyd(reachable=False, initialized=False, sealed=True).level is Level.FAIL
    assert doctor.check_keyd(reachable=True, initialized=False, sealed=True).level is Level.FAIL
    assert doctor.check_keyd(reachable=True, initialized=True, sealed=True).level is Level.WARN
    assert doctor.check_keyd(reachable=True, initialized=True, sealed=False).level is Level.OK


def test_the_daily_audit_verification() -> None:
    now = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
    today, yesterday = now.date(), now.date() - datetime.timedelta(days=1)

    def run(day: datetime.date, ok: bool | None, *, hours_ago: float = 1, problem: str = "") -> doctor.VerifyRun:
        return doctor.VerifyRun(day=day, started=now - datetime.timedelta(hours=hours_ago), ok=ok, entries=812, problem=problem)

    never = doctor.check_audit_verification(None, now=now)
    assert (never.level, "corridor worker" in never.message) == (Level.WARN, True)
    assert doctor.check_audit_verification(run(today, True), now=now).line() == (
        "OK    audit log: verified on 2026-12-01 by the daily run: 812 entries"
    )
    assert doctor.check_audit_verification(run(yesterday, True, hours_ago=30), now=now).level is Level.OK
    failed = doctor.check_audit_verification(run(yesterday, False, problem="entry 7: leaf hash mismatch"), now=now)
    assert (failed.level, "entry 7: leaf hash mismatch" in failed.message) == (Level.FAIL, True)
    # A failure stays a failure however long ago it was: nothing verified since says otherwise.
    assert doctor.check_audit_verification(run(today - datetime.timedelta(days=9), False), now=now).level is Level.FAIL
    stale = doctor.check_audit_verification(run(today - datetime.timedelta(days=3), True), now=now)
    assert (stale.level, "last ran on 2026-11-28" in stale.message) == (Level.WARN, True)
    assert doctor.check_audit_verification(run(today, None, hours_ago=7), now=now).level is Level.WARN
    assert doctor.check_audit_verification(run(today, None, hours_ago=0.5), now=now).level is Level.OK


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """A local HTTPS server whose self-signed certificate names localhost."""
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(  # noqa: S603 -- fixed arguments
        ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], str(cert)
    server.shutdown()


def test_tls_valid_certificate(https_server: tuple[int, str]) -> None:
    port, cafile = https_server
    finding = doctor.check_tls(f"https://localhost:{port}/", cafile=cafile)
    assert finding.level is Level.OK, finding.message


def test_tls_untrusted_certificate_and_plain_http(https_server: tuple[int, str]) -> None:
    port, _cafile = https_server
    untrusted = doctor.check_tls(f"https://localhost:{port}/")
    assert untrusted.level is Level.FAIL
    assert "certificate is not valid" in untrusted.message
    assert doctor.check_tls(f"http://localhost:{port}/").level is Level.FAIL
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    assert "does not answer" in doctor.check_tls(f"https://localhost:{closed_port}/").message


@pytest.mark.django_db
def test_the_command_prints_one_line_per_finding_and_fails_on_a_missing_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: object
) -> None:
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    (proc / "sys/kernel").mkdir(parents=True)
    (proc / "net/tcp").write_text(TCP.splitlines()[0] + "\n")
    (proc / "net/tcp6").write_text("")
    (proc / "swaps").write_text("Filename Type Size Used Priority\n")
    (proc / "sys/kernel/core_pattern").write_text("core\n")
    settings.AUDIT_KEY_FINGERPRINT = None  # type: ignore[attr-defined]  # pytest-django's settings wrapper
    with pytest.raises(SystemExit) as exit_info:
        call_command("doctor", "--proc", str(proc))
    out = capsys.readouterr().out.splitlines()
    assert exit_info.value.code == 1
    assert "FAIL  pins: CORRIDOR_AUDIT_KEY_FINGERPRINT is missing or malformed: copy it from `corridor init`" in out
    assert "OK    swap: no swap" in out
    assert "OK    network: only ports [22, 80, 443] listen beyond loopback" in out
    assert "OK    database: reachable, every migration applied" in out
    assert "WARN  audit log: the daily verification has not run yet; the scheduler runs it: `corridor serve` without --no-scheduler, or `corridor worker`" in out
    assert out[-1].endswith("fine")
