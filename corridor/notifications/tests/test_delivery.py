"""The outbox: what is queued for whom and when, how it is claimed and sent through a real SMTP
server on loopback, what a message says (and does not), retries, and encryption to an age key."""

from __future__ import annotations

import datetime
from typing import Any

import pyrage
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corridor.accounts.models import Role, User
from corridor.accounts.testing import make_staff, seal
from corridor.keys.api import is_sealed
from corridor.notifications import delivery
from corridor.notifications.api import Kind, notify
from corridor.notifications.delivery_models import Delivery, DeliveryState
from corridor.notifications.domain import reading
from corridor.notifications.models import Batching, Preference
from corridor.notifications.tests.smtp import PLANTED, Mailbox, leaks

pytestmark = pytest.mark.django_db

# Planted where a careless message could pick them up: the user's names, the team's name, a link.
STAFF_NAME = "Зарема Хаджиева"
TEAM_NAME = "Группа Север"
LINK_TOKEN = "triage-7f3e9a"
PLANTED.update({STAFF_NAME, TEAM_NAME, LINK_TOKEN})


def _with_mail(role: str = Role.HOTLINE, address: str = "duty@example.org", **preference: object) -> User:
    user = make_staff(role)
    user.first_name, user.last_name = STAFF_NAME.split()
    user.save(update_fields=["first_name", "last_name"])
    row = Preference(user=user, **preference)
    row.set_email(address)
    row.save()
    return user


def _at(hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 12, 1, hour, minute))


def test_an_emergency_is_queued_once_and_sent_as_one_message(smtp: Mailbox) -> None:
    user = _with_mail()
    notify([user], Kind.INTAKE_EMERGENCY, link=f"/intake/{LINK_TOKEN}/")
    [row] = Delivery.objects.all()
    assert (row.state, row.counts, row.user_id) == (DeliveryState.QUEUED, {Kind.INTAKE_EMERGENCY: 1}, user.pk)
    assert delivery.send_due() == 1
    assert delivery.send_due() == 0
    row.refresh_from_db()
    [mail] = smtp.received
    assert mail.rcpt_tos == ["duty@example.org"]
    assert mail.subject == "1 new emergency request for your team"
    assert "Sign in to read more: https://corridor.example/" in mail.body
    assert mail.message_id == f"<{row.batch}@corridor.example>"
    assert leaks([mail]) == []
    assert (row.state, row.attempts, row.lease_until) == (DeliveryState.SENT, 1, None)
    assert row.sent_at is not None


def test_nobody_without_an_address_gets_a_row() -> None:
    user = make_staff(Role.HOTLINE)
    notify([user], Kind.INTAKE_EMERGENCY)
    assert Delivery.objects.count() == 0


def test_muted_kinds_are_not_mailed_but_emergencies_always_are() -> None:
    user = _with_mail(muted=[Kind.TASK_DUE, Kind.INTAKE_EMERGENCY])
    notify([user], Kind.TASK_DUE)
    notify([user], Kind.INTAKE_EMERGENCY)
    assert [row.counts for row in Delivery.objects.all()] == [{Kind.INTAKE_EMERGENCY: 1}]


def test_a_raised_notification_queues_only_its_increase() -> None:
    user = _with_mail()
    notify([user], Kind.INTAKE_NEW)
    notify([user], Kind.INTAKE_NEW, count=2)
    # Still waiting: the same row now says 3.
    assert [(row.counts, row.upto) for row in Delivery.objects.all()] == [({Kind.INTAKE_NEW: 3}, 3)]
    Delivery.objects.update(state=DeliveryState.SENT)
    notify([user], Kind.INTAKE_NEW)
    assert sorted((row.upto, row.counts[Kind.INTAKE_NEW]) for row in Delivery.objects.all()) == [(3, 3), (4, 1)]


