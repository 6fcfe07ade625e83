"""Read and write a test person's stored column directly, past the model (tests only)."""

from __future__ import annotations

import uuid

from django.db import connection


def _id(pk: uuid.UUID) -> object:
    return pk.hex if connection.vendor == "sqlite" else pk


def stored(pk: uuid.UUID, column: str) -> bytes:
    """The column's bytes as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM keys_testapp_person WHERE id = %s", [_id(pk)])  # noqa: S608 -- fixed names
        (value,) = cursor.fetchone()
    return bytes(value)


def overwrite(pk: uuid.UUID, column: str, value: bytes) -> None:
    """Put `value` in the column, as someone writing to the database would."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE keys_testapp_person SET {column} = %s WHERE id = %s", [value, _id(pk)])  # noqa: S608 -- fixed names
