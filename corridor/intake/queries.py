"""Read-only questions about the triage queue for pages outside the intake (the dashboard).

Nothing here decrypts, writes or audits: only the workflow state kept in clear (urgency,
whether a reply is awaited, the hour of the last activity) is counted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q

from corridor.accounts.models import User
from corridor.intake.access import TRIAGE, requests_visible_to
from corridor.intake.models import RequestState, Urgency


@dataclass(frozen=True)
class Waiting:
    """What waits in triage for `user`: emergencies (with the hour the oldest has waited since)
    and every request waiting for a reply, held ones included."""

    emergencies: int
    oldest_emergency: datetime.datetime | None
    total: int


def waiting_for(user: User) -> Waiting | None:
    """None for a role that does not triage; otherwise the counts, in one query.

    A request waits since its last activity: a person who writes again after a reply is
    waiting again from that hour (activity_hour is kept to the hour, as everything in the intake).
    """
    if not user.has_perm(TRIAGE):
        return None
    emergency = Q(urgency=Urgency.EMERGENCY)
    found = (
        requests_visible_to(user)
        .filter(awaiting_reply=True)
        .exclude(state=RequestState.SPAM)
        .aggregate(
            total=Count("pk"),
            emergencies=Count("pk", filter=emergency),
            oldest=Min("activity_hour", filter=emergency),
        )
    )
    return Waiting(emergencies=found["emergencies"], oldest_emergency=found["oldest"], total=found["total"])
