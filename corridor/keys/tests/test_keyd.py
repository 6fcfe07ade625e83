"""Integration tests: the real keyd process driven through KeydClient, plus wire checks.

keyd runs as `python -m corridor.keys.keyd`, exactly as in production.
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.keys import crypto, keyd, treehead, wire
from corridor.keys.client import KeydClient
from corridor.keys.errors import (
    DecryptionError,
    KeyServiceUnavailable,
    Sealed,
    ShareFormatError,
    ShareNotIssued,
)
from corridor.keys.keyring import Keyring
from corridor.keys.service import KeyService
from corridor.keys.tests.conftest import Instance, typo

ROOT = Path(__file__).resolve().parents[3]


class Keyd:
    def __init__(self, process: subprocess.Popen[bytes], socket_path: Path) -> None:
        self.process = process
        self.socket_path = socket_path


def _start(data_dir: Path, socket_path: Path, *, allow_users: str | None = None) -> Keyd:
    env = {key: value for key, value in os.environ.items() if key != keyd.ALLOW_USERS_ENV}
    if allow_users is not None:
        env[keyd.ALLOW_USERS_ENV] = allow_users
    process = subprocess.Popen(
        [sys.executable, "-m", "corridor.keys.keyd", "--data-dir", str(data_dir), "--socket", str(socket_path), "--min-retired-days", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 10
    # The socket file appears at bind(), a moment before listen(): wait until it answers.
    while not _listening(socket_path):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _out, err = process.communicate()
            pytest.fail(f"keyd did not start: {err.decode()}")
        time.sleep(0.02)
    return Keyd(process, socket_path)


def _listening(socket_path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(socket_path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _stop(daemon: Keyd) -> str:
    if daemon.process.poll() is None:
        daemon.process.send_signal(signal.SIGTERM)
    _out, err = daemon.process.communicate(timeout=10)
    return err.decode()


@pytest.fixture
def running(instance: Instance, tmp_path: Path) -> Iterator[Keyd]:
    daemon = _start(instance.data_dir, tmp_path / "run" / "keyd.sock")
    yield daemon
    _stop(daemon)


def _unseal(client: KeydClient, shares: list[str]) -> None:
    for share in shares:
        status = client.submit_share(share)
    assert status.sealed is False


def test_client_is_a_keyring(tmp_path: Path) -> None:
    keyring: Keyring = KeydClient(tmp_path / "none.sock")  # checked by mypy --strict
    with pytest.raises(KeyServiceUnavailable):
        keyring.status()


def test_socket_is_private(running: Keyd) -> None:
    assert stat.S_ISSOCK(running.socket_path.lstat().st_mode)
    assert stat.S_IMODE(running.socket_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(running.socket_path.parent.stat().st_mode) == 0o700


def test_keyd_end_to_end(instance: Instance, running: Keyd) -> None:
    client = KeydClient(running.socket_path)
    status = client.status()
    assert (status.initialized, status.sealed, status.threshold, status.shares_total) == (
        True,
        True,
        3,
        5,
    )
    with pytest.raises(Sealed):
        client.unwrap([(b"\x00\x00\x00\x01" + b"x" * 40, "person|1")])
    # Intake works while sealed.
    message = crypto.age_encrypt(client.intake_recipient(), b"help")
    assert len(client.signing_public_key()) == 32

    with pytest.raises(ShareFormatError, match="checksum"):
        client.submit_share(typo(instance.shares[0]))
    assert client.submit_share(instance.shares[0]).shares_received == 1
    _unseal(client, instance.shares[1:3])

    ((key, wrapped),) = client.generate_data_keys(["person|1"])
    assert client.unwrap([(wrapped, "person|1")]) == [key]
    with pytest.raises(DecryptionError):
        client.unwrap([(wrapped, "person|2")])
    items = [(crypto.random_key(), f"person|{n}") for n in range(100)]
    blobs = client.wrap(items)
    assert client.unwrap([(b, c) for b, (_, c) in zip(blobs, items, strict=True)]) == [k for k, _ in items]
    assert client.open_intake([message]) == [b"help"]
    assert client.tree_head() is None
    head = client.sign_tree_head(0, treehead.EMPTY_ROOT, 0, treehead.EMPTY_ROOT, [], [])
    assert crypto.verify(client.signing_public_key(), head.signature, head.message())
    assert client.tree_head() == head
    assert len(client.blind_index("person.name", ["ivan"], 24)[0]) == 3
    with pytest.raises(ValueError, match="multiple of 8"):
        client.blind_index("person.name", ["ivan"], 7)
    assert client.rotate() == 2
    (rewrapped,) = client.rewrap([(wrapped, "person|1")])
    client.retire_epoch(1)
    client.destroy_epoch(1)
    assert [e.version for e in client.epochs()] == [2]
    assert client.unwrap([(rewrapped, "person|1")]) == [key]


def test_seal_from_one_client_is_seen_by_another(instance: Instance, running: Keyd) -> None:
    admin = KeydClient(running.socket_path)
    worker = KeydClient(running.socket_path)
    _unseal(admin, instance.shares[:3])
    ((key, wrapped),) = worker.generate_data_keys(["case|7"])
    epoch_before = worker.status().session_epoch
    assert epoch_before != ""
    admin.seal()
    with pytest.raises(Sealed):
        worker.unwrap([(wrapped, "case|7")])
    assert worker.status().session_epoch == ""
    _unseal(admin, instance.shares[2:5])
    assert worker.unwrap([(wrapped, "case|7")]) == [key]
    assert worker.status().session_epoch not in ("", epoch_before)


def test_unseal_failure_over_the_wire(instance: Instance, running: Keyd, tmp_path: Path) -> None:
    from corridor.keys.service import initialize
    from corridor.keys.shamir import parse_share

    taken = {parse_share(share)[-1] for share in instance.shares[:2]}
    # Shares carry random x coordinates: a foreign share on a taken x would fail one step early.
    foreign = next(s for s in initialize(tmp_path / "other", shares=3, threshold=2) if parse_share(s)[-1] not in taken)
    client = KeydClient(running.socket_path)
    client.submit_share(instance.shares[0])
    # Another instance's genuine share matches none of this instance's commitments.
    with pytest.raises(ShareNotIssued, match="not issued for this instance"):
        client.submit_share(foreign)
    assert client.status().shares_received == 1
    assert client.submit_share(instance.shares[1]).shares_received == 2


def test_threads_get_their_own_connections(instance: Instance, running: Keyd) -> None:
    client = KeydClient(running.socket_path)
    _unseal(client, instance.shares[:3])
    pairs = client.generate_data_keys([f"file|{n}" for n in range(8)])
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        key, wrapped = pairs[n]
        try:
            for _ in range(50):
                assert client.unwrap([(wrapped, f"file|{n}")]) == [key]
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_restart_is_sealed_and_client_reconnects(instance: Instance, tmp_path: Path) -> None:
    socket_path = tmp_path / "run" / "keyd.sock"
    daemon = _start(instance.data_dir, socket_path)
    client = KeydClient(socket_path)
    _unseal(client, instance.shares[:3])
    log = _stop(daemon)
    assert "stopped" in log
    assert not socket_path.exists()  # removed on SIGTERM
    daemon = _start(instance.data_dir, socket_path)
    try:
        assert client.status().sealed is True  # same client, reconnected once
    finally:
        _stop(daemon)


def test_keyd_refuses_oversized_and_garbage_frames(running: Keyd) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(running.socket_path))
        sock.sendall(struct.pack(">I", wire.MAX_MESSAGE + 1))
        assert sock.recv(16) == b""  # connection dropped, nothing allocated
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(running.socket_path))
        reader = sock.makefile("rb")
        sock.sendall(wire.encode_frame({"op": "no_such_op", "args": {}}))
        assert wire.read_frame(reader) == {
            "ok": False,
            "error": "ValueError",
            "message": "unknown operation 'no_such_op'",
        }
        sock.sendall(wire.encode_frame({"op": "unwrap", "args": {"items": [[1, 2]]}}))
        reply = wire.read_frame(reader)
        assert reply is not None
        assert (reply["ok"], reply["error"]) == (False, "ValueError")
        # The connection survives bad requests.
        sock.sendall(wire.encode_frame({"op": "status", "args": {}}))
        reply = wire.read_frame(reader)
        assert reply is not None
        assert reply["ok"] is True
        reader.close()


def test_keyd_refuses_a_second_instance_on_the_same_socket(instance: Instance, running: Keyd) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "corridor.keys.keyd", "--data-dir", str(instance.data_dir), "--socket", str(running.socket_path)],
        cwd=ROOT,
        capture_output=True,
        timeout=10,
        check=False,
    )
    assert result.returncode != 0
    assert b"another key service is listening" in result.stderr


def test_keyd_refuses_a_shared_socket_directory(instance: Instance, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)  # noqa: S103 - the unsafe directory keyd must refuse
    with pytest.raises(SystemExit, match="mode 0700"):
        keyd.serve(instance.data_dir, shared / "keyd.sock")


# -- peer credentials --------------------------------------------------------------------


def test_peer_allowed_only_for_own_uid() -> None:
    own = keyd.allowed_uids(None, 1000)
    assert own == frozenset({1000})
    assert keyd.peer_allowed(1000, own) is True
    assert keyd.peer_allowed(1001, own) is False
    assert keyd.peer_allowed(0, own) is False  # root is not special


def test_peer_allowed_only_for_the_listed_users() -> None:
    """keyd running as its own user (say uid 998) and answering only the web server's user."""
    web = pwd.getpwnam("nobody").pw_uid  # any user name the system knows
    allowed = keyd.allowed_uids(" nobody , 4242 ", 998)
    assert allowed == frozenset({web, 4242})
    assert keyd.peer_allowed(web, allowed) is True
    assert keyd.peer_allowed(4242, allowed) is True
    assert keyd.peer_allowed(998, allowed) is False  # the list replaces the default: not even keyd's own user
    assert keyd.peer_allowed(0, allowed) is False
    assert keyd.allowed_uids("", 998) == frozenset({998})
    with pytest.raises(ValueError, match="no such user 'no-such-user-here'"):
        keyd.allowed_uids("no-such-user-here", 998)
    with pytest.raises(ValueError, match="names no user"):
        keyd.allowed_uids(" , ", 998)


