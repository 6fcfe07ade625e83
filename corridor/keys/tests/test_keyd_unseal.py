"""keyd over its real socket: forged shares refused on their own, shares that expire, resets that need a share.

keyd runs as `python -m corridor.keys.keyd`, exactly as `corridor serve` starts it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.keys import keystore, shamir
from corridor.keys.client import KeydClient
from corridor.keys.errors import ShareAlreadyEntered, ShareNotIssued, SharesUnverifiable
from corridor.keys.tests.conftest import Instance

ROOT = Path(__file__).resolve().parents[3]


class Daemon:
    def __init__(self, process: subprocess.Popen[bytes], socket_path: Path) -> None:
        self.process = process
        self.socket_path = socket_path

    def stop(self) -> str:
        """Stop keyd and return everything it wrote to standard error."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _out, err = self.process.communicate(timeout=10)
        return err.decode()


def _start(data_dir: Path, socket_path: Path, *extra: str) -> Daemon:
    command = [sys.executable, "-m", "corridor.keys.keyd", "--data-dir", str(data_dir), "--socket", str(socket_path)]
    process = subprocess.Popen([*command, *extra], cwd=ROOT, stderr=subprocess.PIPE)  # noqa: S603 -- our own module
    deadline = time.monotonic() + 10
    while not socket_path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"keyd did not start: {process.communicate()[1].decode()}")
        time.sleep(0.02)
    return Daemon(process, socket_path)


@pytest.fixture
def daemon(instance: Instance, tmp_path: Path) -> Iterator[Daemon]:
    running = _start(instance.data_dir, tmp_path / "run" / "keyd.sock")
    yield running
    running.stop()


def _forged(x: int) -> str:
    return shamir.format_share(x, os.urandom(32) + bytes([x]))


def _x(share: str) -> int:
    return shamir.parse_share(share)[-1]


def test_forged_shares_between_the_real_ones_are_refused_and_three_trustees_unseal(instance: Instance, daemon: Daemon) -> None:
    client = KeydClient(daemon.socket_path)
    received = []
    for share in instance.shares[:3]:
        # Before every real share, a forgery on that very share's x coordinate.
        with pytest.raises(ShareNotIssued) as refused:
            client.submit_share(_forged(_x(share)))
        assert str(refused.value) == "this share was not issued for this instance; the shares already entered are kept"
        status = client.submit_share(share)
        received.append(status.shares_received)
    assert received == [1, 2, 0]
    assert status.sealed is False


def test_a_share_entered_twice_is_refused_over_the_socket(instance: Instance, daemon: Daemon) -> None:
    client = KeydClient(daemon.socket_path)
    client.submit_share(instance.shares[0])
    with pytest.raises(ShareAlreadyEntered):
        client.submit_share(instance.shares[0])
    assert client.status().shares_received == 1


def test_waiting_shares_expire_in_keyd(instance: Instance, tmp_path: Path) -> None:
    running = _start(instance.data_dir, tmp_path / "run" / "keyd.sock", "--share-ttl-seconds", "0.5")
    try:
        client = KeydClient(running.socket_path)
        client.submit_share(instance.shares[0])
        client.submit_share(instance.shares[1])
        assert client.status().shares_received == 2
        time.sleep(0.7)
        assert client.status().shares_received == 0
        for share in instance.shares[2:5]:
            status = client.submit_share(share)
        assert status.sealed is False
    finally:
        running.stop()


def test_a_reset_needs_an_issued_share_and_keyd_logs_each_one(instance: Instance, daemon: Daemon) -> None:
    client = KeydClient(daemon.socket_path)
    client.submit_share(instance.shares[0])
    client.submit_share(instance.shares[1])
    with pytest.raises(ShareNotIssued):
        client.reset_unseal(_forged(_x(instance.shares[2])))
    assert client.status().shares_received == 2
    assert client.reset_unseal(instance.shares[2]).shares_received == 1
    assert client.reset_unseal().shares_received == 0
    err = daemon.stop()
    lines = [line for line in err.splitlines() if line.startswith("keyd: unseal")]
    assert lines == [
        "keyd: unseal progress reset (with an issued share)",
        "keyd: unseal progress reset (without a share)",
    ]
    for share in instance.shares:
        assert share.split(": ")[1][:9] not in err


def test_an_older_keystore_is_upgraded_by_the_first_unseal_through_keyd(instance: Instance, tmp_path: Path) -> None:
    path = keystore.keystore_path(instance.data_dir)
    data = json.loads(path.read_bytes())
    del data["share_commitments"]
    path.write_text(json.dumps(data))
    running = _start(instance.data_dir, tmp_path / "run" / "keyd.sock")
    try:
        client = KeydClient(running.socket_path)
        client.submit_share(instance.shares[0])
        with pytest.raises(SharesUnverifiable):
            client.reset_unseal(instance.shares[1])
        client.submit_share(instance.shares[1])
        assert client.submit_share(instance.shares[2]).sealed is False
        client.seal()
        with pytest.raises(ShareNotIssued):
            client.submit_share(_forged(_x(instance.shares[3])))
    finally:
        err = running.stop()
    assert "recorded share commitments in the keystore" in err
    upgraded = keystore.load(instance.data_dir)
    assert upgraded is not None
    assert len(upgraded.share_commitments) == 255
