"""Creating notifications: called by other apps' actions, inside their transaction.

Writes no audit entry of its own: the event that notifies is audited by the action it happens
in, and the intake's anonymous door must not get an entry whose time tells when someone wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse

from corridor.accounts.models import Team, User
from corridor.notifications import delivery
from corridor.notifications.models import BATCHED_KINDS, Kind, Notification, this_hour


def notify(
    recipients: Iterable[User],
    kind: str,
    *,
    count: int = 1,
    link: str = "",
    team: Team | None = None,
    add_up: bool | None = None,
) -> list[Notification]:
    """Tell each of `recipients` (once, active ones only) that `count` things of `kind` happened.

    The text is built from `kind` and `count` alone (models.describe). `link` is an in-app path
    that opens the thing; it is shown in the app only and never mailed. For kinds that add up
    (BATCHED_KINDS), an unread notification of the same kind and team gets the count added
    instead of a second row; `add_up` True or False overrides the kind's habit (a flood of
    emergencies past the intake's rate limit adds up, so it cannot flood anyone's mailbox).
    Each created or raised notification is handed to the outbox.
    """
    kind = Kind(kind)
    if count < 1:
        raise ValueError("a notification counts at least one thing")
    if link and not link.startswith("/"):
        raise ValueError("a notification links only to a path inside the app")
    unique: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.is_active:
            unique.setdefault(user.pk, user)
    made: list[Notification] = []
    with transaction.atomic():
        for user in unique.values():
            notification = None
            if add_up if add_up is not None else kind in BATCHED_KINDS:
                notification = (
                    Notification.objects.select_for_update()
                    .filter(user=user, kind=kind, team=team, read__isnull=True)
                    .order_by("-created")
                    .first()
                )
            if notification is not None:
                notification.count += count
                notification.created = max(notification.created, this_hour())
                if link and notification.link != link:
                    # Several things: the link opens the list they are in, not one of them.
                    notification.link = _list_of(kind)
                notification.save(update_fields=["count", "created", "link"])
            else:
                notification = Notification.objects.create(user=user, kind=kind, count=count, link=link, team=team)
            _queue_delivery(notification)
            made.append(notification)
    return made


def _list_of(kind: str) -> str:
    """The page that lists several things of `kind` ("" for the notification list itself)."""
    if kind in {Kind.INTAKE_NEW, Kind.INTAKE_EMERGENCY, Kind.THREAD_REPLY, Kind.ESCALATION}:
        return reverse("intake:queue")
    return ""


def _queue_delivery(notification: Notification) -> None:
    """Hand `notification` to the outbox (helper H's delivery.py fills this in).

    Called inside the transaction that made or raised the notification, so the delivery row
    commits or rolls back with it; it must not decrypt anything (it runs while sealed).
    """
    delivery.queue(notification)
