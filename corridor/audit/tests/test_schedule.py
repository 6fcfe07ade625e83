"""The daily verification: the scheduler runs it once a day, a tampered log alerts the admins
(and trustees) through the notifications' alarm path, and the run is recorded for the status."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.audit import schedule, triggers
from corridor.audit.models import AuditEntry, ScheduledVerification
from corridor.notifications import jobs
from corridor.notifications.domain import roster
from corridor.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def _alerts() -> list[tuple[str, str]]:
    return sorted(
        (n.user.username, n.kind) for n in Notification.objects.filter(kind=Kind.AUDIT_VERIFY_FAILED).select_related("user")
    )


def _a_logged_change() -> None:
    """Some entries in the log: an administrator sets a team's alerting (an audited action)."""
    admin = make_staff(Role.ADMIN, username="amina")
    roster.set_alerting(admin, Team.objects.create(name="Logged"), fallback=None, coordinators=[], escalation_minutes=20)


def test_the_scheduler_runs_the_daily_verification() -> None:
    """Registered with the scheduler's jobs, which `corridor serve` and `corridor worker` run
    (Scheduler.tick closes the test's connection, so the registered job is called here)."""
    job = {job.name: job for job in jobs.registered()}[schedule.JOB_NAME]
    assert job.every_seconds == schedule.CHECK_EVERY_SECONDS
    _a_logged_change()
    job.fn()
    run = ScheduledVerification.objects.get()
    assert (run.day, run.ok, run.problem) == (timezone.now().astimezone(datetime.UTC).date(), True, "")
    assert run.entries == AuditEntry.objects.count() > 0
    assert run.finished is not None


def test_an_intact_log_raises_no_alert_and_is_verified_once_a_day() -> None:
    _a_logged_change()
    make_staff(Role.TRUSTEE, username="tamara")
    now = timezone.now()
    run = schedule.verify_if_due(now)
    assert run is not None and run.ok is True
    # Again the same day (another scheduler, a restart): nothing to do.
    assert schedule.verify_if_due(now + datetime.timedelta(hours=1)) is None
    assert ScheduledVerification.objects.count() == 1
    # The next day runs again.
    assert schedule.verify_if_due(now + datetime.timedelta(days=1)) is not None
    assert ScheduledVerification.objects.count() == 2
    assert _alerts() == []


def test_a_tampered_log_makes_the_daily_run_alert_admins_and_trustees() -> None:
    _a_logged_change()
    make_staff(Role.TRUSTEE, username="tamara")
    make_staff(Role.CASEWORKER, username="kemal")  # told nothing: not theirs to act on
    with triggers.lifted(connection):
        AuditEntry.objects.filter(action="roster.alerting.set").update(action="roster.shift.add")
    run = schedule.verify_if_due()
    assert run is not None
    assert run.ok is False
    assert "roster" not in run.problem and run.problem  # verify names the entry by number
    assert _alerts() == [("amina", Kind.AUDIT_VERIFY_FAILED), ("tamara", Kind.AUDIT_VERIFY_FAILED)]
    assert schedule.latest() == run