def test_quiet_hours_hold_everything_but_emergencies() -> None:
    import datetime as dt

    preference = Preference(quiet_start=dt.time(22), quiet_end=dt.time(7), batching=Batching.IMMEDIATE)
    assert delivery.due_time(preference, Kind.TASK_DUE, _at(23, 30)) == _at(7) + dt.timedelta(days=1)
    assert delivery.due_time(preference, Kind.TASK_DUE, _at(3)) == _at(7)
    assert delivery.due_time(preference, Kind.TASK_DUE, _at(7)) == _at(7)  # the end is not quiet
    assert delivery.due_time(preference, Kind.TASK_DUE, _at(12)) == _at(12)
    assert delivery.due_time(preference, Kind.INTAKE_EMERGENCY, _at(3)) == _at(3)
    daytime = Preference(quiet_start=dt.time(12), quiet_end=dt.time(13))
    assert delivery.due_time(daytime, Kind.TASK_DUE, _at(12, 30)) == _at(13)


def test_batching_hourly_waits_for_the_hour_and_daily_only_for_the_summary() -> None:
    hourly = Preference(batching=Batching.HOURLY)
    daily = Preference(batching=Batching.DAILY)
    assert delivery.due_time(hourly, Kind.INTAKE_NEW, _at(10, 20)) == _at(11)
    assert delivery.due_time(daily, Kind.INTAKE_NEW, _at(10, 20)) is None
    assert delivery.due_time(daily, Kind.ESCALATION, _at(10, 20)) == _at(10, 20)


def test_due_rows_of_one_person_go_out_as_one_message(smtp: Mailbox) -> None:
    user = _with_mail()
    other = _with_mail(address="other@example.org")
    notify([user, other], Kind.INTAKE_EMERGENCY)
    notify([user], Kind.TASK_OVERDUE, count=2)
    assert delivery.send_due() == 2
    [mine] = smtp.to("duty@example.org")
    assert mine.subject == "3 new notifications"
    assert "1 new emergency request for your team" in mine.body
    assert "2 tasks are overdue" in mine.body
    [theirs] = smtp.to("other@example.org")
    assert theirs.message_id != mine.message_id
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 3


def test_mail_is_written_in_russian_when_asked(smtp: Mailbox) -> None:
    english = delivery.mail.compose({Kind.INTAKE_EMERGENCY: 2}, language="en")
    russian = delivery.mail.compose({Kind.INTAKE_EMERGENCY: 2}, language="ru")
    assert english.subject == "2 new emergency requests for your team"
    assert delivery.mail.compose({"summary": 1}, language="ru").subject == "Ежедневная сводка"
    assert "Войдите" in russian.body
    assert "https://corridor.example/" in russian.body


def test_the_summary_says_so_even_when_nothing_happened() -> None:
    letter = delivery.mail.compose({"summary": 1}, language="en")
    assert letter.subject == "Daily summary"
    assert letter.body.startswith("0 new notifications in the last 24 hours\n")


def test_a_message_encrypted_to_the_recipients_age_key(smtp: Mailbox) -> None:
    identity = pyrage.x25519.Identity.generate()
    user = _with_mail(public_key=str(identity.to_public()))
    notify([user], Kind.INTAKE_EMERGENCY)
    assert delivery.send_due() == 1
    [mail] = smtp.received
    assert mail.subject == "New message"
    assert "emergency" not in mail.raw.decode().lower()
    armour = mail.body[mail.body.index("-----BEGIN AGE ENCRYPTED FILE-----") :].encode()
    plain = pyrage.decrypt(armour, [identity]).decode()
    assert plain.startswith("1 new emergency request for your team\n")


def test_sending_works_sealed(smtp: Mailbox) -> None:
    user = _with_mail()
    seal()
    assert is_sealed() is True
    notify([user], Kind.INTAKE_EMERGENCY)
    assert delivery.send_due() == 1
    assert [mail.rcpt_tos for mail in smtp.received] == [["duty@example.org"]]


def test_a_server_that_is_down_leaves_the_rows_queued_with_backoff(smtp: Mailbox, settings: Any) -> None:
    user = _with_mail()
    notify([user], Kind.INTAKE_EMERGENCY)
    from corridor.notifications.tests.smtp import free_port

    settings.EMAIL_PORT = free_port()  # nothing listens there
    started = timezone.now()
    assert delivery.send_due() == 0
    [row] = Delivery.objects.all()
    assert (row.state, row.attempts, row.error) == (DeliveryState.QUEUED, 1, "ConnectionRefusedError")
    assert row.due >= started + datetime.timedelta(seconds=delivery.BACKOFF_FIRST_SECONDS)
    assert smtp.received == []


