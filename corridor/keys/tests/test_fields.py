"""Encrypted model fields: round trips, binding to row and column, nothing in clear at rest."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import connection

from corridor.keys import instance
from corridor.keys.errors import DecryptionError, Sealed
from corridor.keys.fields import Ciphertext, EncryptedFieldError, preload_keys
from corridor.keys.models import DataKey
from corridor.keys.tests.testapp.fixtures import unseal
from corridor.keys.tests.testapp.models import Note, Person

pytestmark = pytest.mark.django_db

PLANTED = "Zelimkhan-Planted-7f3a"


def _raw(table: str, column: str, pk: uuid.UUID) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])  # noqa: S608 -- fixed names
        (value,) = cursor.fetchone()
    return None if value is None else bytes(value)


@pytest.mark.parametrize(
    "name",
    ["Магомед Хасанов", "Zelimkhan", "🏳️‍🌈 emoji", "", "a" * 10_000, "Ӏалин\nline two\t\x00nul"],
)
def test_text_round_trip(name: str) -> None:
    person = Person.objects.create(name=name)
    assert Person.objects.get(pk=person.pk).name == name


def test_json_date_binary_round_trip() -> None:
    details = {"документы": ["внутренний паспорт"], "n": 3, "ok": True, "none": None, "emoji": "🙂"}
    person = Person.objects.create(details=details, born=datetime.date(1991, 2, 28), photo=b"\x00\xffJFIF")
    loaded = Person.objects.get(pk=person.pk)
    assert loaded.details == details
    assert loaded.born == datetime.date(1991, 2, 28)
    assert loaded.photo == b"\x00\xffJFIF"


def test_date_accepts_iso_string_and_rejects_garbage() -> None:
    person = Person(born="2001-09-11")
    assert person.born == datetime.date(2001, 9, 11)
    with pytest.raises(Exception, match="valid date"):
        Person(born="yesterday")


def test_none_is_null_and_empty_string_is_encrypted() -> None:
    person = Person.objects.create(name="", other_name=None)
    assert _raw("keys_testapp_person", "other_name", person.pk) is None
    raw_empty = _raw("keys_testapp_person", "name", person.pk)
    assert raw_empty is not None and raw_empty[:1] == b"\x01" and len(raw_empty) == 1 + 12 + 16
    loaded = Person.objects.get(pk=person.pk)
    assert (loaded.name, loaded.other_name) == ("", None)
    assert list(Person.objects.filter(other_name__isnull=True).values_list("pk", flat=True)) == [person.pk]


def test_a_data_key_is_created_on_first_save() -> None:
    person = Person.objects.create(name="x")
    assert person.data_key is not None
    assert person.data_key.purpose == "person"
    assert DataKey.objects.filter(pk=person.data_key_id).count() == 1


def test_save_refresh_and_update_fields() -> None:
    person = Person.objects.create(name="before", other_name="keep")
    person.name = "after"
    person.save(update_fields=["name"])
    person.refresh_from_db()
    assert (person.name, person.other_name) == ("after", "keep")
    fresh = Person.objects.get(pk=person.pk)
    fresh.codename = "kestrel"
    fresh.save()  # encrypted fields never read: their ciphertext is written back as it was
    again = Person.objects.get(pk=person.pk)
    assert (again.codename, again.name, again.other_name) == ("kestrel", "after", "keep")


def test_deferred_field_loads_on_access() -> None:
    person = Person.objects.create(name="deferred")
    only = Person.objects.only("codename").get(pk=person.pk)
    assert only.name == "deferred"


def test_child_record_uses_parent_key_through_dotted_path() -> None:
    person = Person.objects.create(name="parent")
    note = Note.objects.create(person=person, body="Ночёвка у Ӏалы")
    loaded = Note.objects.select_related("person__data_key").get(pk=note.pk)
    assert loaded.body == "Ночёвка у Ӏалы"
    assert DataKey.objects.count() == 1


def test_raw_column_holds_no_plaintext() -> None:
    person = Person.objects.create(name=PLANTED, details={"where": PLANTED})
    for column in ("name", "details"):
        raw = _raw("keys_testapp_person", column, person.pk)
        assert raw is not None
        assert PLANTED.encode() not in raw
        assert PLANTED.lower().encode() not in raw.lower()


@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="reads the SQLite database file")
def test_sqlite_file_holds_no_plaintext(transactional_db: None) -> None:
    # Committed for real (transactional_db), so the rows are in the file or its WAL.
    Person.objects.create(name=PLANTED, other_name=PLANTED.upper())
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    name = Path(connection.settings_dict["NAME"])
    assert name.exists()
    blobs = b"".join(p.read_bytes() for p in name.parent.glob(name.name + "*"))
    assert b"keys_testapp_person" in blobs  # we really read the database
    for needle in (PLANTED, PLANTED.upper(), PLANTED.lower()):
        assert needle.encode() not in blobs
        assert needle.encode("utf-16-le") not in blobs


def test_ciphertext_copied_to_another_row_fails() -> None:
    victim = Person.objects.create(name="secret")
    other = Person.objects.create(name="other", data_key=victim.data_key)  # same key, other row
    stolen = Person.objects.values_list("name", flat=True).get(pk=victim.pk)
    assert isinstance(stolen, Ciphertext)
    Person.objects.filter(pk=other.pk).update(name=stolen)
    with pytest.raises(DecryptionError):
        _ = Person.objects.get(pk=other.pk).name


def test_ciphertext_copied_to_another_column_fails() -> None:
    person = Person.objects.create(name="secret", other_name="x")
    stolen = Person.objects.values_list("name", flat=True).get(pk=person.pk)
    Person.objects.filter(pk=person.pk).update(other_name=stolen)
    loaded = Person.objects.get(pk=person.pk)
    assert loaded.name == "secret"
    with pytest.raises(DecryptionError):
        _ = loaded.other_name


def test_lookups_other_than_isnull_refuse() -> None:
    with pytest.raises(FieldError, match="blind index"):
        list(Person.objects.filter(name="x"))
    with pytest.raises(FieldError, match="blind index"):
        list(Person.objects.filter(name__icontains="x"))
    with pytest.raises(EncryptedFieldError):
        Person.objects.update(name="plaintext")


def test_sealed_keyring_raises_instead_of_returning_a_value(shares: list[str]) -> None:
    person = Person.objects.create(name="secret")
    instance.keyring().seal()
    loaded = Person.objects.get(pk=person.pk)
    with pytest.raises(Sealed):
        _ = loaded.name
    unseal(instance.keyring(), shares)
    assert loaded.name == "secret"


def test_copy_with_new_pk_re_encrypts_unread_values() -> None:
    person = Person.objects.create(name="twin", other_name=None)
    copy = Person.objects.get(pk=person.pk)
    copy.pk = uuid.uuid4()
    copy._state.adding = True
    copy.save()
    assert Person.objects.get(pk=copy.pk).name == "twin"


def test_preload_unwraps_many_keys_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    people = [Person.objects.create(name=f"p{i}") for i in range(5)]
    calls: list[int] = []
    ring = instance.keyring()
    real_unwrap = ring.unwrap

    def counting(items):
        calls.append(len(items))
        return real_unwrap(items)

    monkeypatch.setattr(ring, "unwrap", counting)
    loaded = list(Person.objects.select_related("data_key").filter(pk__in=[p.pk for p in people]))
    preload_keys(loaded)
    assert sorted(p.name for p in loaded) == [f"p{i}" for i in range(5)]
    assert calls == [5]
