"""What the notifications app watches without being called: the audit layer's alarms (a lockdown,
a failing log, an unseal) and the periodic jobs (escalation, the sealed instance, the daily
audit verification).

NotificationsConfig.ready registers these; H's scheduler and worker run the jobs (jobs.py).
Nothing here needs a key: it all runs while sealed.
"""

from __future__ import annotations

from corridor.accounts.models import User
from corridor.audit.alarms import Alarm
from corridor.keys import api as keys_api
from corridor.notifications import jobs
from corridor.notifications.domain.escalation import escalate_due
from corridor.notifications.domain.events import instance_event, resolve_sealed_waiting
from corridor.notifications.domain.notify import notify
from corridor.notifications.models import Kind, Notification
from corridor.notifications.rules import HEAR_INSTANCE_EVENTS

ESCALATION_EVERY_SECONDS = 30
SEALED_WATCH_EVERY_SECONDS = 60


def on_alarm(alarm: Alarm) -> None:
    if alarm is Alarm.LOCKDOWN:
        instance_event(Kind.LOCKDOWN)
    elif alarm is Alarm.VERIFY_FAILED:
        instance_event(Kind.AUDIT_VERIFY_FAILED)
    elif alarm is Alarm.UNSEALED:
        resolve_sealed_waiting()


def watch_sealed() -> int:
    """While sealed, each administrator and trustee has one unread "waiting to be unsealed" (one
    e-mail per sealed spell, not one a minute). Returns how many were told now."""
    if not keys_api.is_sealed():
        return 0
    waiting = set(Notification.objects.filter(kind=Kind.SEALED_WAITING, read__isnull=True).values_list("user_id", flat=True))
    to_tell = [
        user
        for user in User.objects.filter(is_active=True).order_by("pk")
        if user.pk not in waiting and user.has_perm(HEAR_INSTANCE_EVENTS)
    ]
    return len(notify(to_tell, Kind.SEALED_WAITING)) if to_tell else 0


def register() -> None:
    from corridor.audit import alarms, schedule

    alarms.listen(on_alarm)
    jobs.register("notifications.escalate", ESCALATION_EVERY_SECONDS, escalate_due)
    jobs.register("notifications.sealed_watch", SEALED_WATCH_EVERY_SECONDS, watch_sealed)
    # The audit log sits below notifications and cannot register its own job; a failing run
    # comes back here as Alarm.VERIFY_FAILED (on_alarm above).
    jobs.register(schedule.JOB_NAME, schedule.CHECK_EVERY_SECONDS, schedule.verify_if_due)
