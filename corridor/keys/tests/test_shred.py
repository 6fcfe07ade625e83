"""Deletion is real: shredded keys stay unreadable after unsealing, and destroyed epochs
make old backups of wrapped keys useless (Invariant 7)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from corridor.audit.models import AuditEntry
from corridor.keys import blind, files, instance
from corridor.keys.epochs import purge
from corridor.keys.errors import UnknownEpoch
from corridor.keys.models import BlindIndexEntry, DataKey, EncryptedFile, Shredded
from corridor.keys.tests.testapp.fixtures import own_shares, unseal  # noqa: F401 -- fixture
from corridor.keys.tests.testapp.models import Person

pytestmark = pytest.mark.django_db

NAME = blind.BlindIndex("test.shred.name", bits=32, expected_records=1000, budget="32 bits, 1e3 rows: 2.3e-7 per lookup")


def test_shredded_person_is_unreadable_even_after_unsealing_again(shares: list[str], django_capture_on_commit_callbacks: Any) -> None:
    person = Person.objects.create(name="Магомед", details={"where": "Грозный"})
    blind.index_values(person, NAME, [person.name])
    stored = files.store_encrypted(io.BytesIO(b"photo"), person.data_key, "photo")
    with django_capture_on_commit_callbacks(execute=True):  # the files go when the shred commits
        person.data_key.shred(actor=None)

    assert bytes(DataKey.objects.get(pk=person.data_key_id).wrapped) == b""
    assert BlindIndexEntry.objects.filter(data_key_id=person.data_key_id).count() == 0
    assert blind.lookup(NAME, "Magomed", Person) == []
    assert EncryptedFile.objects.filter(pk=stored.id).count() == 0
    assert not stored.path.exists()
    entries = list(AuditEntry.objects.filter(action="datakey.shred").values_list("object_id", flat=True))
    assert entries == [str(person.data_key_id)]

    ring = instance.keyring()
    ring.seal()
    unseal(ring, shares)
    loaded = Person.objects.get(pk=person.pk)
    with pytest.raises(Shredded):
        _ = loaded.name
    with pytest.raises(Shredded):
        _ = loaded.details


def test_shred_twice_writes_one_audit_entry() -> None:
    key = DataKey.create("person")
    key.shred(actor=None)
    key.shred(actor=None)
    assert AuditEntry.objects.filter(action="datakey.shred", object_id=str(key.pk)).count() == 1
    with pytest.raises(Shredded):
        key.plain_key()


def test_rotate_rewrap_purge_makes_old_backup_blobs_useless(own_shares: list[str]) -> None:  # noqa: F811
    people = [Person.objects.create(name=f"человек {i}") for i in range(7)]
    shredded = Person.objects.create(name="erased")
    backup = {dk.pk: (bytes(dk.wrapped), dk.context) for dk in DataKey.objects.all()}
    assert {DataKey.objects.get(pk=p).epoch for p in backup} == {1}
    shredded.data_key.shred(actor=None)

    call_command("rotate", batch=3, stdout=io.StringIO())
    ring = instance.keyring()
    assert ring.status().current_epoch == 2
    assert set(DataKey.objects.filter(shredded__isnull=True).values_list("epoch", flat=True)) == {2}
    # Still readable after the re-wrap (new instances: nothing memoised).
    assert sorted(Person.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)) == sorted(
        p.pk for p in people
    )
    assert {Person.objects.get(pk=p.pk).name for p in people} == {f"человек {i}" for i in range(7)}
    # A backup's old blob still opens until epoch 1 is destroyed.
    old_blob, old_context = backup[people[0].data_key_id]
    assert ring.unwrap([(old_blob, old_context)])[0] == DataKey.objects.get(pk=people[0].data_key_id).plain_key()

    assert purge(35) == {"retired": [1], "destroyed": []}  # inside the backup window: kept
    assert purge(0) == {"retired": [], "destroyed": [1]}
    assert [e.version for e in ring.epochs()] == [2]
    for blob, context in backup.values():
        with pytest.raises(UnknownEpoch):
            ring.unwrap([(blob, context)])

    # A restored old row (the backup's wrapped key put back) cannot be read either.
    DataKey.objects.filter(pk=shredded.data_key_id).update(wrapped=backup[shredded.data_key_id][0], epoch=1, shredded=None)
    ring.seal()
    unseal(ring, own_shares)
    with pytest.raises(UnknownEpoch):
        _ = Person.objects.get(pk=shredded.pk).name


def test_rotate_is_resumable_and_purge_keeps_used_epochs(own_shares: list[str]) -> None:  # noqa: F811
    Person.objects.create(name="a")
    ring = instance.keyring()
    ring.rotate()  # rotated, but the re-wrap "crashed" before it ran
    assert purge(0) == {"retired": [], "destroyed": []}  # epoch 1 is still in use
    out = io.StringIO()
    call_command("rotate", no_new_epoch=True, stdout=out)
    assert "re-wrapped 1 data keys under epoch 2" in out.getvalue()
    out = io.StringIO()
    call_command("rotate", no_new_epoch=True, stdout=out)
    assert "re-wrapped 0 data keys" in out.getvalue()
