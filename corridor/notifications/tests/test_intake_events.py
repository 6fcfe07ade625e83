"""A request for help notifies through the real intake door, sealed, with no content; opening it acknowledges."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff, sign_in
from corridor.intake.models import IntakeRequest, Urgency
from corridor.intake.tests.helpers import SECRET_CONTACT, SECRET_PLACE, SECRET_STORY, submit
from corridor.keys import api as keys_api
from corridor.notifications.models import Alert, Kind, Notification

pytestmark = pytest.mark.django_db

PLANTED = [SECRET_STORY, SECRET_PLACE, SECRET_CONTACT, "Садовой", "Мадины", "928"]


def _all_texts() -> list[str]:
    texts = []
    for language in ("en", "ru"):
        with translation.override(language):
            texts += [f"{n.text} {n.link}" for n in Notification.objects.all()]
    return texts


def test_sealed_emergency_notifies_without_keys_and_without_content(shares: list[str]) -> None:
    team = Team.objects.create(name="Hotline")
    operator = make_staff(Role.HOTLINE, teams=[team])
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    keys_api.lockdown(actor=None, reason="cli")
    assert keys_api.is_sealed()
    response, codename = submit(q_safe_now="no")
    assert response.status_code == 200 and codename
    request = IntakeRequest.objects.get()
    assert request.urgency == Urgency.EMERGENCY
    [notification] = Notification.objects.filter(user=operator, kind=Kind.INTAKE_EMERGENCY)
    assert notification.link == f"/triage/{request.pk}/"
    assert not Notification.objects.filter(user=caseworker).exists()
    for text in _all_texts():
        for planted in PLANTED:
            assert planted.lower() not in text.lower()


def test_ordinary_requests_add_up_and_a_reply_is_told() -> None:
    from corridor.intake.domain import requests as intake

    team = Team.objects.create(name="Hotline")
    operator = make_staff(Role.HOTLINE, teams=[team])
    submit(q_safe_now="yes")
    submit(q_safe_now="unsure")
    assert [(n.kind, n.count, n.link) for n in Notification.objects.filter(user=operator)] == [(Kind.INTAKE_NEW, 2, "/triage/")]
    assert Alert.objects.count() == 0
    _response, codename = submit(q_safe_now="yes")
    thread = intake.find(codename)
    intake.send(thread, SECRET_STORY)
    assert [(n.kind, n.count) for n in Notification.objects.filter(user=operator).order_by("kind")] == [
        (Kind.INTAKE_NEW, 3),
        (Kind.THREAD_REPLY, 1),
    ]
    for text in _all_texts():
        for planted in PLANTED:
            assert planted.lower() not in text.lower()


def test_opening_an_emergency_in_triage_stops_its_escalation() -> None:
    from corridor.notifications.domain import roster

    team = Team.objects.create(name="Hotline")
    admin = make_staff(Role.ADMIN)
    operator = make_staff(Role.HOTLINE, teams=[team])
    roster.set_alerting(admin, team, fallback=operator, coordinators=[], escalation_minutes=30)
    submit(q_safe_now="no")
    request = IntakeRequest.objects.get()
    alert = Alert.objects.get()
    assert (alert.team, alert.acknowledged) == (team, False)
    client = sign_in(Client(), operator)
    assert client.get(f"/triage/{request.pk}/").status_code == 200
    alert.refresh_from_db()
    assert (alert.acknowledged, alert.due) == (True, None)
