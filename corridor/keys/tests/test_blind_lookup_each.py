"""blind.lookup_each: the candidates of several values in one keyring call and one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corridor.keys import blind
from corridor.keys.tests.testapp.models import Person

PART = blind.BlindIndex("test.person.part", bits=24, expected_records=300_000, budget="24 bits, 3e5 parts: ~1.8e-2 per lookup")


@pytest.mark.django_db
def test_each_value_gets_its_own_candidates_in_order() -> None:
    islam = Person.objects.create(name="Ислам Мусаев")
    adam = Person.objects.create(name="Адам Мусаев")
    blind.index_values(islam, PART, ["islam", "musaev"])
    blind.index_values(adam, PART, ["adam", "musaev"])
    with CaptureQueriesContext(connection) as captured:
        found = blind.lookup_each(PART, ["Musayev", "Ислам", "Petrov", "—"], Person)
    assert found == [{islam.pk, adam.pk}, {islam.pk}, set(), set()]
    assert len(captured) == 1


@pytest.mark.django_db
def test_nothing_to_look_up_asks_nothing() -> None:
    with CaptureQueriesContext(connection) as captured:
        assert blind.lookup_each(PART, ["", "..."], Person) == [set(), set()]
        assert blind.lookup_each(PART, [], Person) == []
    assert len(captured) == 0