def test_keyd_refuses_users_not_listed(instance: Instance, tmp_path: Path) -> None:
    daemon = _start(instance.data_dir, tmp_path / "run" / "keyd.sock", allow_users=str(os.geteuid() + 1))
    try:
        # Others must be able to reach the socket; the uid check is the gate.
        assert stat.S_IMODE(daemon.socket_path.stat().st_mode) == 0o666
        assert stat.S_IMODE(daemon.socket_path.parent.stat().st_mode) == 0o711
        with pytest.raises(KeyServiceUnavailable):
            KeydClient(daemon.socket_path).status()
    finally:
        err = _stop(daemon)
    assert f"keyd: refused a connection from uid {os.geteuid()}" in err


def test_keyd_answers_the_listed_user(instance: Instance, tmp_path: Path) -> None:
    web = pwd.getpwuid(os.geteuid()).pw_name
    daemon = _start(instance.data_dir, tmp_path / "run" / "keyd.sock", allow_users=f"{web},{os.geteuid() + 1}")
    try:
        assert KeydClient(daemon.socket_path).status().initialized is True
    finally:
        _stop(daemon)


def test_peer_uid_reads_so_peercred() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert keyd.peer_uid(left) == os.geteuid()


def test_server_verify_request_rejects_other_uids(tmp_path: Path) -> None:
    server = keyd.KeydServer(tmp_path / "k.sock", KeyService(tmp_path))
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        assert server.verify_request(left, None) is True
        server.allowed = frozenset({os.geteuid() + 1})
        assert server.verify_request(left, None) is False
    finally:
        left.close()
        right.close()
        server.server_close()


