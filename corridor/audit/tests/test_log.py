"""Tests for writing the log: entries, tree state, details encryption and checkpoints."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from corridor.audit import encoding, log, merkle
from corridor.audit.models import AuditEntry, Checkpoint, TreeState
from corridor.audit.names import name as audit_name
from corridor.audit.tests.names_for_tests import TestAudit
from corridor.keys import crypto
from corridor.keys.errors import Sealed

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> object:
    return get_user_model().objects.create_user(username="ana", password="not-used-here-123", role="admin")


def test_record_appends_gapless_entries_and_matching_tree(staff: object) -> None:
    entries = [log.record(actor=staff, action=audit_name("user.update"), obj=staff) for _ in range(5)]
    entries.append(log.record(actor=None, action=audit_name("instance.unseal"), obj=None))

    assert [entry.seq for entry in entries] == [0, 1, 2, 3, 4, 5]
    first = AuditEntry.objects.get(seq=0)
    assert first.actor_id == staff.pk
    assert (first.object_type, first.object_id) == ("accounts.user", str(staff.pk))
    assert first.time.microsecond == 0
    system = AuditEntry.objects.get(seq=5)
    assert (system.actor_id, system.object_type, system.object_id) == (None, "", "")

    leaves = [bytes(value) for value in AuditEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)]
    expected_leaf = merkle.leaf_hash(
        encoding.leaf_bytes(0, encoding.iso_time(first.time), staff.pk, "user.update", "accounts.user", str(staff.pk), b"")
    )
    assert leaves[0] == expected_leaf
    state = TreeState.objects.get()
    assert state.size == 6
    tree = merkle.CompactTree.from_state(state.size, [base64.b64decode(h) for h in __import__("json").loads(state.frontier)])
    assert tree.root() == merkle.root_from_leaf_hashes(leaves)


def test_record_while_sealed_without_details(sealed_keyring: object) -> None:
    entry = log.record(actor=None, action=TestAudit.ARRIVAL, obj=None)

    assert entry.seq == 0
    assert bytes(AuditEntry.objects.get(seq=0).details) == b""
    assert bytes(AuditEntry.objects.get(seq=0).commitment) == b""


def test_record_with_details_while_sealed_raises_and_writes_nothing(sealed_keyring: object) -> None:
    with pytest.raises(Sealed):
        log.record(actor=None, action=audit_name("user.create"), obj=None, details={"role": "admin"})

    assert AuditEntry.objects.count() == 0


def test_details_are_encrypted_and_match_the_commitment(unsealed_keyring: object, staff: object) -> None:
    log.record(actor=staff, action=audit_name("user.create"), obj=staff, details={"role": "caseworker", "n": 3})
    entry = AuditEntry.objects.get(seq=0)

    assert log.open_details(entry) == {"n": 3, "role": "caseworker"}
    # The commitment is SHA-256(salt || canonical JSON), and the salt sits inside the ciphertext.
    assert len(bytes(entry.commitment)) == 32
    assert b"caseworker" not in bytes(entry.details)


def test_opening_details_fails_if_the_commitment_was_swapped(unsealed_keyring: object) -> None:
    log.record(actor=None, action=audit_name("user.create"), obj=None, details={"role": "a"})
    entry = AuditEntry.objects.get(seq=0)
    entry.commitment = hashlib.sha256(b"other").digest()

    with pytest.raises(crypto.DecryptionError):
        log.open_details(entry)


def test_planted_details_are_not_in_the_raw_database(unsealed_keyring: object, staff: object) -> None:
    planted = f"Planted-{uuid.uuid4().hex}"
    log.record(actor=staff, action=audit_name("user.create"), obj=staff, details={"name": planted})
    needles = [
        planted.encode("utf-8"),
        planted.lower().encode("utf-8"),
        planted.encode("utf-16-le"),
        base64.b64encode(planted.encode()),
        planted.encode().hex().encode(),
    ]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditentry")
        raw_rows = cursor.fetchall()
    cells = b"".join(
        bytes(cell) if isinstance(cell, bytes | memoryview) else str(cell).encode() for row in raw_rows for cell in row
    )
    assert len(raw_rows) == 1
    assert [needle for needle in needles if needle in cells] == []
    if connection.vendor == "sqlite":
        # The whole database file as it would be written to disk.
        image = connection.connection.serialize()
        assert [needle for needle in needles if needle in image] == []
    assert log.open_details(AuditEntry.objects.get(seq=0)) == {"name": planted}


def test_record_rejects_free_text_actions_and_unsaved_objects(staff: object) -> None:
    with pytest.raises(ValueError, match="registered"):
        log.record(actor=None, action="Ana Petrova logged in", obj=None)
    with pytest.raises(ValueError, match="saved"):
        log.record(actor=None, action=audit_name("user.create"), obj=get_user_model()(username="x"))
    assert AuditEntry.objects.count() == 0


def test_record_read_and_decision(unsealed_keyring: object, staff: object) -> None:
    log.record_read(staff, staff)
    log.record_decision(staff, staff, allowed=False, reason="not assigned to this case")
    log.record_decision(staff, staff, allowed=True, reason="")

    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["read", "access.deny", "access.allow"]
    assert log.open_details(AuditEntry.objects.get(seq=1)) == {"reason": "not assigned to this case"}
    assert log.open_details(AuditEntry.objects.get(seq=2)) is None


def test_entries_for_lists_an_objects_timeline(staff: object) -> None:
    other = get_user_model().objects.create_user(username="bo", password="not-used-here-123", role="auditor")
    log.record(actor=staff, action=audit_name("user.create"), obj=staff)
    log.record(actor=staff, action=audit_name("user.create"), obj=other)
    log.record(actor=staff, action=audit_name("user.update"), obj=staff)

    assert [e.seq for e in log.entries_for(staff)] == [0, 2]


def test_checkpoint_every_n_entries_when_unsealed(settings: object, unsealed_keyring: object, django_capture_on_commit_callbacks: Any) -> None:
    settings.AUDIT_CHECKPOINT_EVERY = 4
    for _ in range(9):
        with django_capture_on_commit_callbacks(execute=True):
            log.record(actor=None, action=TestAudit.TICK, obj=None)

    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [4, 8]
    leaves = [bytes(v) for v in AuditEntry.objects.filter(seq__lt=8).values_list("leaf_hash", flat=True)]
    eight = Checkpoint.objects.get(tree_size=8)
    assert bytes(eight.root) == merkle.root_from_leaf_hashes(leaves)
    assert (eight.previous_size, bytes(eight.previous_root)) == (4, bytes(Checkpoint.objects.get(tree_size=4).root))


def test_checkpoints_skipped_while_sealed_then_caught_up(
    settings: object, sealed_keyring: object, key_instance: object, django_capture_on_commit_callbacks: Any
) -> None:
    settings.AUDIT_CHECKPOINT_EVERY = 4
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            log.record(actor=None, action=TestAudit.TICK, obj=None)
    assert Checkpoint.objects.count() == 0

    for share in key_instance[1][:3]:
        sealed_keyring.submit_share(share)
    with django_capture_on_commit_callbacks(execute=True):
        log.record(actor=None, action=TestAudit.TICK, obj=None)

    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [6]


def test_checkpoint_on_demand(unsealed_keyring: object) -> None:
    empty = log.checkpoint()
    assert (empty.tree_size, bytes(empty.root)) == (0, merkle.EMPTY_ROOT)
    log.record(actor=None, action=TestAudit.TICK, obj=None)

    first = log.checkpoint()
    again = log.checkpoint()

    assert first.tree_size == 1
    assert again.pk == first.pk
    assert Checkpoint.objects.count() == 2


def test_checkpoint_on_demand_needs_unsealed(sealed_keyring: object) -> None:
    with pytest.raises(Sealed):
        log.checkpoint()
    assert Checkpoint.objects.count() == 0


def test_deleting_a_user_leaves_the_log_alone(staff: object) -> None:
    log.record(actor=staff, action=audit_name("user.create"), obj=staff)
    staff.delete()

    assert AuditEntry.objects.get(seq=0).actor_id is not None


def test_details_without_a_subject_use_the_months_audit_key(unsealed_keyring: Any) -> None:
    from django.utils import timezone

    from corridor.keys.models import DataKey

    log.record(actor=None, action=audit_name("instance.unseal"), obj=None)
    log.record(actor=None, action=audit_name("user.create"), obj=None, details={"role": "a"})
    log.record(actor=None, action=audit_name("user.create"), obj=None, details={"role": "b"})
    period = DataKey.objects.get(purpose="audit-" + timezone.now().strftime("%Y-%m"))
    for seq in (1, 2):
        box = bytes(AuditEntry.objects.get(seq=seq).details)
        assert box[:1] == b"\x02"
        assert str(period.pk).encode() in box
    # A DataKey row: rotation re-wraps it although the entries are INSERT-only.
    assert log.open_details(AuditEntry.objects.get(seq=2)) == {"role": "b"}


def test_details_under_the_subjects_data_key_die_with_it(unsealed_keyring: Any, staff: Any) -> None:
    from corridor.keys.models import DataKey, Shredded

    planted = f"Planted-{uuid.uuid4().hex}"
    staff.data_key = DataKey.create("person")  # duck-typed: any object with a DataKey in .data_key
    log.record(actor=staff, action=audit_name("person.update"), obj=staff, details={"name": planted})
    entry = AuditEntry.objects.get(seq=0)

    assert bytes(entry.details)[:1] == b"\x02"
    assert planted.encode() not in bytes(entry.details)
    assert log.open_details(entry) == {"name": planted}

    staff.data_key.shred(actor=None)

    with pytest.raises(Shredded):
        log.open_details(AuditEntry.objects.get(seq=0))
