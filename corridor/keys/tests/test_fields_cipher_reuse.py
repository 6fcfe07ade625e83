"""One cipher per data key, reused across a record's fields and a batch's keys: it never crosses
from one record's key to another's, on save, on preload (with or without the DataKey joined) and
in the key service's batch unwrap."""

from __future__ import annotations

import uuid

import pytest

from corridor.keys import crypto, instance
from corridor.keys.errors import DecryptionError, UnknownEpoch
from corridor.keys.fields import preload_keys
from corridor.keys.models import DataKey
from corridor.keys.tests.columns import overwrite, stored
from corridor.keys.tests.testapp.models import Person

pytestmark = pytest.mark.django_db


def _aad(person: Person, column: str) -> bytes:
    return f"keys_testapp_person|{column}|{person.pk}|{person.data_key_id}".encode()


def _plain_key(data_key_id: uuid.UUID) -> bytes:
    return DataKey.objects.get(pk=data_key_id).plain_key()


@pytest.mark.parametrize("joined", [False, True], ids=["by_id", "select_related"])
def test_a_value_under_record_a_key_fails_as_record_b_after_preload(joined: bool) -> None:
    a = Person.objects.create(name="a", codename="1")
    b = Person.objects.create(name="b", codename="2")
    assert a.data_key_id != b.data_key_id
    # Everything of B's place (table, column, pk, key id) except the key: under A's key.
    # Only B's own key tells it apart, so a cipher carried over from A would open it.
    forged = crypto.encrypt(_plain_key(a.data_key_id), b"forged", _aad(b, "name"))
    overwrite(b.pk, "name", forged)
    rows = Person.objects.filter(pk__in=[a.pk, b.pk]).order_by("codename")  # A first
    loaded = list(rows.select_related("data_key") if joined else rows)
    preload_keys(loaded)
    assert [p.codename for p in loaded] == ["1", "2"]
    assert loaded[0].name == "a"
    with pytest.raises(DecryptionError):
        _ = loaded[1].name
    assert loaded[1].other_name is None  # B's other fields still read under B's own key


def test_a_bulk_save_encrypts_each_record_under_its_own_key_and_place() -> None:
    keys = DataKey.create_many("test", 3)
    people = Person.objects.bulk_create([Person(data_key=k, name=f"p{i}", other_name=f"o{i}") for i, k in enumerate(keys)])
    for i, person in enumerate(people):
        own = _plain_key(person.data_key_id)
        for column, value in (("name", f"p{i}"), ("other_name", f"o{i}")):
            blob = stored(person.pk, column)
            assert crypto.decrypt(own, blob, _aad(person, column)) == value.encode()
            for other in people:
                if other is not person:
                    with pytest.raises(DecryptionError):
                        crypto.decrypt(_plain_key(other.data_key_id), blob, _aad(person, column))


def test_a_record_given_another_key_is_encrypted_under_the_new_key_only() -> None:
    person = Person.objects.create(name="first")
    old_key_id = person.data_key_id
    _ = person.name  # the binding memo now holds the old key's cipher
    person.data_key = DataKey.create("test")
    person.save()
    blob = stored(person.pk, "name")
    assert crypto.decrypt(_plain_key(person.data_key_id), blob, _aad(person, "name")) == b"first"
    old_aad = f"keys_testapp_person|name|{person.pk}|{old_key_id}".encode()
    with pytest.raises(DecryptionError):
        crypto.decrypt(_plain_key(old_key_id), blob, old_aad)
    with pytest.raises(DecryptionError):
        crypto.decrypt(_plain_key(old_key_id), blob, _aad(person, "name"))


def test_a_batch_unwrap_binds_each_key_to_its_own_context_and_epoch() -> None:
    ring = instance.keyring()
    pairs = ring.generate_data_keys(["ctx|1", "ctx|2"])
    (w1, w2) = (wrapped for _plain, wrapped in pairs)
    assert ring.unwrap([(w1, "ctx|1"), (w2, "ctx|2")]) == [plain for plain, _wrapped in pairs]
    # The second item under the first one's context: one cipher for the batch's epoch, and still
    # each item's own associated data decides.
    with pytest.raises(DecryptionError):
        ring.unwrap([(w1, "ctx|1"), (w2, "ctx|1")])
    unknown = (999).to_bytes(4, "big") + w2[4:]
    with pytest.raises(UnknownEpoch):
        ring.unwrap([(w1, "ctx|1"), (unknown, "ctx|2")])
