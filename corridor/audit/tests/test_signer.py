"""Invariant 14: the audit signer never signs a rewritten history, and the log verifies offline.

The attacker here is code running in a web worker: it can write the database (triggers
lifted, as `triggers.lifted` does) and talk to the key service, but not write keyd's files.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from corridor.audit import encoding, log, merkle
from corridor.audit.models import AuditEntry, Checkpoint, TreeState
from corridor.audit.names import name as audit_name
from corridor.audit.tests import names_for_tests  # noqa: F401 -- declares the test names
from corridor.audit.tests.names_for_tests import TestAudit
from corridor.audit.verify import verify
from corridor.keys import instance, service, treehead
from corridor.keys.client import KeydClient
from corridor.keys.errors import TreeHeadRefused
from corridor.keys.keyring import Keyring
from corridor.keys.tests.test_keyd import Keyd, _start, _stop

pytestmark = pytest.mark.django_db


def _entries(count: int, capture: Callable[..., Any]) -> None:
    for number in range(count):
        with capture(execute=True):  # each entry commits on its own, as in a request
            log.record(actor=None, action=audit_name(f"test.step{number}"), obj=None)


def _rewrite_without(seq_removed: int) -> merkle.CompactTree:
    """What a worker would do: drop one entry, renumber the rest, rebuild every hash and the tree."""
    kept = [entry for entry in AuditEntry.objects.order_by("seq") if entry.seq != seq_removed]
    AuditEntry.objects.all().delete()
    Checkpoint.objects.all().delete()
    tree = merkle.CompactTree()
    for seq, entry in enumerate(kept):
        leaf = merkle.leaf_hash(
            encoding.leaf_bytes(
                seq, encoding.iso_time(entry.time), entry.actor_id, entry.action, entry.object_type, entry.object_id, bytes(entry.commitment)
            )
        )
        AuditEntry.objects.create(
            seq=seq,
            time=entry.time,
            actor_id=entry.actor_id,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            commitment=bytes(entry.commitment),
            details=bytes(entry.details),
            leaf_hash=leaf,
        )
        tree.append(leaf)
    TreeState.objects.filter(pk=TreeState.SINGLETON).update(
        size=tree.size,
        frontier=json.dumps([base64.b64encode(value).decode("ascii") for value in tree.to_state()]),
        checkpointed_size=0,
    )
    return tree


def _attack_and_check_refused(ring: Keyring, lift_triggers: Callable[[], Any], capture: Callable[..., Any]) -> None:
    """Six entries signed at size 6; the worker deletes entry 2 and tries every way to get it signed."""
    _entries(6, capture)
    signed = log.checkpoint()
    assert (signed.tree_size, ring.tree_head().size) == (6, 6)
    honest_root = bytes(signed.root)

    with lift_triggers():
        _rewrite_without(2)
        _entries(2, capture)  # the log grows past the signed size again: 7 entries

    # 1. The application's own path: a consistency proof from keyd's head cannot be built honestly.
    with pytest.raises(TreeHeadRefused, match="does not lead to root"):
        log.checkpoint()
    # 2. A proof computed over the rewritten leaves, from keyd's signed size.
    leaves = [bytes(v) for v in AuditEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    tree = merkle.CompactTree()
    for leaf in leaves:
        tree.append(leaf)
    forged_old = merkle.root_from_leaf_hashes(leaves[:6])
    with pytest.raises(TreeHeadRefused, match="proof starts elsewhere"):
        ring.sign_tree_head(6, forged_old, 7, tree.root(), merkle.consistency_proof(leaves, 6), tree.to_state())
    with pytest.raises(TreeHeadRefused, match="does not lead to root1"):
        ring.sign_tree_head(6, honest_root, 7, tree.root(), merkle.consistency_proof(leaves, 6), tree.to_state())
    # 3. Pretending nothing was ever signed.
    with pytest.raises(TreeHeadRefused, match="proof starts elsewhere"):
        ring.sign_tree_head(0, merkle.EMPTY_ROOT, 7, tree.root(), [], tree.to_state())
    # 4. Re-signing the same size with the rewritten root.
    with pytest.raises(TreeHeadRefused, match="proof starts elsewhere"):
        ring.sign_tree_head(6, forged_old, 6, forged_old, [], merkle.CompactTree.from_state(0, []).to_state())

    assert ring.tree_head().size == 6
    assert Checkpoint.objects.count() == 0
    # What the worker could not hide: keyd's head is not in the rewritten log.
    assert verify().first_problem == (
        "the log does not contain the last tree head the key service signed (size 6): entries were removed or rewritten"
    )


def _honest_append_is_signed(ring: Keyring, capture: Callable[..., Any]) -> None:
    _entries(6, capture)
    first = log.checkpoint()
    _entries(3, capture)
    second = log.checkpoint()
    assert (second.tree_size, second.previous_size, bytes(second.previous_root)) == (9, 6, bytes(first.root))
    assert ring.tree_head().size == 9
    report = verify()
    assert (report.problems, report.entries, report.checkpoints) == ([], 9, 2)


def test_a_worker_that_rewrites_the_log_cannot_get_it_signed(
    unsealed_keyring: Keyring, lift_triggers: Callable[[], Any], django_capture_on_commit_callbacks: Any
) -> None:
    _attack_and_check_refused(unsealed_keyring, lift_triggers, django_capture_on_commit_callbacks)


def test_an_honest_append_is_signed(unsealed_keyring: Keyring, django_capture_on_commit_callbacks: Any) -> None:
    _honest_append_is_signed(unsealed_keyring, django_capture_on_commit_callbacks)


def test_a_refused_checkpoint_does_not_fail_the_users_action(
    settings: Any,
    unsealed_keyring: Keyring,
    lift_triggers: Callable[[], Any],
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.AUDIT_CHECKPOINT_EVERY = 2
    _entries(4, django_capture_on_commit_callbacks)
    assert unsealed_keyring.tree_head().size == 4
    with lift_triggers():
        _rewrite_without(1)

    _entries(3, django_capture_on_commit_callbacks)  # each one due for a checkpoint, each refused

    assert AuditEntry.objects.count() == 6
    assert unsealed_keyring.tree_head().size == 4
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "corridor.audit.log"] == [
        ("CRITICAL", "audit checkpoint skipped: AuditError"),  # size 4 again, another root
        ("CRITICAL", "audit checkpoint skipped: TreeHeadRefused"),
        ("CRITICAL", "audit checkpoint skipped: TreeHeadRefused"),
    ]


def test_checkpoints_are_signed_only_after_commit(settings: Any, unsealed_keyring: Keyring, django_capture_on_commit_callbacks: Any) -> None:
    """A head signed inside a transaction that then rolled back could never be extended again."""
    settings.AUDIT_CHECKPOINT_EVERY = 1
    with django_capture_on_commit_callbacks(execute=False) as pending:
        log.record(actor=None, action=TestAudit.TICK, obj=None)
        assert unsealed_keyring.tree_head() is None
    assert len(pending) == 1


# -- over the real keyd socket ---------------------------------------------------------------


@pytest.fixture
def keyd_ring(settings: Any, tmp_path: Path) -> Iterator[tuple[KeydClient, Path, list[str], Keyd]]:
    """The web side talking to a real keyd process, as in production."""
    data_dir = tmp_path / "data"
    shares = service.initialize(data_dir, 5, 3)
    socket_path = tmp_path / "run" / "keyd.sock"
    daemon = _start(data_dir, socket_path)
    settings.DATA_DIR = data_dir
    settings.KEYRING = str(socket_path)
    instance.reset_for_tests()
    client = instance.keyring()
    assert isinstance(client, KeydClient)
    for share in shares[:3]:
        client.submit_share(share)
    try:
        yield client, data_dir, shares, daemon
    finally:
        _stop(daemon)
        instance.reset_for_tests()


def test_over_the_keyd_socket_a_rewrite_is_refused_even_after_a_restart(
    keyd_ring: tuple[KeydClient, Path, list[str], Keyd],
    lift_triggers: Callable[[], Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client, data_dir, shares, daemon = keyd_ring
    _attack_and_check_refused(client, lift_triggers, django_capture_on_commit_callbacks)

    # keyd restarts (the supervisor, or an attacker hoping it forgets): it starts sealed,
    # and once unsealed it still holds the head it signed, from its own file.
    assert "keyd: stopped" in _stop(daemon)
    client.close()
    restarted = _start(data_dir, daemon.socket_path)
    try:
        for share in shares[:3]:
            client.submit_share(share)
        assert client.tree_head().size == 6
        with pytest.raises(TreeHeadRefused):
            log.checkpoint()
        leaves = [bytes(v) for v in AuditEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)]
        tree = merkle.CompactTree()
        for leaf in leaves:
            tree.append(leaf)
        with pytest.raises(TreeHeadRefused):
            client.sign_tree_head(0, merkle.EMPTY_ROOT, tree.size, tree.root(), [], tree.to_state())
    finally:
        _stop(restarted)


def test_over_the_keyd_socket_an_honest_append_is_signed(
    keyd_ring: tuple[KeydClient, Path, list[str], Keyd], django_capture_on_commit_callbacks: Any
) -> None:
    _honest_append_is_signed(keyd_ring[0], django_capture_on_commit_callbacks)


# -- offline verification --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_verify_runs_offline_on_a_copy_with_no_key_service(unsealed_keyring: Keyring, tmp_path: Path, settings: Any) -> None:
    """An auditor copies the database and the keys folder to their machine; no keyd anywhere."""
    if connection.vendor != "sqlite":
        pytest.skip("copies the SQLite database file")
    settings.AUDIT_CHECKPOINT_EVERY = 4
    for number in range(10):
        log.record(actor=None, action=audit_name(f"test.step{number}"), obj=None)  # autocommit: checkpoints at 4 and 8
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [4, 8]
    fingerprint = encoding.key_fingerprint(unsealed_keyring.signing_public_key())

    copy = tmp_path / "auditor"
    (copy / "keys").mkdir(parents=True, mode=0o700)
    for name in ("keystore.json", "tree_head.json"):
        shutil.copy2(Path(settings.DATA_DIR) / "keys" / name, copy / "keys" / name)
    with sqlite3.connect(str(connection.settings_dict["NAME"])) as source, sqlite3.connect(str(copy / "db.sqlite3")) as target:
        source.backup(target)

    def run(pin: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DATABASE_URL", "DJANGO_SETTINGS"))}
        env.update(
            CORRIDOR_DATA_DIR=str(copy),
            CORRIDOR_KEYRING=str(copy / "run" / "no-keyd-here.sock"),
            DJANGO_SETTINGS_MODULE="corridor.settings",
        )
        if pin is not None:
            env["CORRIDOR_AUDIT_KEY_FINGERPRINT"] = pin
        command = [sys.executable, "-m", "corridor.cli", "audit", "verify", "--no-progress"]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603

    clean = run(fingerprint)
    assert (clean.returncode, clean.stdout) == (0, "audit log OK: 10 entries, 2 checkpoints\n"), clean.stderr
    assert not (copy / "run" / "no-keyd-here.sock").exists()

    unpinned = run(None)
    assert unpinned.returncode == 0
    assert f"checked with the key {fingerprint}, which is not pinned" in unpinned.stderr

    wrong_pin = run("0" * 64)
    assert (wrong_pin.returncode, wrong_pin.stdout) == (
        1,
        "audit log FAILED: the audit signing key on this server is not the pinned one (AUDIT_KEY_FINGERPRINT)\n",
    )

    with sqlite3.connect(str(copy / "db.sqlite3")) as db:
        db.execute("DROP TRIGGER audit_auditentry_no_update")
        db.execute("UPDATE audit_auditentry SET action = 'test.nothing' WHERE seq = 5")
    tampered = run(fingerprint)
    assert (tampered.returncode, tampered.stdout) == (1, "audit log FAILED: entry 5: stored leaf hash does not match its contents\n")


def test_an_instance_from_before_keyd_kept_heads_continues_its_chain(
    settings: Any, unsealed_keyring: Keyring, django_capture_on_commit_callbacks: Any
) -> None:
    """No head file yet (an upgraded instance): the first head extends the newest stored checkpoint."""
    _entries(5, django_capture_on_commit_callbacks)
    first = log.checkpoint()
    treehead.head_path(Path(settings.DATA_DIR)).unlink()
    _entries(4, django_capture_on_commit_callbacks)

    second = log.checkpoint()

    assert (second.tree_size, second.previous_size, bytes(second.previous_root)) == (9, 5, bytes(first.root))
    assert unsealed_keyring.tree_head().size == 9
    report = verify()
    assert (report.problems, report.checkpoints) == ([], 2)
