"""An emergency's first escalation step must reach someone: a deactivated fallback is skipped,
as a step with no fallback is, instead of swallowing the step (review R1)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.notifications import api
from corridor.notifications.domain import roster as domain
from corridor.notifications.domain.escalation import raise_alert
from corridor.notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db


def test_a_deactivated_fallback_does_not_swallow_the_escalation() -> None:
    team = Team.objects.create(name="Hotline")
    admin = make_staff(Role.ADMIN)
    fallback = make_staff(Role.HOTLINE, teams=[team], username="fallback")
    coordinator = make_staff(Role.HOTLINE, teams=[team], username="coordinator")
    domain.set_alerting(admin, team, fallback=fallback, coordinators=[coordinator], escalation_minutes=30)
    User.objects.filter(pk=fallback.pk).update(is_active=False)  # left the organisation

    raise_alert("d" * 64, team)  # an emergency nobody on duty opened
    assert api.escalate_due(timezone.now() + datetime.timedelta(minutes=31)) == 1
    assert list(Notification.objects.filter(user=coordinator).values_list("kind", flat=True)) == [Kind.ESCALATION]
    assert not Notification.objects.filter(user=fallback).exists()


def test_people_who_left_the_team_hear_nothing_of_its_emergencies() -> None:
    team = Team.objects.create(name="Hotline")
    other = Team.objects.create(name="Elsewhere")
    admin = make_staff(Role.ADMIN)
    fallback = make_staff(Role.HOTLINE, teams=[team], username="fallback")
    coordinator = make_staff(Role.HOTLINE, teams=[team], username="coordinator")
    stayed = make_staff(Role.HOTLINE, teams=[team], username="stayed")
    domain.set_alerting(admin, team, fallback=fallback, coordinators=[coordinator, stayed], escalation_minutes=30)
    # Both moved to another team after they were chosen.
    fallback.teams.set([other])
    coordinator.teams.set([other])

    raise_alert("e" * 64, team)
    assert api.escalate_due(timezone.now() + datetime.timedelta(minutes=31)) == 1
    assert list(Notification.objects.filter(user=stayed).values_list("kind", flat=True)) == [Kind.ESCALATION]
    assert not Notification.objects.filter(user__in=[fallback, coordinator]).exists()
