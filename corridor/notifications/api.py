"""What other apps call: notify people, report the events that alert, find who is on duty,
acknowledge an alert.

cases, intake, relocation, web and the keys/audit hooks import this module, never the app's
models or domain directly. Every function here may run inside the caller's action; none
decrypts anything, so the intake's may run while sealed.
"""

from __future__ import annotations

from corridor.notifications import jobs
from corridor.notifications.domain.escalation import acknowledge, escalate_due, subject_key
from corridor.notifications.domain.events import (
    break_glass_used,
    case_assigned,
    instance_event,
    person_replied,
    remind_daily,
    request_arrived,
    safe_house_compromised,
    settle,
)
from corridor.notifications.domain.notify import notify
from corridor.notifications.models import Duty, Kind, Notification
from corridor.notifications.roster import next_on_duty, on_duty, responders

__all__ = [
    "Duty",
    "Kind",
    "Notification",
    "acknowledge",
    "break_glass_used",
    "case_assigned",
    "escalate_due",
    "jobs",
    "instance_event",
    "next_on_duty",
    "notify",
    "on_duty",
    "person_replied",
    "remind_daily",
    "request_arrived",
    "responders",
    "safe_house_compromised",
    "settle",
    "subject_key",
]
