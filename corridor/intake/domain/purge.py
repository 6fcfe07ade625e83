"""Retention: spam and never-answered requests are deleted once idle past their time.

Runs as the system (`corridor intake_purge`, daily), and works while sealed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from corridor.audit.actions import act
from corridor.intake import conf
from corridor.intake.audit_names import IntakeAudit
from corridor.intake.models import IntakeRequest, RequestState


@dataclass(frozen=True)
class Purged:
    spam: int
    unanswered: int


def purge(now: datetime.datetime | None = None) -> Purged:
    """Delete spam and never-answered requests idle longer than the configured days.

    One entry says a purge deleted something; a run that found nothing records nothing.
    """
    now = now or timezone.now()
    spam_days, unanswered_days = conf.purge_days()
    with act(None, None) as action:
        # Locked first, so a reply or an "unspam" arriving meanwhile waits and is not lost with the row.
        spam = IntakeRequest.objects.select_for_update().filter(
            state=RequestState.SPAM, activity_hour__lt=now - datetime.timedelta(days=spam_days)
        )
        unanswered = IntakeRequest.objects.select_for_update().filter(
            state=RequestState.OPEN, answered=False, activity_hour__lt=now - datetime.timedelta(days=unanswered_days)
        )
        spam_ids = list(spam.values_list("pk", flat=True))
        unanswered_ids = list(unanswered.values_list("pk", flat=True))
        if not spam_ids and not unanswered_ids:
            action.unchanged()
            return Purged(0, 0)
        IntakeRequest.objects.filter(pk__in=[*spam_ids, *unanswered_ids]).delete()
        action.record(IntakeAudit.PURGE)
    return Purged(len(spam_ids), len(unanswered_ids))
