"""Relocation alerts reach the relocation staff who see them, once a day, as counts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.keys import api as keys_api
from corridor.notifications.models import Kind, Notification
from corridor.relocation.alerts import alerts_for
from corridor.relocation.models import Programme
from corridor.relocation.reminders import remind_relocation
from corridor.relocation.tests.factories import S, make_case, walk

pytestmark = pytest.mark.django_db


def test_stalled_applications_are_told_once_a_day_and_not_while_sealed() -> None:
    team = Team.objects.create(name="Relocation")
    coordinator = make_staff(Role.RELOCATION, teams=[team])
    hotline = make_staff(Role.HOTLINE, teams=[team])
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    programme = Programme.objects.get(country="LT")
    programme.published_days = 30
    programme.save(update_fields=["published_days"])
    case = make_case(caseworker, team)
    walk(caseworker, case, programme, [(S.SUBMITTED, datetime.date(2024, 1, 1))], channel="Embassy in Vilnius")
    stalled = [a for a in alerts_for(coordinator) if a.kind == "stalled_application"]
    assert len(stalled) == 1
    keys_api.lockdown(actor=None, reason="cli")
    assert remind_relocation() == 0  # sealed: skipped until the next run
    from corridor.accounts.testing import unseal

    unseal()
    assert remind_relocation() == 2  # the coordinator and the caseworker both see the application
    assert remind_relocation() == 0
    [told] = Notification.objects.filter(user=coordinator, kind=Kind.RELOCATION_DECISION)
    assert (told.count, told.link) == (1, "/relocation/alerts/")
    assert told.text == "1 visa application has waited for a decision longer than usual"
    with translation.override("ru"):
        assert told.text == "1 заявление на визу ждёт решения дольше обычного"
    assert "Vilnius" not in told.text and case.reference not in told.text
    assert not Notification.objects.filter(user=hotline).exists()
    assert Notification.objects.filter(user=caseworker, kind=Kind.RELOCATION_DECISION).count() == 1
    assert remind_relocation(timezone.now() + datetime.timedelta(days=1)) == 2
