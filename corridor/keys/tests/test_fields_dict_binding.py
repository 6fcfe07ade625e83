"""Fields read the row's pk and key id from __dict__ (e9e3e4b): a ciphertext moved to another row
still fails there however the row is loaded (.only(), .defer(), select_related, after bulk_create,
under the same or another key), and a pk or key id changed after load binds the new place (review rev2)."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from corridor.keys.errors import DecryptionError
from corridor.keys.fields import EncryptedFieldError
from corridor.keys.models import DataKey
from corridor.keys.tests.columns import overwrite, stored
from corridor.keys.tests.testapp.models import Person

pytestmark = pytest.mark.django_db


def _swap_fails(a: Person, b: Person) -> None:
    overwrite(b.pk, "name", stored(a.pk, "name"))
    for qs in (
        Person.objects.all(),
        Person.objects.only("id", "data_key", "name"),
        Person.objects.defer("name"),
        Person.objects.only("name"),
        Person.objects.select_related("data_key"),
    ):
        got = qs.get(pk=b.pk)
        with pytest.raises(DecryptionError):
            _ = got.name
        assert qs.get(pk=a.pk).name == "a"


def test_a_value_moved_to_another_row_fails_after_create() -> None:
    a = Person.objects.create(name="a")
    b = Person.objects.create(name="b")
    _swap_fails(a, b)


def test_a_value_moved_to_another_row_fails_after_bulk_create() -> None:
    keys = DataKey.create_many("test", 2)
    a, b = Person.objects.bulk_create([Person(data_key=keys[0], name="a"), Person(data_key=keys[1], name="b")])
    _swap_fails(a, b)


def test_a_value_moved_to_a_row_under_the_same_key_fails() -> None:
    key = DataKey.create_many("test", 1)[0]
    a, b = Person.objects.bulk_create([Person(data_key=key, name="a"), Person(data_key=key, name="b")])
    _swap_fails(a, b)


def test_deferred_refreshed_copied_and_updated_rows_keep_their_binding() -> None:
    a = Person.objects.create(name="a")
    b = Person.objects.create(name="b")
    got = Person.objects.only("id").get(pk=a.pk)
    assert got.name == "a"  # deferred load
    got.refresh_from_db()
    assert got.name == "a"
    # A copy under a new pk: re-encrypted for the new place, the old place's blob refused there.
    got = Person.objects.get(pk=a.pk)
    assert got.name == "a"
    got.pk = uuid.uuid4()
    got._state.adding = True
    got.save()
    assert Person.objects.get(pk=got.pk).name == "a"
    overwrite(got.pk, "name", stored(b.pk, "name"))
    with pytest.raises(DecryptionError):
        _ = Person.objects.get(pk=got.pk).name
    # update() of plaintext is refused; a queryset update to a key id makes the value unreadable.
    with pytest.raises(EncryptedFieldError), transaction.atomic():
        Person.objects.filter(pk=a.pk).update(name="plain")
    Person.objects.filter(pk=a.pk).update(data_key=b.data_key)
    with pytest.raises(DecryptionError):
        _ = Person.objects.get(pk=a.pk).name


def test_a_key_id_assigned_after_a_read_encrypts_under_the_new_key() -> None:
    a = Person.objects.create(name="a")
    b = Person.objects.create(name="b")
    loaded = Person.objects.get(pk=a.pk)
    assert loaded.name == "a"
    loaded.data_key_id = b.data_key_id
    loaded.name = "moved"
    loaded.save()
    fresh = Person.objects.get(pk=a.pk)
    assert fresh.data_key_id == b.data_key_id
    assert fresh.name == "moved"
