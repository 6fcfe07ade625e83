"""The daily verification fails closed: when verify() raises on a forged row (a value of the
wrong type, which SQLite keeps), the run alerts and is recorded as failed, not unfinished."""

from __future__ import annotations

import pytest
from django.db import connection

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.audit import log, schedule, triggers
from corridor.audit.models import ScheduledVerification
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
