"""Benchmark tables: the same rows with 8 encrypted vs 8 plain fields, and people by name.

Each encrypted model has a plain twin with the same primary key and foreign key, so a
ratio between them measures the encryption and nothing else.
"""

from __future__ import annotations

import uuid

from django.db import models

from corridor.keys.blind import BlindIndex
from corridor.keys.fields import EncryptedTextField
from corridor.keys.models import DataKey

# The same budget as corridor.cases.models.PERSON_NAME, under its own key name.
BENCH_NAME = BlindIndex(
    "bench.person.name", bits=32, expected_records=100_000, budget="32 bits, 1e5 people: ~2.3e-5 false candidates per lookup"
)


class BenchEncrypted(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, null=True, related_name="+")
    f1 = EncryptedTextField()
    f2 = EncryptedTextField()
    f3 = EncryptedTextField()
    f4 = EncryptedTextField()
    f5 = EncryptedTextField()
    f6 = EncryptedTextField()
    f7 = EncryptedTextField()
    f8 = EncryptedTextField()


class BenchPlain(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, null=True, related_name="+")
    f1 = models.TextField(null=True)
    f2 = models.TextField(null=True)
    f3 = models.TextField(null=True)
    f4 = models.TextField(null=True)
    f5 = models.TextField(null=True)
    f6 = models.TextField(null=True)
    f7 = models.TextField(null=True)
    f8 = models.TextField(null=True)


class PlainPerson(models.Model):
    """The baseline for exact lookup: the name in clear with an ordinary B-tree index."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120, db_index=True)


class SealedPerson(models.Model):
    """The real thing: the name encrypted, found through BENCH_NAME's BlindIndexEntry rows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    name = EncryptedTextField()


BENCH_MODELS = (BenchEncrypted, BenchPlain, PlainPerson, SealedPerson)


def create_tables() -> None:
    """Create the benchmark tables in the current database (once per run)."""
    from django.db import connection

    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in BENCH_MODELS:
            if model._meta.db_table not in existing:
                editor.create_model(model)
