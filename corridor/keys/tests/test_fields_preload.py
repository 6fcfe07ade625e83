"""preload_keys on rows fetched without their DataKey: one query, one keyring call, and every
binding (row, column, key), failure and shred rule of the encrypted fields still holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corridor.keys import crypto, instance
from corridor.keys.errors import DecryptionError
from corridor.keys.fields import Ciphertext, EncryptedFieldError, preload_keys
from corridor.keys.models import DataKey, Shredded
from corridor.keys.tests.columns import overwrite, stored
from corridor.keys.tests.testapp.models import Note, Person

pytestmark = pytest.mark.django_db


def _count_unwraps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    ring = instance.keyring()
    real_unwrap = ring.unwrap

    def counting(items: Any) -> list[bytes]:
        calls.append(len(items))
        return real_unwrap(items)

    monkeypatch.setattr(ring, "unwrap", counting)
    return calls


def test_rows_without_their_key_preload_in_one_query_and_one_unwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    people = [Person.objects.create(name=f"p{i}", other_name=None) for i in range(5)]
    calls = _count_unwraps(monkeypatch)
    loaded = list(Person.objects.filter(pk__in=[p.pk for p in people]))  # no select_related
    with CaptureQueriesContext(connection) as preloading:
        preload_keys(loaded)
    with CaptureQueriesContext(connection) as reading:
        names = sorted(p.name for p in loaded)
    assert names == [f"p{i}" for i in range(5)]
    assert calls == [5]
    # Before: one query per row to fetch its DataKey object. Now: one for the whole batch.
    assert len(preloading.captured_queries) == 1
    assert len(reading.captured_queries) == 0
    assert [p.other_name for p in loaded] == [None] * 5


def test_preloaded_rows_still_bind_each_ciphertext_to_its_row() -> None:
    victim = Person.objects.create(name="secret")
    other = Person.objects.create(name="other", data_key=victim.data_key)  # same key, other row
    Person.objects.filter(pk=other.pk).update(name=Ciphertext(stored(victim.pk, "name")))
    loaded = list(Person.objects.filter(pk__in=[victim.pk, other.pk]).order_by("codename", "pk"))
    preload_keys(loaded)
    by_pk = {p.pk: p for p in loaded}
    assert by_pk[victim.pk].name == "secret"
    with pytest.raises(DecryptionError):
        _ = by_pk[other.pk].name


def test_preloaded_rows_still_bind_each_ciphertext_to_its_column() -> None:
    person = Person.objects.create(name="secret", other_name="x")
    overwrite(person.pk, "other_name", stored(person.pk, "name"))
    (loaded,) = Person.objects.filter(pk=person.pk)
    preload_keys([loaded])
    assert loaded.name == "secret"
    with pytest.raises(DecryptionError):
        _ = loaded.other_name


def test_tampered_ciphertext_raises_after_preload_by_id() -> None:
    person = Person.objects.create(name="secret")
    blob = bytearray(stored(person.pk, "name"))
    blob[-1] ^= 0x01  # one bit of the tag
    overwrite(person.pk, "name", bytes(blob))
    (loaded,) = Person.objects.filter(pk=person.pk)
    preload_keys([loaded])
    with pytest.raises(DecryptionError):
        _ = loaded.name
    assert loaded.__dict__["name"] is not blob  # nothing but the exception came back


def test_a_shredded_key_is_skipped_by_preload_and_reading_raises() -> None:
    person = Person.objects.create(name="gone")
    assert person.data_key is not None
    person.data_key.shred(actor=None)
    (loaded,) = Person.objects.filter(pk=person.pk)
    preload_keys([loaded])
    with pytest.raises(Shredded):
        _ = loaded.name


def test_shredding_through_a_preloaded_row_drops_its_key() -> None:
    person = Person.objects.create(name="gone", other_name="also gone")
    (loaded,) = Person.objects.filter(pk=person.pk)
    preload_keys([loaded])
    assert loaded.name == "gone"
    loaded.data_key.shred(actor=None)  # fetches the DataKey object through the row
    with pytest.raises(Shredded):
        _ = loaded.other_name


def test_rows_under_a_dotted_key_path_still_preload() -> None:
    person = Person.objects.create(name="parent")
    note = Note.objects.create(person=person, body="child")
    loaded = list(Note.objects.filter(pk=note.pk).select_related("person__data_key"))
    preload_keys(loaded)
    assert loaded[0].body == "child"


def test_the_column_value_is_exact_bytes_and_plaintext_is_still_refused() -> None:
    field = Person._meta.get_field("name")
    blob = crypto.encrypt(crypto.random_key(), b"x", b"aad")
    value = field.get_db_prep_save(Ciphertext(blob), connection)
    assert type(value) is bytes
    assert value == blob
    with pytest.raises(EncryptedFieldError):
        field.get_db_prep_save("plaintext", connection)
    with pytest.raises(EncryptedFieldError):
        Person.objects.update(photo=b"plaintext bytes")


def test_a_bulk_save_never_repeats_a_nonce() -> None:
    keys = DataKey.create_many("test", 50)
    Person.objects.bulk_create([Person(data_key=k, name="same", other_name="same") for k in keys])
    blobs = [stored(p.pk, c) for p in Person.objects.all() for c in ("name", "other_name")]
    nonces = {blob[1 : 1 + crypto.NONCE_BYTES] for blob in blobs}
    assert len(blobs) == 100
    assert len(nonces) == 100
