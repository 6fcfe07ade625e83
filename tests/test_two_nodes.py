"""Two web nodes on loopback against one PostgreSQL database, each with its own keyd (docs/scaling.md).

Both run deploy/systemd's units as written; the second node's keystore is a copy of the first's
and the trustees unseal each. A lockdown on node 1 seals node 2 on its next request.
PostgreSQL only: several nodes share one database, which the design requires to be PostgreSQL.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deployment import Root, get, init, read_env_file
from tests.pgdb import postgres_url, scratch_database

pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("deploy"),
    pytest.mark.skipif(postgres_url() is None, reason="several web nodes share one PostgreSQL database (docs/scaling.md)"),
]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Root, Root]]:
    with scratch_database("h_nodes") as database_url:
        one, two = Root(tmp_path / "one", database_url), Root(tmp_path / "two", database_url)
        yield one, two
        one.stop()
        two.stop()


def _token(node: Root, user: str) -> str:
    result = node.corridor("token", "create", user)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def _me(node: Root, token: str) -> int:
    return get(node.url + "/api/v1/me/", {"Authorization": "Bearer " + token})[0]


def test_a_lockdown_on_one_node_seals_the_other(nodes: tuple[Root, Root]) -> None:
    one, two = nodes
    shared = {"CORRIDOR_UNSEAL_PATH": "unseal-two-nodes-test/"}
    for node in nodes:
        node.base.mkdir()
        node.prepare(shared)
    assert one.corridor("migrate", "--noinput", "-v", "0").returncode == 0
    shares = init(one)
    # What docs/scaling.md has the operator copy to a new node: the env file (pins included),
    # the secret key and the keystore. Nothing else: the database is the same one.
    env = read_env_file(one.etc / "corridor.env")
    env["CORRIDOR_DATA_DIR"] = str(two.data_dir)
    env["CORRIDOR_SECRET_KEY_FILE"] = str(two.etc / "secret_key")
    two.write_env(env)
    shutil.copy2(one.etc / "secret_key", two.etc / "secret_key")
    shutil.copytree(one.data_dir / "keys", two.data_dir / "keys")

    for node in nodes:
        node.start("corridor-keyd")
    for node in nodes:
        node.wait_for_socket()
        node.start("corridor-web")
    for node in nodes:
        node.wait_for_web()
        for share in shares[:2]:
            result = node.corridor("unseal", stdin=share + "\n")
            assert result.returncode == 0, result.stderr

    assert one.corridor("createuser", "--username", "ops", "--role", "admin", "--noinput").returncode == 0
    token_one, token_two = _token(one, "ops"), _token(two, "ops")
    assert (_me(one, token_one), _me(two, token_two)) == (200, 200)
    # A token (like a session) is bound to the unseal of the node that issued it.
    assert _me(two, token_one) == 401

    assert one.corridor("seal").returncode == 0  # a lockdown on node 1

    assert _me(two, token_two) == 503  # node 2's very next request
    assert two.corridor("status").stdout.splitlines()[0] == "sealed"
    assert get(two.url + "/help/")[0] == 200  # the intake keeps working, sealed
    assert "another web node was locked down" in two.log("corridor-web")

    # Unsealed again afterwards, node 2 stays unsealed: that lockdown came before this unseal.
    for share in shares[1:]:
        assert two.corridor("unseal", stdin=share + "\n").returncode == 0
    assert get(two.url + "/accounts/login/")[0] == 200
    assert get(two.url + "/accounts/login/")[0] == 200
    assert one.corridor("status").stdout.splitlines()[0] == "sealed"
