"""Events that alert and escalation: the right people, the right kinds, each step audited, no content."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.audit import alarms
from corridor.audit.models import AuditEntry
from corridor.notifications import api, watch
from corridor.notifications.domain import roster as domain
from corridor.notifications.models import Alert, Kind, Notification

pytestmark = pytest.mark.django_db


def _kinds(user) -> list[tuple[str, int]]:
    return sorted((n.kind, n.count) for n in Notification.objects.filter(user=user))


@pytest.fixture
def world() -> dict[str, object]:
    team = Team.objects.create(name="Hotline")
    admin = make_staff(Role.ADMIN)
    duty = make_staff(Role.HOTLINE, teams=[team], username="duty")
    fallback = make_staff(Role.HOTLINE, teams=[team], username="fallback")
    coordinator = make_staff(Role.HOTLINE, teams=[team], username="coordinator")
    bystander = make_staff(Role.HOTLINE, teams=[team], username="bystander")
    now = timezone.localtime()
    start = (now - datetime.timedelta(hours=1)).time().replace(microsecond=0)
    end = (now + datetime.timedelta(hours=3)).time().replace(microsecond=0)
    for duty_name in (api.Duty.EMERGENCY, api.Duty.HOTLINE):
        domain.add_shift(
            admin, team, duty=duty_name, user=duty, weekday=(now - datetime.timedelta(hours=1)).weekday(), start=start, end=end
        )
    domain.set_alerting(admin, team, fallback=fallback, coordinators=[coordinator], escalation_minutes=30)
    return {"team": team, "admin": admin, "duty": duty, "fallback": fallback, "coordinator": coordinator, "bystander": bystander}


def test_emergency_goes_to_duty_and_escalates(world: dict[str, object]) -> None:
    key = "k" * 64
    api.request_arrived(emergency=True, link="/triage/x/", alert_key=key)
    assert _kinds(world["duty"]) == [(Kind.INTAKE_EMERGENCY, 1)]
    assert _kinds(world["fallback"]) == _kinds(world["bystander"]) == []
    now = timezone.now()
    assert api.escalate_due(now + datetime.timedelta(minutes=29)) == 0
    assert api.escalate_due(now + datetime.timedelta(minutes=31)) == 1
    assert _kinds(world["fallback"]) == [(Kind.ESCALATION, 1)]
    assert _kinds(world["coordinator"]) == []
    assert api.escalate_due(now + datetime.timedelta(minutes=45)) == 0
    assert api.escalate_due(now + datetime.timedelta(minutes=62)) == 1
    assert _kinds(world["coordinator"]) == [(Kind.ESCALATION, 1)]
    assert api.escalate_due(now + datetime.timedelta(days=1)) == 0  # the chain ends
    assert list(
        AuditEntry.objects.filter(action__startswith="alert.escalate").order_by("seq").values_list("action", flat=True)
    ) == [
        "alert.escalate.fallback",
        "alert.escalate.coordinators",
    ]
    assert Alert.objects.get().due is None


def test_opening_the_request_stops_escalation(world: dict[str, object]) -> None:
    key = "a" * 64
    api.request_arrived(emergency=True, link="/triage/x/", alert_key=key)
    assert api.acknowledge(key) == 1
    assert api.escalate_due(timezone.now() + datetime.timedelta(hours=5)) == 0
    assert _kinds(world["fallback"]) == []


def test_other_requests_add_up_for_hotline_duty(world: dict[str, object]) -> None:
    api.request_arrived(emergency=False, link="/triage/a/", alert_key="b" * 64)
    api.request_arrived(emergency=False, link="/triage/b/", alert_key="c" * 64)
    assert _kinds(world["duty"]) == [(Kind.INTAKE_NEW, 2)]
    assert Alert.objects.count() == 0
    assert _kinds(world["bystander"]) == []


def test_with_no_roster_every_triager_is_told() -> None:
    team = Team.objects.create(name="Solo")
    one = make_staff(Role.HOTLINE, teams=[team])
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    api.request_arrived(emergency=True, link="/triage/x/", alert_key="d" * 64)
    assert _kinds(one) == [(Kind.INTAKE_EMERGENCY, 1)]
    assert _kinds(caseworker) == []


def test_fallback_when_nobody_on_duty_then_coordinators() -> None:
    team = Team.objects.create(name="Night")
    admin = make_staff(Role.ADMIN)
    fallback = make_staff(Role.HOTLINE, teams=[team])
    coordinator = make_staff(Role.HOTLINE, teams=[team])
    domain.set_alerting(admin, team, fallback=fallback, coordinators=[coordinator], escalation_minutes=10)
    api.request_arrived(emergency=True, link="/triage/x/", alert_key="e" * 64)
    assert _kinds(fallback) == [(Kind.INTAKE_EMERGENCY, 1)]
    api.escalate_due(timezone.now() + datetime.timedelta(minutes=11))
    assert _kinds(fallback) == [(Kind.ESCALATION, 1), (Kind.INTAKE_EMERGENCY, 1)]


def test_lockdown_and_failing_log_tell_admins_and_trustees() -> None:
    admin = make_staff(Role.ADMIN)
    trustee = make_staff(Role.TRUSTEE, factor=False)
    worker = make_staff(Role.CASEWORKER)
    alarms.sound(alarms.Alarm.LOCKDOWN)
    alarms.sound(alarms.Alarm.VERIFY_FAILED)
    assert _kinds(admin) == _kinds(trustee) == [(Kind.AUDIT_VERIFY_FAILED, 1), (Kind.LOCKDOWN, 1)]
    assert _kinds(worker) == []


def test_sealed_instance_tells_once_per_spell(shares: list[str]) -> None:
    from corridor.keys import api as keys_api

    admin = make_staff(Role.ADMIN)
    keys_api.lockdown(actor=None, reason="cli")
    assert watch.watch_sealed() == 1
    assert watch.watch_sealed() == 0
    assert _kinds(admin) == [(Kind.LOCKDOWN, 1), (Kind.SEALED_WAITING, 1)]
    for share in shares[:3]:  # through the facade, as trustees do: keys reports the unseal
        keys_api.submit_share(share)
    assert not keys_api.is_sealed()
    assert Notification.objects.filter(kind=Kind.SEALED_WAITING, read__isnull=True).count() == 0
    assert watch.watch_sealed() == 0


def test_break_glass_and_compromise() -> None:
    admin = make_staff(Role.ADMIN)
    owner = make_staff(Role.CASEWORKER)
    other = make_staff(Role.CASEWORKER)
    api.break_glass_used(link="/cases/x/")
    api.safe_house_compromised([owner, owner], people=3)
    assert _kinds(admin) == [(Kind.BREAK_GLASS, 1)]
    assert _kinds(owner) == [(Kind.SAFE_HOUSE_COMPROMISED, 3)]
    assert _kinds(other) == []


def test_a_refused_unseal_share_tells_admins_and_trustees(shares: list[str]) -> None:
    from django.test import Client
    from django.urls import reverse

    from corridor.keys import api as keys_api

    admin = make_staff(Role.ADMIN)
    trustee = make_staff(Role.TRUSTEE, factor=False)
    keys_api.lockdown(actor=None, reason="cli")
    Notification.objects.all().delete()
    for _attempt in range(2):
        response = Client().post(reverse("web:unseal"), {"share": "share 9: AAAA-BBBB"})
        assert response.status_code == 400
    assert _kinds(admin) == _kinds(trustee) == [(Kind.UNSEAL_FAILED, 2)]


def test_a_flood_past_the_rate_limit_adds_up_but_each_escalates(world: dict[str, object]) -> None:
    for number in range(5):
        api.request_arrived(emergency=True, link=f"/triage/{number}/", alert_key=f"{number}" * 64, held=True)
    assert _kinds(world["duty"]) == [(Kind.INTAKE_EMERGENCY, 5)]
    assert Notification.objects.get(user=world["duty"]).link == "/triage/"
    assert api.escalate_due(timezone.now() + datetime.timedelta(minutes=31)) == 5
    assert _kinds(world["fallback"]) == [(Kind.ESCALATION, 5)]


def test_a_failing_audit_verification_tells_admins() -> None:
    from django.db import connection

    from corridor.audit import triggers
    from corridor.audit.models import AuditEntry
    from corridor.audit.verify import verify

    admin = make_staff(Role.ADMIN)
    team = Team.objects.create(name="Logged")
    domain.set_alerting(admin, team, fallback=None, coordinators=[], escalation_minutes=20)
    assert verify().ok
    assert _kinds(admin) == []
    with triggers.lifted(connection):
        AuditEntry.objects.filter(action="roster.alerting.set").update(action="roster.shift.add")
    assert not verify().ok
    assert _kinds(admin) == [(Kind.AUDIT_VERIFY_FAILED, 1)]


def test_the_periodic_jobs_are_registered_for_the_scheduler() -> None:
    from corridor.notifications import jobs

    names = {job.name: job.every_seconds for job in jobs.registered()}
    assert {
        name: names.get(name)
        for name in ("notifications.escalate", "notifications.sealed_watch", "cases.remind_tasks", "relocation.remind")
    } == {
        "notifications.escalate": 30,
        "notifications.sealed_watch": 60,
        "cases.remind_tasks": 900,
        "relocation.remind": 3600,
    }
    with pytest.raises(RuntimeError):
        jobs.register("notifications.escalate", 30, lambda: None)
