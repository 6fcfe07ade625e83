"""Tests that the entry and checkpoint tables refuse UPDATE and DELETE in the database itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from corridor.audit import log
from corridor.audit.models import AuditEntry, Checkpoint
from corridor.audit.names import name as audit_name

pytestmark = pytest.mark.django_db


def _refused(action: Callable[[], Any]) -> None:
    # A savepoint, so the failed statement does not poison the test's transaction on PostgreSQL.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        action()


def _raw(sql: str) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    return run


def test_entries_refuse_update_and_delete_through_the_orm() -> None:
    entry = log.record(actor=None, action=audit_name("user.create"), obj=None)

    entry.action = "user.delete"
    _refused(lambda: entry.save())
    _refused(lambda: AuditEntry.objects.filter(seq=0).update(action="user.delete"))
    _refused(lambda: AuditEntry.objects.get(seq=0).delete())
    _refused(lambda: AuditEntry.objects.all().delete())

    assert list(AuditEntry.objects.values_list("seq", "action")) == [(0, "user.create")]


def test_entries_refuse_update_and_delete_in_raw_sql() -> None:
    log.record(actor=None, action=audit_name("user.create"), obj=None)

    _refused(_raw("UPDATE audit_auditentry SET action = 'user.delete'"))
    _refused(_raw("DELETE FROM audit_auditentry"))

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["user.create"]


def test_checkpoints_refuse_update_and_delete(unsealed_keyring: object) -> None:
    log.record(actor=None, action=audit_name("user.create"), obj=None)
    log.checkpoint()

    _refused(lambda: Checkpoint.objects.update(tree_size=5))
    _refused(lambda: Checkpoint.objects.all().delete())
    _refused(
        _raw(
            "UPDATE audit_checkpoint SET signature = X'00'"
            if connection.vendor == "sqlite"
            else "UPDATE audit_checkpoint SET signature = '\\x00'"
        )
    )
    _refused(_raw("DELETE FROM audit_checkpoint"))

    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists only on PostgreSQL")
def test_truncate_refused_on_postgresql() -> None:
    log.record(actor=None, action=audit_name("user.create"), obj=None)

    _refused(_raw("TRUNCATE audit_auditentry"))
    _refused(_raw("TRUNCATE audit_checkpoint"))

    assert AuditEntry.objects.count() == 1


def test_lifting_triggers_restores_them(lift_triggers: Callable[[], Any]) -> None:
    log.record(actor=None, action=audit_name("user.create"), obj=None)
    with lift_triggers():
        AuditEntry.objects.filter(seq=0).update(action="user.delete")

    _refused(lambda: AuditEntry.objects.filter(seq=0).update(action="user.create"))
    assert AuditEntry.objects.get(seq=0).action == "user.delete"


@pytest.mark.django_db(transaction=True)
def test_flush_between_transactional_tests_still_works() -> None:
    # The teardown flush of this transactional test must get past the triggers.
    log.record(actor=None, action=audit_name("user.create"), obj=None)
    assert AuditEntry.objects.count() == 1
