"""preload_keys by id on rows that share one data key (children of one case, say): every row
keeps the preloaded key, so reading them costs no query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from corridor.keys.fields import preload_keys
from corridor.keys.tests.testapp.models import Person

pytestmark = pytest.mark.django_db


def test_rows_sharing_one_key_read_without_a_query_after_preload_by_id() -> None:
    first = Person.objects.create(name="p0")
    for i in range(1, 4):
        Person.objects.create(name=f"p{i}", data_key=first.data_key)
    loaded = list(Person.objects.all())  # no select_related: each row has its own UUID object for the key id
    preload_keys(loaded)
    with CaptureQueriesContext(connection) as reading:
        names = sorted(p.name for p in loaded)
    assert names == ["p0", "p1", "p2", "p3"]
    assert len(reading.captured_queries) == 0
