"""Copies of records with encrypted fields decrypt like the original."""

from __future__ import annotations

import copy

import pytest

from corridor.keys.tests.testapp.models import Person

pytestmark = pytest.mark.django_db


def test_deepcopy_of_a_loaded_record_decrypts() -> None:
    person = Person.objects.create(name="Хава", other_name="Khava")
    loaded = Person.objects.select_related("data_key").get(pk=person.pk)
    assert copy.deepcopy(loaded).name == "Хава"
    assert (loaded.name, copy.deepcopy(loaded).other_name) == ("Хава", "Khava")


def test_serialisers_never_see_plaintext() -> None:
    """dumpdata used to write decrypted dates (found in review): encrypted fields are not serialised."""
    import datetime

    from django.core import serializers

    person = Person.objects.create(name="Хава Секретова", born=datetime.date(1990, 3, 4))
    dumped = serializers.serialize("json", [Person.objects.get(pk=person.pk)])
    assert "1990-03-04" not in dumped
    assert "Секретова" not in dumped and "\\u0421\\u0435\\u043a" not in dumped
