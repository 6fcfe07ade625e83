"""A scratch PostgreSQL database for the tests that run real processes, when DATABASE_URL names one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextmanager
def scratch_database(prefix: str) -> Iterator[str | None]:
    """A fresh database named PREFIX_<random> next to DATABASE_URL's, dropped afterwards; None on SQLite."""
    base = postgres_url()
    if base is None:
        yield None
        return
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
