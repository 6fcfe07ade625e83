"""blind.search: entries and their data keys in one statement, candidates through the caller's
queryset, their keys unwrapped in one batch; every failure loud, nothing outside the queryset
unwrapped."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corridor.keys import blind, instance
from corridor.keys.errors import DecryptionError, Sealed
from corridor.keys.models import DataKey
from corridor.keys.tests.testapp.fixtures import unseal
from corridor.keys.tests.testapp.models import Person

NAME = blind.BlindIndex("test.search.name", bits=32, expected_records=100_000, budget="32 bits, 1e5: ~2.3e-5 per lookup")
TINY = blind.BlindIndex("test.search.tiny", bits=16, expected_records=100, budget="16 bits, 100: ~1.5e-3 per lookup")

pytestmark = pytest.mark.django_db


def _person(name: str, index: blind.BlindIndex = NAME) -> Person:
    person = Person.objects.create(name=name)
    blind.index_values(person, index, [name])
    return person


def _count_unwraps(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    ring = instance.keyring()
    real = ring.unwrap
    calls: list[list[str]] = []

    def counting(items: Any) -> list[bytes]:
        calls.append([context for _blob, context in items])
        return real(items)

    monkeypatch.setattr(ring, "unwrap", counting)
    return calls


def test_many_candidates_two_statements_one_unwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Five people share a name; the queryset has no select_related, as the people search's.
    same = [_person("Магомед Хасанов") for _ in range(5)]
    _person("Зелимхан Исаев")
    calls = _count_unwraps(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        found = blind.search(NAME, "Magomed Khasanov", Person.objects.all(), lambda p: [p.name])
        names = [p.name for p in found]
    assert sorted(p.pk for p in found) == sorted(p.pk for p in same)
    assert names == ["Магомед Хасанов"] * 5
    assert len(captured) == 2  # entries with keys; candidates. No query per candidate's key.
    assert len(calls) == 1 and sorted(calls[0]) == sorted(DataKey.objects.get(pk=p.data_key_id).context for p in same)


def test_a_queryset_that_joins_the_key_keeps_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    person = _person("Ислам Мусаев")
    calls = _count_unwraps(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        found = blind.search(NAME, "ислам мусаев", Person.objects.select_related("data_key"), lambda p: [p.name])
    assert found == [person] and found[0].name == "Ислам Мусаев"
    assert len(captured) == 2 and len(calls) == 1


def test_nothing_outside_the_queryset_is_unwrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _person("Адам Садулаев")
    hidden = _person("Адам Садулаев")
    hidden.codename = "hidden"
    hidden.save()
    calls = _count_unwraps(monkeypatch)
    found = blind.search(NAME, "Адам Садулаев", Person.objects.exclude(codename="hidden"), lambda p: [p.name])
    assert found == [seen]
    assert calls == [[DataKey.objects.get(pk=seen.data_key_id).context]]
    # Outside the queryset only: no candidate, no unwrap, and the scoped query still runs.
    calls.clear()
    with CaptureQueriesContext(connection) as captured:
        assert blind.search(NAME, "Адам Садулаев", Person.objects.filter(codename="nobody"), lambda p: [p.name]) == []
    assert calls == [] and len(captured) == 2


def test_no_match_runs_the_same_statements() -> None:
    _person("Магомед Хасанов")
    with CaptureQueriesContext(connection) as matched:
        blind.search(NAME, "Магомед Хасанов", Person.objects.all(), lambda p: [p.name])
    with CaptureQueriesContext(connection) as unmatched:
        assert blind.search(NAME, "Никто Никтоев", Person.objects.all(), lambda p: [p.name]) == []
    assert len(matched) == len(unmatched) == 2
    assert [q["sql"].split("WHERE")[0] for q in matched] == [q["sql"].split("WHERE")[0] for q in unmatched]


def test_collisions_are_dropped_after_decryption() -> None:
    # 16 bits over a few hundred values: force a shared token by indexing a wrong value.
    real = _person("Хасан", TINY)
    impostor = Person.objects.create(name="Зелимхан")
    blind.index_values(impostor, TINY, ["Хасан"])  # its token says Hasan; its name does not
    found = blind.search(TINY, "Khasan", Person.objects.all(), lambda p: [p.name])
    assert found == [real]


def test_a_row_whose_key_changed_loads_its_own_key() -> None:
    # The entry names the key the row had when it was indexed; the row now has another.
    person = _person("Руслан Басаев")
    old_key_id = person.data_key_id
    fresh = DataKey.create("record")
    copy = Person.objects.get(pk=person.pk)
    _ = copy.name
    copy.data_key = fresh
    copy.save()
    assert copy.data_key_id != old_key_id
    found = blind.search(NAME, "Руслан Басаев", Person.objects.all(), lambda p: [p.name])
    assert found == [person] and found[0].data_key_id == fresh.pk and found[0].name == "Руслан Басаев"


def test_a_tampered_key_in_the_batch_fails_loudly() -> None:
    good = _person("Умар Исаев")
    bad = _person("Умар Исаев")
    # Another row's wrapped key: the context (datakey|<id>|purpose) no longer matches.
    DataKey.objects.filter(pk=bad.data_key_id).update(wrapped=DataKey.objects.get(pk=good.data_key_id).wrapped)
    with pytest.raises(DecryptionError):
        blind.search(NAME, "Умар Исаев", Person.objects.all(), lambda p: [p.name])


def test_a_ciphertext_under_the_wrong_key_fails_loudly() -> None:
    a = _person("Тимур Алиев")
    b = _person("Тимур Алиев")
    # b's name column now holds a's ciphertext: bound to a's row and key, it cannot open as b's.
    with connection.cursor() as cursor:
        table = Person._meta.db_table
        cursor.execute(f"SELECT name FROM {table} WHERE id = %s", [a.pk.hex if connection.vendor == "sqlite" else a.pk])  # noqa: S608
        (blob,) = cursor.fetchone()
        cursor.execute(f"UPDATE {table} SET name = %s WHERE id = %s", [blob, b.pk.hex if connection.vendor == "sqlite" else b.pk])  # noqa: S608
    with pytest.raises(DecryptionError):
        blind.search(NAME, "Тимур Алиев", Person.objects.order_by("pk"), lambda p: [p.name])


def test_sealed_refuses_the_search(shares: list[str]) -> None:
    _person("Шамиль Умаров")
    instance.keyring().seal()
    try:
        with pytest.raises(Sealed):
            blind.search(NAME, "Шамиль Умаров", Person.objects.all(), lambda p: [p.name])
        with pytest.raises(Sealed):
            blind.lookup(NAME, "Шамиль Умаров", Person)
    finally:
        unseal(instance.keyring(), shares)
    assert [p.name for p in blind.search(NAME, "Шамиль Умаров", Person.objects.all(), lambda p: [p.name])] == ["Шамиль Умаров"]


def test_sealed_between_lookup_and_unwrap_refuses_the_batch(shares: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # A lockdown that lands after the entries were read: the batch unwrap refuses, nothing is shown.
    _person("Ахмед Юсупов")
    _person("Ахмед Юсупов")
    ring = instance.keyring()
    real_entries = blind._entries

    def then_seal(*args: Any, **kwargs: Any) -> Any:
        rows = real_entries(*args, **kwargs)
        ring.seal()
        return rows

    monkeypatch.setattr(blind, "_entries", then_seal)
    try:
        with pytest.raises(Sealed):
            blind.search(NAME, "Ахмед Юсупов", Person.objects.all(), lambda p: [p.name])
    finally:
        unseal(ring, shares)


def test_shredded_key_is_not_joined() -> None:
    person = _person("Беслан Тагиров")
    other = _person("Беслан Тагиров")
    # shred() would also delete the entries; what is tested here is the join's own condition.
    DataKey.objects.filter(pk=other.data_key_id).update(shredded="2026-01-01T00:00:00Z")
    entries = blind._entries(NAME, blind.tokens(NAME, ["Беслан Тагиров"]), Person, with_keys=True)
    assert [e.owner_id for e in entries] == [person.pk]
    assert entries[0].wrapped == bytes(DataKey.objects.get(pk=person.data_key_id).wrapped)


def test_entries_statement_binds_every_value() -> None:
    for count in (1, 3):
        sql = blind._entries_sql(connection, count, True)
        # index name, each token, owner model: all bound; nothing else is a literal.
        assert sql.count("%s") == count + 2
        assert "'" not in sql
    person = _person("Саид Идрисов")
    with CaptureQueriesContext(connection) as captured:
        assert blind.search(NAME, "Саид Идрисов", Person.objects.all(), lambda p: [p.name]) == [person]
    assert "keys_blindindexentry" in captured[0]["sql"] and "keys_datakey" in captured[0]["sql"]
