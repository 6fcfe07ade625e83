"""Tests for the auditor's page: who may see it, what it lists, and "verify now"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from corridor.audit import log
from corridor.audit.models import AuditEntry
from corridor.audit.names import name as audit_name
from corridor.audit.tests import names_for_tests  # noqa: F401 -- declares the test names
from corridor.audit.tests.names_for_tests import TestAudit
from corridor.audit.views import log_view

# The staff-session and sealed middleware are tested with accounts; here the view
# is called directly, so what is tested is its own permission check and content.
pytestmark = [pytest.mark.django_db, pytest.mark.urls("corridor.audit.tests.urls")]


def _user(username: str, role: str) -> Any:
    return get_user_model().objects.create_user(username=username, password="not-used-here-123", role=role)


def _call(user: Any, method: str = "get", **params: Any) -> HttpResponse:
    factory = RequestFactory()
    request = getattr(factory, method)(reverse("audit:log"), params)
    request.user = user
    return log_view(request)


def test_url_name() -> None:
    assert reverse("audit:log") == "/audit/"


@pytest.mark.parametrize("role", ["caseworker", "hotline", "relocation", "documentation", "trustee"])
def test_staff_without_permission_get_404(role: str) -> None:
    outsider = _user("charlie", role)
    log.record(actor=outsider, action=audit_name("session.login"), obj=outsider)

    with pytest.raises(Http404):
        _call(outsider)
    with pytest.raises(Http404):
        _call(outsider, "post")
    assert AuditEntry.objects.count() == 1  # the refused POST verified and recorded nothing


def test_anonymous_gets_404() -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Http404):
        _call(AnonymousUser())


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditor_and_admin_see_entries_newest_first_with_usernames(role: str) -> None:
    viewer = _user("viewer", role)
    gone = _user("gone-user", "caseworker")
    log.record(actor=viewer, action=audit_name("user.create"), obj=viewer)
    log.record(actor=gone, action=audit_name("session.login"), obj=gone)
    log.record(actor=None, action=audit_name("instance.unseal"), obj=None)
    gone_id = gone.pk
    gone.delete()

    response = _call(viewer)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("instance.unseal") < page.index("session.login") < page.index("user.create")
    assert "viewer" in page
    assert f"deleted user #{gone_id}" in page
    assert "system" in page


def test_pagination_shows_fifty_newest(sealed_keyring: Any) -> None:
    auditor = _user("auditor", "auditor")
    for number in range(60):
        log.record(actor=None, action=audit_name(f"test.n{number}"), obj=None)

    first = _call(auditor).content.decode()
    second = _call(auditor, page="2").content.decode()

    # The entries' names, not the filter's list of every name.
    assert (">test.n59</code>" in first, ">test.n10</code>" in first, ">test.n9</code>" in first) == (True, True, False)
    assert (">test.n9</code>" in second, ">test.n0</code>" in second, ">test.n10</code>" in second) == (True, True, False)


def test_verify_now_reports_ok_and_is_audited(unsealed_keyring: Any) -> None:
    auditor = _user("auditor", "auditor")
    log.record(actor=None, action=audit_name("instance.unseal"), obj=None)
    log.checkpoint()

    response = _call(auditor, "post")

    assert response.status_code == 200
    assert "audit log OK: 1 entries, 1 checkpoints" in response.content.decode()
    assert list(AuditEntry.objects.values_list("action", "actor_id")) == [("instance.unseal", None), ("audit.verify", auditor.pk)]


def test_verify_now_shows_the_first_problem(unsealed_keyring: Any, lift_triggers: Callable[[], Any]) -> None:
    auditor = _user("auditor", "auditor")
    for _ in range(3):
        log.record(actor=None, action=TestAudit.TICK, obj=None)
    with lift_triggers():
        AuditEntry.objects.filter(seq=1).update(action="test.tock")

    page = _call(auditor, "post").content.decode()

    assert "audit log FAILED: entry 1: stored leaf hash does not match its contents" in page


@pytest.mark.parametrize(
    ("data", "index"),
    [
        ({"actor": "7"}, "audit_entry_actor"),
        ({"actor": "system"}, "audit_entry_actor"),
        ({"action": "session.login"}, "audit_entry_action"),
        ({"action": "reads"}, "audit_entry_action"),
    ],
)
def test_the_pages_filters_by_who_and_what_can_use_an_index(data: dict[str, str], index: str) -> None:
    """Before, filtering by actor or action read every entry of the log (a scan of 200,000
    entries took 30-60 ms a page; bench/audit_filters.py). The test asks whether the database
    *can* use the index for the page's count, as the view builds it: on PostgreSQL with
    sequential scans priced out, since a tiny test table is cheaper to scan whole."""
    from django.db import connection, transaction

    from corridor.audit.views import filtered

    entries = filtered(AuditEntry.objects.order_by("-seq"), data)
    sql, params = entries.order_by().values("seq").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608 -- Django's own SQL, values as parameters
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608 -- as above
        plan = " ".join(str(part) for row in cursor.fetchall() for part in row)
    assert index in plan, plan


def test_the_page_says_what_the_daily_verification_found(sealed_keyring: Any) -> None:
    import datetime

    from corridor.audit.models import ScheduledVerification

    auditor = _user("ada", "auditor")
    assert "The daily verification has not run yet" in _call(auditor).content.decode()
    started = datetime.datetime(2026, 11, 30, 0, 5, tzinfo=datetime.UTC)
    ScheduledVerification.objects.create(day=started.date(), started=started, finished=started, ok=True, entries=3)
    assert "The daily verification of 2026-11-30 passed." in _call(auditor).content.decode()
    ScheduledVerification.objects.create(day=datetime.date(2026, 12, 1), started=started, ok=False, problem="entry 2")
    page = _call(auditor).content.decode()
    assert "The daily verification of 2026-12-01 FAILED; administrators and trustees were alerted." in page
