"""Relocation alerts told to the people they concern, once a day: applications waiting for a
decision longer than their programme's usually take, and next steps with contacts that are
overdue (relocation.alerts finds both). A periodic job in notifications' registry.

It runs only while unsealed (the alerts read figures and case records); a sealed instance
skips it until the next run. Passport expiry is not told here: the date is encrypted with the
person, and a background job that decrypts everyone's passport dates is a reader nobody asked.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import User
from corridor.keys import api as keys_api
from corridor.notifications import api as notifications
from corridor.relocation.alerts import alerts_for
from corridor.relocation.rules import VIEW_ALERTS

EVERY_SECONDS = 60 * 60
KINDS = {
    "stalled_application": notifications.Kind.RELOCATION_DECISION,
    "overdue_engagement": notifications.Kind.RELOCATION_DEADLINE,
}


def remind_relocation(now: datetime.datetime | None = None) -> int:
    """Tell each relocation user their stalled applications and overdue next steps, once a day."""
    if keys_api.is_sealed():
        return 0
    now = now or timezone.now()
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    counts: dict[str, dict[User, int]] = {kind: {} for kind in KINDS.values()}
    for user in User.objects.filter(is_active=True).order_by("pk"):
        if not user.has_perm(VIEW_ALERTS):
            continue
        for alert in alerts_for(user, today):
            kind = KINDS.get(alert.kind)
            if kind is not None:
                counts[kind][user] = counts[kind].get(user, 0) + 1
    link = reverse("relocation:alerts")
    return sum(notifications.remind_daily(found, kind, link=link, now=now) for kind, found in counts.items())


def register() -> None:
    notifications.jobs.register("relocation.remind", EVERY_SECONDS, remind_relocation)
