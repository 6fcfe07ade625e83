"""Alerts that must be acknowledged: raised with an emergency, acknowledged when the request is
opened, escalated to the team's fallback and then its coordinators when nobody opens it in time.

Each escalation step is a system action with its own audit entry. Raising and acknowledging
happen inside the caller's action (the intake's anonymous door, which writes no entry, and the
triage page's read, which does).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from corridor.accounts.models import Team, User
from corridor.audit.actions import act
from corridor.notifications.audit_names import NotificationAudit
from corridor.notifications.domain.notify import notify
from corridor.notifications.models import DEFAULT_ESCALATION_MINUTES, Alert, Kind, Level, TeamAlerting


def subject_key(obj: object) -> str:
    """An opaque key for what an alert is about: the row names no request, the request no alert."""
    meta = getattr(obj, "_meta", None)
    pk = getattr(obj, "pk", None)
    if meta is None or pk is None:
        raise ValueError("an alert is about a saved model instance")
    return salted_hmac("corridor.notifications.alert", f"{meta.label_lower}|{pk}", algorithm="sha256").hexdigest()


def _minutes(team: Team | None) -> int:
    if team is None:
        return DEFAULT_ESCALATION_MINUTES
    settings = TeamAlerting.objects.filter(team=team).first()
    return settings.escalation_minutes if settings is not None else DEFAULT_ESCALATION_MINUTES


def raise_alert(key: str, team: Team | None, *, now: datetime.datetime | None = None) -> Alert:
    """An alert about `key` for `team` (None: no team keeps an emergency roster), due after the team's minutes."""
    now = now or timezone.now()
    with transaction.atomic():
        alert, _created = Alert.objects.get_or_create(
            subject_key=key, team=team, defaults={"due": now + datetime.timedelta(minutes=_minutes(team))}
        )
    return alert


def acknowledge(key: str) -> int:
    """Someone opened what the alerts about `key` are for: no more escalation. How many were still open."""
    with transaction.atomic():
        return Alert.objects.filter(subject_key=key, acknowledged=False).update(acknowledged=True, due=None)


def _fallback(alert: Alert) -> list[User]:
    settings = TeamAlerting.objects.filter(team=alert.team).select_related("fallback").first()
    # A deactivated fallback is no fallback: notify() would skip them and the step would reach nobody.
    # Nor is one who has left the team since they were chosen: they must not hear of its emergencies.
    if settings is None or settings.fallback is None or not settings.fallback.is_active:
        return []
    if alert.team_id is None or not settings.fallback.teams.filter(pk=alert.team_id).exists():
        return []
    return [settings.fallback]


def _coordinators(alert: Alert) -> list[User]:
    settings = TeamAlerting.objects.filter(team=alert.team).first()
    if settings is None:
        return []
    return list(settings.coordinators.filter(is_active=True, teams=alert.team_id))


def escalate_due(now: datetime.datetime | None = None) -> int:
    """Move every alert past its time one step up: fallback, then coordinators. Returns how many moved.

    A step with nobody to tell (no fallback) goes straight on to the next. Each alert is locked
    and re-read, so two workers running this at once move it once.
    """
    now = now or timezone.now()
    moved = 0
    for pk in list(Alert.objects.filter(acknowledged=False, due__lte=now).values_list("pk", flat=True)):
        with act(None, None) as action:
            alert = Alert.objects.select_for_update().filter(pk=pk, acknowledged=False, due__lte=now).first()
            if alert is None:
                action.unaudited("another worker moved this alert, or it was acknowledged meanwhile")
                continue
            minutes = _minutes(alert.team)
            while True:
                alert.level += 1
                if alert.level == Level.FALLBACK:
                    told, entry = _fallback(alert), NotificationAudit.ESCALATE_FALLBACK
                else:
                    told, entry = _coordinators(alert), NotificationAudit.ESCALATE_COORDINATORS
                if told or alert.level >= Level.COORDINATORS:
                    break
            notify(told, Kind.ESCALATION, team=alert.team, link=reverse("intake:queue"))
            # The last step keeps no time: a finished alert says only the hour it was made.
            alert.due = now + datetime.timedelta(minutes=minutes) if alert.level < Level.COORDINATORS else None
            alert.save(update_fields=["level", "due"])
            action.record(entry, alert)
            moved += 1
    return moved
