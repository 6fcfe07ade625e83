"""What other apps call: notify people, find who is on duty, acknowledge an alert.

cases, intake, relocation and web import this module, never the app's models or domain.
"""

from __future__ import annotations

from corridor.notifications.domain.notify import notify
from corridor.notifications.models import Duty, Kind, Notification

__all__ = ["Duty", "Kind", "Notification", "notify"]