def test_dispatch_hides_unexpected_error_messages(tmp_path: Path) -> None:
    class Exploding(KeyService):
        def status(self) -> object:
            raise RuntimeError("Ivan Petrov, Grozny")

    reply = keyd.dispatch(Exploding(tmp_path), {"op": "status", "args": {}})
    assert reply == {"ok": False, "error": "KeyringError", "message": "internal error in keyd"}


def test_address_tags_over_the_socket_work_sealed_and_change_with_the_process(instance: Instance, tmp_path: Path) -> None:
    """The intake's rate-limit tags: HMACs under a key that lives only in keyd's memory."""
    first = _start(instance.data_dir, tmp_path / "a" / "keyd.sock")
    try:
        client = KeydClient(first.socket_path)
        assert client.status().sealed is True
        tags = client.address_tags(["203.0.113.7", "203.0.113.7", "203.0.113.8"])
    finally:
        _stop(first)
    second = _start(instance.data_dir, tmp_path / "b" / "keyd.sock")
    try:
        again = KeydClient(second.socket_path).address_tags(["203.0.113.7"])
    finally:
        _stop(second)
    assert (len(tags[0]), tags[0] == tags[1], tags[0] == tags[2], again == tags[:1]) == (32, True, False, False)


def _proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} missing from /proc/{pid}/status")


