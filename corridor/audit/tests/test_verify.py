"""Tests for `verify`: a clean log passes, and each kind of tampering is found and named.

Tampering goes around the triggers, as someone holding the database file would.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from corridor.audit import encoding, log, merkle
from corridor.audit.models import AuditEntry, Checkpoint, TreeState
from corridor.audit.names import name as audit_name
from corridor.audit.tests import names_for_tests  # noqa: F401 -- declares the test names
from corridor.audit.verify import verify
from corridor.keys import treehead

pytestmark = pytest.mark.django_db


@pytest.fixture
def ten_entries(settings: Any, unsealed_keyring: Any, django_capture_on_commit_callbacks: Any) -> None:
    """Entries 0..9 with signed checkpoints at sizes 4 and 8; 8 and 9 are not yet signed."""
    settings.AUDIT_CHECKPOINT_EVERY = 4
    for number in range(10):
        # Each entry commits on its own, as in a request; checkpoints are signed on commit.
        with django_capture_on_commit_callbacks(execute=True):
            log.record(actor=None, action=audit_name(f"test.step{number}"), obj=None)
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [4, 8]


def _recomputed_leaf(seq: int) -> bytes:
    entry = AuditEntry.objects.get(seq=seq)
    return merkle.leaf_hash(
        encoding.leaf_bytes(
            entry.seq,
            encoding.iso_time(entry.time),
            entry.actor_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            bytes(entry.commitment),
        )
    )


def test_clean_log_verifies(ten_entries: None) -> None:
    seen: list[tuple[int, int]] = []

    report = verify(progress=lambda done, total: seen.append((done, total)))

    assert report.problems == []
    assert (report.ok, report.entries, report.checkpoints, report.uncovered) == (True, 10, 2, 2)
    assert report.summary() == "audit log OK: 10 entries, 2 checkpoints"
    assert seen[-1] == (10, 10)


def test_empty_log_verifies(sealed_keyring: Any) -> None:
    report = verify()

    assert (report.ok, report.entries, report.checkpoints, report.uncovered) == (True, 0, 0, 0)


def test_verify_works_while_sealed(ten_entries: None, unsealed_keyring: Any) -> None:
    unsealed_keyring.seal()
    assert unsealed_keyring.status().sealed is True

    report = verify()

    assert report.problems == []
    assert report.entries == 10


def test_small_chunks_stream_the_same_result(ten_entries: None) -> None:
    report = verify(chunk_size=3)

    assert (report.ok, report.entries) == (True, 10)


def test_altered_action_names_the_entry(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        AuditEntry.objects.filter(seq=6).update(action="test.innocent")

    report = verify()

    assert report.ok is False
    assert report.first_problem == "entry 6: stored leaf hash does not match its contents"
    assert report.first_bad_seq == 6


def test_altered_row_with_recomputed_leaf_hash_fails_at_the_next_checkpoint(
    ten_entries: None, lift_triggers: Callable[[], Any]
) -> None:
    with lift_triggers():
        AuditEntry.objects.filter(seq=5).update(action="test.innocent")
        AuditEntry.objects.filter(seq=5).update(leaf_hash=_recomputed_leaf(5))

    report = verify()

    assert report.first_problem == (
        "checkpoint at size 8: root does not match entries 0..7 "
        "(entries 0..3 match the checkpoint at size 4, so the change is among entries 4..7)"
    )


def test_uncovered_entry_rewritten_consistently_is_caught_by_the_tree_state(
    ten_entries: None, lift_triggers: Callable[[], Any]
) -> None:
    with lift_triggers():
        AuditEntry.objects.filter(seq=9).update(action="test.innocent")
        AuditEntry.objects.filter(seq=9).update(leaf_hash=_recomputed_leaf(9))

    report = verify()

    assert report.first_problem == "the stored tree state does not match entries 8..9"


def test_deleted_entry_is_named(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        AuditEntry.objects.filter(seq=3).delete()

    report = verify()

    assert report.first_problem == "entry 3 is missing (seq jumps from 2 to 4)"
    assert report.first_bad_seq == 3


def test_deleted_first_entry_is_named(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        AuditEntry.objects.filter(seq=0).delete()

    assert verify().first_problem == "entry 0 is missing (the log starts at seq 1)"


def test_swapped_entries_are_named(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        AuditEntry.objects.filter(seq=2).update(seq=-1)
        AuditEntry.objects.filter(seq=7).update(seq=2)
        AuditEntry.objects.filter(seq=-1).update(seq=7)

    report = verify()

    assert report.first_problem == "entry 2: stored leaf hash does not match its contents"
    assert report.first_bad_seq == 2


def test_removed_tail_with_rolled_back_tree_state_is_caught_by_a_checkpoint(
    ten_entries: None, lift_triggers: Callable[[], Any]
) -> None:
    # The attacker removes entries 6..9 and makes the tree state describe six entries.
    tree = merkle.CompactTree()
    for leaf in AuditEntry.objects.filter(seq__lt=6).values_list("leaf_hash", flat=True):
        tree.append(bytes(leaf))
    with lift_triggers():
        AuditEntry.objects.filter(seq__gte=6).delete()
        state = TreeState.objects.get()
        state.size = 6
        state.frontier = __import__("json").dumps([__import__("base64").b64encode(h).decode() for h in tree.to_state()])
        state.save()

    report = verify()

    assert report.first_problem == "checkpoint at size 8: the log has only 6 entries, so entries 6..7 were removed"


def test_removed_tail_is_caught_by_the_tree_state(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        AuditEntry.objects.filter(seq=9).delete()

    assert verify().first_problem == "entries 9..9 are missing (the tree state records 10 entries)"


def test_altered_checkpoint_signature_fails(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    signature = bytearray(Checkpoint.objects.get(tree_size=4).signature)
    signature[0] ^= 1
    with lift_triggers():
        Checkpoint.objects.filter(tree_size=4).update(signature=bytes(signature))

    report = verify()

    assert report.problems == ["checkpoint at size 4: signature does not verify"]


def test_altered_checkpoint_root_fails_its_signature(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        Checkpoint.objects.filter(tree_size=8).update(root=bytes(32))

    report = verify()

    assert report.first_problem == "checkpoint at size 8: signature does not verify"


def test_removed_checkpoint_breaks_the_chain(ten_entries: None, settings: Any, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        Checkpoint.objects.filter(tree_size=4).delete()

    report = verify()

    assert report.first_problem == (
        "checkpoint at size 8: it was signed after a checkpoint at size 4, which is missing or differs"
    )


def test_checkpoint_signed_by_another_key_fails(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers():
        Checkpoint.objects.filter(tree_size=4).update(key_fingerprint="ab" * 32)

    assert verify().first_problem == "checkpoint at size 4 was signed by another key (abababababababab)"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ALTER TABLE ... DISABLE TRIGGER is PostgreSQL's")
def test_disabled_triggers_on_postgresql_do_not_hide_tampering(ten_entries: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE audit_auditentry SET object_id = '42' WHERE seq = 1")
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")

    assert verify().first_problem == "entry 1: stored leaf hash does not match its contents"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite stores a value of another type in a column")
def test_wrongly_typed_field_is_reported_not_raised(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    with lift_triggers(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET time = 'yesterday' WHERE seq = 2")
        cursor.execute("UPDATE audit_auditentry SET commitment = 'text' WHERE seq = 3")

    assert verify().first_problem == "entry 2: a field has a value of the wrong type"


def test_deleting_every_checkpoint_then_rewriting_the_log_fails(
    ten_entries: None, settings: Any, lift_triggers: Callable[[], Any]
) -> None:
    """The attack from review: drop the checkpoints, rewrite an entry and the tree state."""
    settings.AUDIT_MAX_UNCOVERED = 4
    with lift_triggers():
        Checkpoint.objects.all().delete()
        AuditEntry.objects.filter(seq=2).update(action="test.innocent")
        AuditEntry.objects.filter(seq=2).update(leaf_hash=_recomputed_leaf(2))
        tree = merkle.CompactTree()
        for leaf in AuditEntry.objects.order_by("seq").values_list("leaf_hash", flat=True):
            tree.append(bytes(leaf))
        state = TreeState.objects.get()
        state.frontier = json.dumps([base64.b64encode(h).decode() for h in tree.to_state()])
        state.save()

    report = verify()

    assert not report.ok
    assert "not covered by any signed checkpoint" in " ".join(report.problems)


def test_a_pinned_fingerprint_catches_a_swapped_signing_key(ten_entries: None, settings: Any) -> None:
    settings.AUDIT_KEY_FINGERPRINT = "0" * 64
    report = verify()
    assert not report.ok
    assert "not the pinned one" in " ".join(report.problems)


def _roll_back_to(size: int) -> None:
    """What an attacker holding the database does: drop the tail, its checkpoints, fix the state."""
    tree = merkle.CompactTree()
    for leaf in AuditEntry.objects.filter(seq__lt=size).order_by("seq").values_list("leaf_hash", flat=True):
        tree.append(bytes(leaf))
    AuditEntry.objects.filter(seq__gte=size).delete()
    Checkpoint.objects.filter(tree_size__gt=size).delete()
    state = TreeState.objects.get()
    state.size = size
    state.checkpointed_size = min(state.checkpointed_size, size)
    state.frontier = json.dumps([base64.b64encode(h).decode() for h in tree.to_state()])
    state.save()


def test_a_tree_head_saved_elsewhere_catches_a_rolled_back_log(
    ten_entries: None, lift_triggers: Callable[[], Any]
) -> None:
    from corridor.audit.verify import check_tree_heads, parse_tree_head

    saved = Checkpoint.objects.get(tree_size=8)
    head = parse_tree_head(f"8:{bytes(saved.root).hex()}")
    with lift_triggers():
        _roll_back_to(4)

    # The key service's own record of the last head it signed catches it by itself...
    assert verify().first_problem == (
        "the log does not contain the last tree head the key service signed (size 8): entries were removed or rewritten"
    )
    # ...and without it (a copy without keyd's file) the database alone tells a consistent, shorter story.
    treehead.head_path(Path(django_settings.DATA_DIR)).unlink()
    report = verify()
    assert report.ok
    check_tree_heads(report, [head])
    assert report.first_problem == (
        "the log has 4 entries, but a tree head saved off this server has size 8: entries were removed"
    )


def test_a_tree_head_catches_a_rewritten_prefix(ten_entries: None, lift_triggers: Callable[[], Any]) -> None:
    from corridor.audit.verify import check_tree_heads

    head = (4, bytes(Checkpoint.objects.get(tree_size=4).root))
    with lift_triggers():
        Checkpoint.objects.all().delete()
        AuditEntry.objects.filter(seq=1).update(action="test.innocent")
        AuditEntry.objects.filter(seq=1).update(leaf_hash=_recomputed_leaf(1))
    report = verify()
    check_tree_heads(report, [head])
    assert "entries 0..3 do not match the tree head saved off this server at size 4" in report.problems


def test_the_head_command_prints_what_verify_accepts(ten_entries: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("audit", "head", stdout=out)
    head = out.getvalue().strip()
    assert head == f"8:{bytes(Checkpoint.objects.get(tree_size=8).root).hex()}"
    result = StringIO()
    call_command("audit", "verify", "--no-progress", "--tree-head", head, stdout=result)
    assert result.getvalue().startswith("audit log OK")
