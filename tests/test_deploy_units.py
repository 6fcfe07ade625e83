"""The documented deployment starts, unseals and serves: deploy/systemd's units, run as written.

Their ExecStart lines run under a throwaway root on loopback (tests/deployment.py says what is
substituted: paths and the port, nothing else): keyd, the web server and the worker, as in
docs/operators/deploy.md. SQLite unless DATABASE_URL names PostgreSQL (then a database of its own).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deployment import DEPLOY, UNITS, Root, get, init, read_unit
from tests.pgdb import scratch_database

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("deploy")]


def test_every_unit_runs_as_documented_and_is_hardened() -> None:
    units = {name: read_unit(DEPLOY / "systemd" / f"{name}.service") for name in UNITS}
    assert units["corridor-keyd"]["User"] == ["corridor-keyd"]
    assert units["corridor-web"]["User"] == ["corridor"]
    assert units["corridor-worker"]["User"] == ["corridor"]
    assert "--no-keyd" in units["corridor-web"]["ExecStart"][0].split()
    assert units["corridor-web"]["Environment"] == ["CORRIDOR_KEYRING=/run/corridor-keyd/keyd.sock"]
    assert units["corridor-keyd"]["Environment"] == ["CORRIDOR_KEYD_ALLOW_USERS=corridor"]
    for name, unit in units.items():
        for directive in ("NoNewPrivileges", "PrivateTmp", "MemoryDenyWriteExecute", "ProtectHome"):
            assert unit[directive] == ["yes"], (name, directive)
        assert unit["ProtectSystem"] == ["strict"], name
        assert unit["LimitCORE"] == ["0"], name
        assert unit["ReadWritePaths"] in (["/var/lib/corridor"], ["/var/lib/corridor/keys"]), name
    assert units["corridor-keyd"]["PrivateNetwork"] == ["yes"]


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Root]:
    with scratch_database("h_deploy") as database_url:
        node = Root(tmp_path / "node", database_url)
        node.base.mkdir()
        yield node
        node.stop()


def test_the_units_start_unseal_and_serve(root: Root) -> None:
    root.prepare({})
    migrate = root.corridor("migrate", "--noinput", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr
    shares = init(root)

    root.start("corridor-keyd")
    root.wait_for_socket()
    assert os.stat(root.run_dir).st_mode & 0o777 == 0o710  # RuntimeDirectoryMode, kept by keyd
    root.start("corridor-web")
    root.start("corridor-worker")
    root.wait_for_web()

    assert root.corridor("status").stdout.splitlines()[0] == "sealed"
    assert get(root.url + "/help/")[0] == 200  # the intake works sealed
    assert get(root.url + "/accounts/login/")[0] == 503
    for share in shares[:2]:
        result = root.corridor("unseal", stdin=share + "\n")
        assert result.returncode == 0, result.stderr

    status, body = get(root.url + "/help/")
    assert status == 200
    assert "<form" in body
    assert get(root.url + "/accounts/login/")[0] == 200
    # Without the proxy's word that TLS was used, the production settings send people to https.
    assert get(root.url + "/accounts/login/", {"X-Forwarded-Proto": "http"})[0] == 301

    created = root.corridor("createuser", "--username", "ops", "--role", "admin", "--noinput")
    assert created.returncode == 0, created.stderr
    token = root.corridor("token", "create", "ops")
    assert token.returncode == 0, token.stderr
    me_status, me = get(root.url + "/api/v1/me/", {"Authorization": "Bearer " + token.stdout.splitlines()[-1]})
    assert me_status == 200, me
    assert '"ops"' in me
    assert get(root.url + "/api/v1/me/")[0] in (401, 403)

    doctor = root.corridor("doctor")
    lines = doctor.stdout.splitlines()
    assert "OK    keyd: unsealed" in lines, doctor.stdout
    assert "OK    database: reachable, every migration applied" in lines
    assert "OK    pins: CORRIDOR_AUDIT_KEY_FINGERPRINT is set" in lines
    assert "OK    settings: DEBUG is off" in lines

    assert root.corridor("seal").returncode == 0
    assert get(root.url + "/api/v1/me/")[0] == 503
    codes = root.stop()
    assert codes["corridor-keyd"] == 0, root.log("corridor-keyd")
    assert codes["corridor-web"] in (0, -signal.SIGTERM), root.log("corridor-web")
    assert not (root.run_dir / "keyd.sock").exists()
