"""End to end through a real SMTP server on loopback: an emergency submitted while sealed reaches
the person on emergency duty as exactly one e-mail within the scheduler's interval; escalation
reaches the fallback by e-mail; no message carries what the person wrote."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.intake.models import IntakeRequest, Urgency
from corridor.intake.tests.helpers import SECRET_CONTACT, SECRET_PLACE, SECRET_STORY, submit
from corridor.keys import api as keys_api
from corridor.notifications import api, delivery, scheduler
from corridor.notifications.delivery_models import Delivery, DeliveryState
from corridor.notifications.domain import roster
from corridor.notifications.models import Preference
from corridor.notifications.tests.smtp import PLANTED, Mailbox, leaks

pytestmark = pytest.mark.django_db

PLANTED.update({SECRET_STORY, SECRET_PLACE, SECRET_CONTACT, "Садовой", "Мадины", "928 555"})
TICK = 1.0


def _address(user: User, address: str) -> None:
    preference = Preference(user=user)
    preference.set_email(address)
    preference.save()


@pytest.fixture
def team() -> dict[str, Any]:
    team = Team.objects.create(name="Горячая линия")
    admin = make_staff(Role.ADMIN)
    duty = make_staff(Role.HOTLINE, teams=[team], username="duty")
    fallback = make_staff(Role.HOTLINE, teams=[team], username="fallback")
    bystander = make_staff(Role.HOTLINE, teams=[team], username="bystander")
    for user in (duty, fallback, bystander):
        _address(user, f"{user.username}@example.org")
    now = timezone.localtime()
    roster.add_shift(
        admin,
        team,
        duty=api.Duty.EMERGENCY,
        user=duty,
        weekday=(now - datetime.timedelta(hours=1)).weekday(),
        start=(now - datetime.timedelta(hours=1)).time().replace(microsecond=0),
        end=(now + datetime.timedelta(hours=3)).time().replace(microsecond=0),
    )
    roster.set_alerting(admin, team, fallback=fallback, coordinators=[], escalation_minutes=30)
    return {"team": team, "duty": duty, "fallback": fallback, "bystander": bystander}


# Committed transactions: the scheduler thread reads the database on its own connection. The
# rows data migrations made (the intake's questionnaire) are put back afterwards for later tests.
@pytest.mark.django_db(transaction=True)
def test_a_sealed_emergency_reaches_duty_as_one_mail_within_the_interval(team: dict[str, Any], smtp: Mailbox) -> None:
    thread, stop = scheduler.start_thread(tick_seconds=TICK)
    try:
        keys_api.lockdown(actor=None, reason="cli")
        assert keys_api.is_sealed()
        response, codename = submit(q_safe_now="no")
        submitted = time.monotonic()  # the request's transaction has committed: the alert is queued
        assert response.status_code == 200 and codename
        assert IntakeRequest.objects.get().urgency == Urgency.EMERGENCY
        [mail] = smtp.wait_for(1, timeout=10 * TICK)
        elapsed = time.monotonic() - submitted
        time.sleep(3 * TICK)  # a few more rounds: nothing else comes
    finally:
        stop.set()
        thread.join(timeout=10)
    assert elapsed <= TICK + 1.0, f"the mail took {elapsed:.2f}s with a {TICK}s interval"
    assert keys_api.is_sealed()  # sent without unsealing
    assert [item.rcpt_tos for item in smtp.received] == [["duty@example.org"]]
    assert mail.subject == "1 new emergency request for your team"
    assert leaks(smtp.received) == []
    assert list(Delivery.objects.values_list("state", flat=True)) == [DeliveryState.SENT]


def test_escalation_reaches_the_fallback_by_mail(team: dict[str, Any], smtp: Mailbox) -> None:
    submit(q_safe_now="no")
    assert delivery.send_due() == 1
    assert api.escalate_due(timezone.now() + datetime.timedelta(minutes=31)) == 1
    assert delivery.send_due() == 1
    assert [item.rcpt_tos for item in smtp.received] == [["duty@example.org"], ["fallback@example.org"]]
    assert smtp.received[1].subject == "1 emergency request has not been opened in time"
    assert smtp.to("bystander@example.org") == []
    assert leaks(smtp.received) == []


def test_ordinary_requests_and_replies_carry_no_text_either(team: dict[str, Any], smtp: Mailbox) -> None:
    roster_user = team["bystander"]
    admin = make_staff(Role.ADMIN)
    now = timezone.localtime()
    roster.add_shift(
        admin,
        team["team"],
        duty=api.Duty.HOTLINE,
        user=roster_user,
        weekday=(now - datetime.timedelta(hours=1)).weekday(),
        start=(now - datetime.timedelta(hours=1)).time().replace(microsecond=0),
        end=(now + datetime.timedelta(hours=3)).time().replace(microsecond=0),
    )
    submit(q_safe_now="yes")
    submit(q_safe_now="unsure", q_what_happened=SECRET_STORY + " 2")
    delivery.send_due()
    assert smtp.received, "the hotline operator on duty was told"
    assert leaks(smtp.received) == []
