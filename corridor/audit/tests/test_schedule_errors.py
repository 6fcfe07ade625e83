"""The daily verification fails closed: when verify() raises on a forged row (a value of the
wrong type, which SQLite keeps), the run alerts and is recorded as failed, not unfinished; runs
written by hand for days to come neither stop it nor pass for it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.audit import log, schedule, triggers
from corridor.audit.models import AuditEntry, ScheduledVerification
from corridor.audit.tests.test_schedule import _a_logged_change, _alerts
from corridor.notifications.models import Kind

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses a value of the wrong type")
def test_a_checkpoint_forged_with_the_wrong_type_alerts_and_fails_the_run() -> None:
    _a_logged_change()
    make_staff(Role.TRUSTEE, username="tamara")
    log.checkpoint()
    with triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_checkpoint SET root = 'forged'")
    with pytest.raises(Exception):  # noqa: B017 -- whatever verify() raised reaches the scheduler's log
        schedule.verify_if_due()
    run = ScheduledVerification.objects.get()
    assert run.ok is False
    assert run.finished is not None
    assert "forged" not in run.problem and "TypeError" in run.problem
    assert _alerts() == [("amina", Kind.AUDIT_VERIFY_FAILED), ("tamara", Kind.AUDIT_VERIFY_FAILED)]


def test_runs_written_ahead_for_coming_days_do_not_stop_the_daily_verification() -> None:
    """A database writer who rewrote the log could write a passed run for every coming day: each
    would be taken as that day's claim, and the job would never verify again."""
    _a_logged_change()
    now = timezone.now()
    today = now.astimezone(datetime.UTC).date()
    ScheduledVerification.objects.bulk_create(
        ScheduledVerification(day=today + datetime.timedelta(days=d), started=now, finished=now, ok=True) for d in range(2, 30)
    )
    with triggers.lifted(connection):
        AuditEntry.objects.filter(action="roster.alerting.set").update(action="roster.shift.add")
    assert schedule.verify_if_due(now) is not None  # today was not forged
    assert ScheduledVerification.objects.filter(day__gt=today + datetime.timedelta(days=1)).count() == 0
    # The days to come are verified again (before: each found its forged row and did nothing).
    for later in (2, 10, 29):
        run = schedule.verify_if_due(now + datetime.timedelta(days=later))
        assert run is not None and run.ok is False
    assert ("amina", Kind.AUDIT_VERIFY_FAILED) in _alerts()


def test_a_run_claimed_for_tomorrow_by_a_clock_ahead_is_kept() -> None:
    _a_logged_change()
    now = timezone.now()
    tomorrow = now.astimezone(datetime.UTC).date() + datetime.timedelta(days=1)
    ScheduledVerification.objects.create(day=tomorrow, started=now)
    assert schedule.verify_if_due(now) is not None
    assert ScheduledVerification.objects.filter(day=tomorrow).exists()
    assert _alerts() == []
