"""The events that alert, one function each: who is told, and of what kind.

Other apps call these (through notifications.api) from inside their own actions, so the
notifications commit or roll back with the event. None of them decrypts anything: the intake's
run while sealed. None takes a text: only a link inside the app, a team, people and a count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.holders import holders
from corridor.accounts.models import Team, User
from corridor.notifications import roster
from corridor.notifications.domain.escalation import raise_alert
from corridor.notifications.domain.notify import notify
from corridor.notifications.models import Duty, Kind, Notification
from corridor.notifications.rules import HEAR_INSTANCE_EVENTS

TRIAGE = "intake.triage"
REVIEW_BREAK_GLASS = "cases.review_break_glass"


def _holding(perm: str) -> list[User]:
    """Active staff whose role holds `perm` (roles live in accounts.roles; rules decide): found
    by role in the database, not by asking every user (accounts.holders says why it is exact)."""
    return holders(perm)


def _triagers_on(duty: str) -> list[tuple[Team | None, list[User]]]:
    """Per team keeping a roster for `duty`: who is on it now (else the fallback). With no roster
    anywhere, or nobody on any, everyone who may triage, so that no request goes unseen."""
    now = timezone.now()
    found: list[tuple[Team | None, list[User]]] = [
        (team, roster.responders(team, duty, now)) for team in roster.teams_with_duty(duty)
    ]
    found = [(team, people) for team, people in found if people]
    if found:
        return found
    return [(None, _holding(TRIAGE))]


def request_arrived(*, emergency: bool, link: str, alert_key: str, held: bool = False) -> list[Notification]:
    """A new request for help: an emergency goes at once to whoever is on emergency duty (and
    starts an alert that escalates); others add up for whoever is on hotline duty.

    `held`: it arrived past the intake's rate limit; then even emergencies add up in one unread
    notification, so that a flood cannot bury the duty person's mailbox (each still escalates).
    """
    made: list[Notification] = []
    if emergency:
        for team, people in _triagers_on(Duty.EMERGENCY):
            made += notify(people, Kind.INTAKE_EMERGENCY, link=link, team=team, add_up=True if held else None)
            if team is not None:
                raise_alert(alert_key, team)
    else:
        for team, people in _triagers_on(Duty.HOTLINE):
            made += notify(people, Kind.INTAKE_NEW, link=link, team=team)
    return made


def person_replied(*, link: str, owner: User | None = None, team: Team | None = None) -> list[Notification]:
    """A person wrote again in their thread: to the owner of the case opened from it, else the
    case's team on hotline duty, else whoever is on hotline duty."""
    if owner is not None and owner.is_active:
        return notify([owner], Kind.THREAD_REPLY, link=link, team=team)
    if team is not None:
        people = roster.responders(team, Duty.HOTLINE) or list(team.members.filter(is_active=True))
        return notify(people, Kind.THREAD_REPLY, link=link, team=team)
    made: list[Notification] = []
    for each_team, people in _triagers_on(Duty.HOTLINE):
        made += notify(people, Kind.THREAD_REPLY, link=link, team=each_team)
    return made


def case_assigned(owner: User, *, link: str, team: Team | None = None) -> list[Notification]:
    return notify([owner], Kind.CASE_ASSIGNED, link=link, team=team)


def safe_house_compromised(
    owners: Iterable[User], *, people: int, link: str = "", team: Team | None = None
) -> list[Notification]:
    """To each owner of a case with someone placed in the house (the caller knows the placements)."""
    return notify(owners, Kind.SAFE_HOUSE_COMPROMISED, count=max(people, 1), link=link, team=team)


def break_glass_used(*, link: str = "") -> list[Notification]:
    """Someone opened a case by break-glass: every administrator is told (they review it)."""
    return notify(_holding(REVIEW_BREAK_GLASS), Kind.BREAK_GLASS, link=link or reverse("web:dashboard"))


def instance_event(kind: str) -> list[Notification]:
    """A failed unseal, a lockdown, the instance waiting to be unsealed, audit verification
    failing: to administrators and trustees. Works while sealed (nothing is decrypted)."""
    return notify(_holding(HEAR_INSTANCE_EVENTS), kind)


def resolve_sealed_waiting() -> int:
    """Unsealed: the waiting notices are history (the people told may not even use the app).

    Bookkeeping inside the unseal's own audit entry (keys reports it, audit.key_events records
    it and sounds the alarm that calls this), so no entry of its own; not act(), whose durable
    transaction cannot open inside the alarm's savepoint.
    """
    with transaction.atomic():
        return Notification.objects.filter(kind=Kind.SEALED_WAITING, read__isnull=True).update(read=timezone.now())


def settle(kind: str, *, link: str = "") -> int:
    """What `kind` told of is dealt with (a questionnaire change approved, sent back or
    discarded): everyone's unread notifications of it are marked read. Bookkeeping inside the
    caller's audited action, so no entry of its own."""
    unread = Notification.objects.filter(kind=Kind(kind), read__isnull=True)
    if link:
        unread = unread.filter(link=link)
    return unread.update(read=timezone.now())


def remind_daily(counts: Mapping[User, int], kind: str, *, link: str = "", now: datetime.datetime | None = None) -> int:
    """Tell each user of their count of `kind` (tasks due, say) once a local day, however often
    the job runs; a user already told today is skipped. Returns how many were told."""
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    midnight = timezone.localtime(now, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    wanted = {user: count for user, count in counts.items() if count > 0 and user.is_active}
    told_today = set(
        Notification.objects.filter(kind=kind, created__gte=midnight, user__in=list(wanted)).values_list("user_id", flat=True)
    )
    told = 0
    for user, count in wanted.items():
        if user.pk not in told_today:
            notify([user], kind, count=count, link=link)
            told += 1
    return told
