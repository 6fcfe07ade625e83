"""The one shape of a state change (corridor/audit/actions.py) and the registered audit names."""

from __future__ import annotations

import enum

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection

from corridor.audit import log
from corridor.audit.actions import NothingRecorded, act, lock
from corridor.audit.models import AuditEntry
from corridor.audit.names import InstanceAudit, collect, name, registered
from corridor.audit.tests.names_for_tests import TestAudit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> object:
    return get_user_model().objects.create_user(username="ana", password="not-used-here-123", role="admin")


@pytest.fixture
def auditor() -> object:
    return get_user_model().objects.create_user(username="olga", password="not-used-here-123", role="auditor")


def test_a_permitted_action_commits_its_change_with_its_entry(admin: object) -> None:
    with act(admin, "accounts.manage_users") as action:
        admin.first_name = "Ana"
        admin.save(update_fields=["first_name"])
        action.record(TestAudit.TICK, admin)

    assert list(AuditEntry.objects.values_list("action", "actor_id")) == [("test.tick", admin.pk)]


def test_refused_permission_reads_and_writes_nothing(auditor: object) -> None:
    ran = []
    with pytest.raises(PermissionDenied):
        with act(auditor, "accounts.manage_users"):
            ran.append(True)

    assert ran == []
    assert not AuditEntry.objects.exists()


def test_an_action_without_an_entry_is_rolled_back(admin: object) -> None:
    with pytest.raises(NothingRecorded):
        with act(admin, "accounts.manage_users"):
            get_user_model().objects.filter(pk=admin.pk).update(first_name="Changed")

    assert get_user_model().objects.get(pk=admin.pk).first_name == ""


def test_unchanged_state_may_go_without_an_entry(admin: object) -> None:
    with act(admin, "accounts.manage_users") as action:
        action.unchanged()

    assert not AuditEntry.objects.exists()


def test_a_failing_action_leaves_neither_change_nor_entry(admin: object) -> None:
    with pytest.raises(ZeroDivisionError):
        with act(admin, "accounts.manage_users") as action:
            get_user_model().objects.filter(pk=admin.pk).update(first_name="Changed")
            action.record(TestAudit.TICK, admin)
            _ = 1 / 0

    assert get_user_model().objects.get(pk=admin.pk).first_name == ""
    assert not AuditEntry.objects.exists()


def test_only_the_system_acts_without_a_named_permission(admin: object) -> None:
    with pytest.raises(ValueError, match="named permission"):
        with act(admin, None):
            pass
    with act(None, None) as action:
        action.record(InstanceAudit.UNSEAL)
    assert AuditEntry.objects.get().actor_id is None


def test_nested_actions_share_the_outer_transaction(admin: object) -> None:
    with pytest.raises(ZeroDivisionError):
        with act(admin, "accounts.manage_users") as outer:
            with act(admin, "accounts.manage_users") as inner:
                inner.record(TestAudit.TICK)
            outer.record(TestAudit.TICK)
            _ = 1 / 0

    assert not AuditEntry.objects.exists()


def test_lock_rereads_the_row(admin: object) -> None:
    stale = get_user_model().objects.get(pk=admin.pk)
    get_user_model().objects.filter(pk=admin.pk).update(first_name="Fresh")
    with act(admin, "accounts.manage_users") as action:
        fresh = lock(stale)
        action.unchanged()
    assert (stale.first_name, fresh.first_name) == ("", "Fresh")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SELECT … FOR UPDATE is PostgreSQL's; SQLite locks the file")
def test_lock_takes_a_row_lock_on_postgresql(admin: object, django_assert_num_queries: object) -> None:
    from django.test.utils import CaptureQueriesContext

    with act(admin, "accounts.manage_users") as action, CaptureQueriesContext(connection) as queries:
        lock(admin)
        action.unchanged()
    assert any("FOR UPDATE" in query["sql"] for query in queries.captured_queries)


def test_record_refuses_a_name_nobody_declared() -> None:
    with pytest.raises(ValueError, match="registered"):
        log.record(actor=None, action="user.deleted.everything", obj=None)
    assert not AuditEntry.objects.exists()


def test_every_app_declares_its_names_and_none_twice() -> None:
    names = registered()
    assert {"case.status.on_hold", "application.status.withdrawn", "session.login", "intake.purge", "read"} <= set(names)
    assert name("case.status.active").value == "case.status.active"
    with pytest.raises(ValueError):
        name("case.status.lost")


def test_a_name_declared_twice_is_refused() -> None:
    class Root(enum.StrEnum):
        pass

    class One(Root):
        TICK = "test.tick"

    class Other(Root):
        TICK = "test.tick"

    with pytest.raises(RuntimeError, match="declared twice"):
        collect(Root)


def test_record_refuses_a_plain_string_even_when_it_spells_a_declared_name() -> None:
    with pytest.raises(ValueError, match="registered"):
        log.record(actor=None, action="user.create", obj=None)  # type: ignore[arg-type]  # the point: a str, not an AuditAction
    assert not AuditEntry.objects.exists()


def test_an_action_made_of_inner_actions_is_audited_by_theirs(admin: object) -> None:
    with act(admin, "accounts.manage_users") as outer:
        with act(admin, "accounts.manage_users") as inner:
            inner.record(TestAudit.TICK)
    assert [entry.action for entry in outer.entries] == ["test.tick"]

    # An inner action that records nothing does not make its outer one audited.
    with pytest.raises(NothingRecorded):
        with act(admin, "accounts.manage_users"):
            with act(admin, "accounts.manage_users") as inner:
                inner.unchanged()
