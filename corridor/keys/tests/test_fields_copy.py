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