def test_a_refused_recipient_is_given_up_without_the_servers_text(smtp: Mailbox) -> None:
    notify([_with_mail(address="refused-duty@example.org")], Kind.INTAKE_EMERGENCY)
    assert delivery.send_due() == 0
    [row] = Delivery.objects.all()
    assert (row.state, row.error) == (DeliveryState.FAILED, "recipient refused")
    assert smtp.received == []


def test_nothing_is_claimed_without_a_mail_server(settings: Any) -> None:
    settings.EMAIL_HOST = ""
    notify([_with_mail()], Kind.INTAKE_EMERGENCY)
    assert delivery.send_due() == 0
    assert Delivery.objects.get().state == DeliveryState.QUEUED


def test_a_lease_that_ran_out_sends_the_same_message_again_with_the_same_message_id(smtp: Mailbox) -> None:
    notify([_with_mail()], Kind.INTAKE_EMERGENCY)
    now = timezone.now()
    claimed = delivery.claim(now, lease_seconds=60)  # a worker claimed it, then died before sending
    [batch] = claimed
    assert delivery.claim(now, lease_seconds=60) == {}  # held: nobody else takes it
    assert delivery.send_due(now=now + datetime.timedelta(seconds=61)) == 1
    [mail] = smtp.received
    assert mail.message_id.startswith(f"<{batch}@")
    assert Delivery.objects.get().attempts == 2


def test_a_finished_row_keeps_only_the_hour_and_goes_after_a_week(smtp: Mailbox) -> None:
    notify([_with_mail()], Kind.INTAKE_EMERGENCY)
    notify([_with_mail(address="refused@example.org")], Kind.INTAKE_EMERGENCY)
    delivery.send_due()
    for row in Delivery.objects.all():
        assert row.state in (DeliveryState.SENT, DeliveryState.FAILED)
        assert (row.due.minute, row.due.second, row.due.microsecond) == (0, 0, 0)
        assert row.sent_at is None or (row.sent_at.minute, row.sent_at.second) == (0, 0)
    notify([_with_mail(address="later@example.org")], Kind.TASK_DUE)  # still queued: stays
    assert delivery.purge_finished(timezone.now() + datetime.timedelta(days=6)) == 0
    assert delivery.purge_finished(timezone.now() + datetime.timedelta(days=8)) == 2
    assert list(Delivery.objects.values_list("state", flat=True)) == [DeliveryState.QUEUED]


def test_someone_deactivated_after_the_alert_was_queued_is_not_mailed(smtp: Mailbox) -> None:
    user = _with_mail()
    notify([user], Kind.INTAKE_EMERGENCY)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert delivery.send_due() == 0
    assert smtp.received == []
    assert Delivery.objects.get().state == DeliveryState.FAILED


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_once(smtp: Mailbox) -> None:
    import threading

    from django.db import connections

    users = [_with_mail(address=f"duty{i}@example.org") for i in range(30)]
    for user in users:
        notify([user], Kind.INTAKE_EMERGENCY)
    totals: list[int] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            totals.append(delivery.send_due())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(totals) == 30
    assert len(smtp.received) == 30
    assert len({item.message_id for item in smtp.received}) == 30
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 30


def test_each_person_is_mailed_in_the_language_they_chose(smtp: Mailbox) -> None:
    russian_reader = _with_mail(address="ru@example.org")
    reading.set_preferences(
        russian_reader,
        muted=[],
        batching="immediate",
        quiet_start=None,
        quiet_end=None,
        email="ru@example.org",
        public_key="",
        language="ru",
    )
    default_reader = _with_mail(address="en@example.org")
    notify([russian_reader, default_reader], Kind.INTAKE_EMERGENCY)
    assert delivery.send_due() == 2
    subjects = {mail.rcpt_tos[0]: mail.subject for mail in smtp.received}
    assert subjects["en@example.org"] == "1 new emergency request for your team"
    assert subjects["ru@example.org"] != subjects["en@example.org"] and "экстрен" in subjects["ru@example.org"].lower()
    assert leaks(smtp.received) == []


def test_a_language_not_offered_is_refused() -> None:
    user = make_staff(Role.HOTLINE)
    with pytest.raises(ValidationError):
        reading.set_preferences(
            user, muted=[], batching="immediate", quiet_start=None, quiet_end=None, email="", public_key="", language="xx"
        )
