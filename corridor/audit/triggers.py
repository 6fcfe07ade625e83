"""The database triggers that make audit entries and checkpoints INSERT-only.

Created by migration 0001; this SQL must not change without a new migration.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

PROTECTED_TABLES = ("audit_auditentry", "audit_checkpoint")
_PG_FUNCTION = "corridor_audit_append_only"


def _sqlite_create(table: str) -> list[str]:
    # RAISE(ABORT) rolls back the statement and surfaces as IntegrityError.
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE on {table} refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE on {table} refused'); END",
    ]


def _sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


_PG_CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$body$
"""


def _pg_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()",
    ]


def _pg_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"]


def create_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [sql for table in PROTECTED_TABLES for sql in _sqlite_create(table)]
    if vendor == "postgresql":
        return [_PG_CREATE_FUNCTION] + [sql for table in PROTECTED_TABLES for sql in _pg_create(table)]
    # Failing here is deliberate: a backend without the triggers would have no append-only guard.
    raise NotImplementedError(f"the audit log has no append-only triggers for {vendor!r}")


def drop_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [sql for table in PROTECTED_TABLES for sql in _sqlite_drop(table)]
    if vendor == "postgresql":
        return [sql for table in PROTECTED_TABLES for sql in _pg_drop(table)] + [f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()"]
    raise NotImplementedError(f"the audit log has no append-only triggers for {vendor!r}")


@contextmanager
def lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Drop the triggers for the duration of the block, then create them again.

    For tests (tampering like an attacker holding the database, and Django's flush
    between transactional tests) and for an operator's deliberate maintenance; the
    application itself never calls it. Anyone able to run this could already rewrite
    the database, which is why `corridor audit verify` does not rely on the triggers.
    """
    vendor = connection.vendor
    with connection.cursor() as cursor:
        for sql in drop_statements(vendor):
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in create_statements(vendor):
                cursor.execute(sql)