def test_connections_do_not_pin_memory_in_keyd(running: Keyd) -> None:
    """keyd locks its memory (mlockall) so keys never reach swap; it must lock pages as they are
    touched, not whole mappings: each connection's thread reserves an 8 MiB stack and a malloc
    arena, and locking them up front let any allowed peer pin ~13 MiB of RAM per connection."""
    pid = running.process.pid
    if _proc_kib(pid, "VmLck") == 0:
        pytest.skip("mlockall is not in effect here (finite RLIMIT_MEMLOCK and no CAP_IPC_LOCK)")
    before = _proc_kib(pid, "VmRSS")
    clients = []
    try:
        for _ in range(40):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            clients.append(sock)
            sock.connect(str(running.socket_path))
            reader = sock.makefile("rb")
            sock.sendall(wire.encode_frame({"op": "status", "args": {}}))
            reply = wire.read_frame(reader)
            reader.close()
            assert reply is not None and reply["ok"] is True
        grown_mib = (_proc_kib(pid, "VmRSS") - before) / 1024
    finally:
        for sock in clients:
            sock.close()
    assert grown_mib < 40, f"40 connections cost keyd {grown_mib:.0f} MiB of resident, locked memory"


_TOO_MANY = wire.MAX_BATCH + 1
_ROOT_B64 = wire.b64e(bytes(32))


@pytest.mark.parametrize(
    ("op", "args"),
    [
        ("wrap", {"items": [["", "c"]] * _TOO_MANY}),
        ("unwrap", {"items": [["", "c"]] * _TOO_MANY}),
        ("rewrap", {"items": [["", "c"]] * _TOO_MANY}),
        ("generate_data_keys", {"contexts": [""] * _TOO_MANY}),
        ("blind_index", {"index": "x", "values": [""] * _TOO_MANY, "bits": 8}),
        ("open_intake", {"ciphertexts": [""] * _TOO_MANY}),
        ("address_tags", {"addresses": [""] * _TOO_MANY}),
        (
            "sign_tree_head",
            {"old_size": 1, "old_root": _ROOT_B64, "new_size": 2, "new_root": _ROOT_B64, "proof": [_ROOT_B64] * _TOO_MANY, "frontier": []},
        ),
        (
            "sign_tree_head",
            {"old_size": 1, "old_root": _ROOT_B64, "new_size": 2, "new_root": _ROOT_B64, "proof": [], "frontier": [_ROOT_B64] * _TOO_MANY},
        ),
    ],
)
def test_keyd_refuses_oversized_batches_before_any_work(unsealed: KeyService, op: str, args: dict[str, object]) -> None:
    """A 15 MiB frame of empty contexts made keyd generate 5 million data keys (3.7 GB peak, 41 s
    under the service lock) for code in a web worker; batches are now bounded, and the client splits."""
    reply = keyd.dispatch(unsealed, {"op": op, "args": args})
    assert reply == {
        "ok": False,
        "error": "ValueError",
        "message": f"a batch of {_TOO_MANY} items exceeds the limit of {wire.MAX_BATCH}",
    }


def test_the_client_splits_batches_larger_than_keyd_takes(instance: Instance, running: Keyd) -> None:
    client = KeydClient(running.socket_path)
    _unseal(client, instance.shares[:3])
    # (Address tags are held to a budget per second far below a batch: see test_service.)
    contexts = [f"person|{n}" for n in range(_TOO_MANY + 2)]
    pairs = client.generate_data_keys(contexts)
    assert len(pairs) == len(contexts)
    assert client.unwrap([(wrapped, context) for (_key, wrapped), context in zip(pairs, contexts, strict=True)]) == [key for key, _ in pairs]


def test_the_keyd_command_enforces_the_configured_retention_and_share_wait(
    monkeypatch: pytest.MonkeyPatch, settings: object, tmp_path: Path
) -> None:
    """`corridor keyd` ignored CORRIDOR_KEY_EPOCH_RETENTION_DAYS: keyd then let any peer destroy an
    epoch after 35 days although backups were kept (and needed it) for longer."""
    from django.core.management import call_command

    seen: dict[str, object] = {}
    monkeypatch.setattr(keyd, "serve", lambda data_dir, socket_path, **kwargs: seen.update(kwargs))
    settings.KEYRING = str(tmp_path / "keyd.sock")
    settings.KEY_EPOCH_RETENTION_DAYS = 90
    settings.UNSEAL_SHARE_MINUTES = 7
    call_command("keyd")
    assert seen == {"min_retired_days": 90, "share_ttl_seconds": 420}
