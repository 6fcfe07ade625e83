"""The daily summary: to everyone with an address, once a day, even when nothing happened."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, User
from corridor.accounts.testing import make_staff
from corridor.notifications import delivery
from corridor.notifications.api import Kind, notify
from corridor.notifications.delivery_models import Delivery
from corridor.notifications.models import Batching, Notification, Preference
from corridor.notifications.tests.smtp import Mailbox, leaks

pytestmark = pytest.mark.django_db


def _with_mail(address: str, **preference: Any) -> User:
    user = make_staff(Role.HOTLINE)
    row = Preference(user=user, **preference)
    row.set_email(address)
    row.save()
    return user


def _today(hour: int) -> datetime.datetime:
    local = timezone.localtime()
    return timezone.make_aware(datetime.datetime.combine(local.date(), datetime.time(hour)))


def test_everyone_with_an_address_gets_one_summary_a_day_even_when_nothing_happened(smtp: Mailbox, settings: Any) -> None:
    settings.NOTIFY_SUMMARY_HOUR = 7
    quiet = _with_mail("quiet@example.org")
    busy = _with_mail("busy@example.org", batching=Batching.DAILY)
    make_staff(Role.HOTLINE)  # no address: no summary
    gone = _with_mail("gone@example.org")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    notify([busy], Kind.INTAKE_NEW, count=3)  # daily batching: only the summary tells
    Notification.objects.update(created=_today(8) - datetime.timedelta(hours=1))
    assert Delivery.objects.count() == 0

    assert delivery.queue_daily_summaries(_today(6)) == 0  # before the hour
    assert delivery.queue_daily_summaries(_today(8)) == 2
    assert delivery.queue_daily_summaries(_today(9)) == 0  # once a day, however often the job runs
    assert delivery.send_due(now=_today(9)) == 2

    [nothing] = smtp.to("quiet@example.org")
    assert nothing.subject == "Daily summary"
    assert nothing.body.startswith("0 new notifications in the last 24 hours\n")
    [something] = smtp.to("busy@example.org")
    assert something.subject == "Daily summary"
    assert something.body.startswith("3 new notifications in the last 24 hours\n3 new requests for help\n")
    assert smtp.to("gone@example.org") == []
    assert leaks(smtp.received) == []
    assert sorted(Delivery.objects.values_list("key", flat=True)) == sorted(
        f"summary:{user.pk}:{timezone.localtime(_today(8)).date().isoformat()}" for user in (quiet, busy)
    )


def test_off_sends_no_summary(settings: Any) -> None:
    settings.NOTIFY_SUMMARY_HOUR = None  # CORRIDOR_NOTIFY_SUMMARY_HOUR=off
    _with_mail("quiet@example.org")
    assert delivery.queue_daily_summaries(_today(23)) == 0
    assert Delivery.objects.count() == 0


def test_the_next_day_brings_the_next_summary(settings: Any) -> None:
    settings.NOTIFY_SUMMARY_HOUR = 7
    _with_mail("quiet@example.org")
    assert delivery.queue_daily_summaries(_today(8)) == 1
    assert delivery.queue_daily_summaries(_today(8) + datetime.timedelta(days=1)) == 1
    assert Delivery.objects.count() == 2


def test_the_summary_job_is_registered_for_the_scheduler() -> None:
    from corridor.notifications import jobs

    assert "notifications.daily_summary" in [job.name for job in jobs.registered()]
