"""The outbox: one Delivery row per (notification or summary, recipient, channel).

What the rows reveal at rest: kinds, counts, the hour they were made and when they went out;
never a name, place, case reference, text or address (Preference keeps the address sealed).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hour_now() -> datetime.datetime:
    """Now, to the hour, as the notifications keep it (models.this_hour; not imported: models imports this module)."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """What one recipient is to be told on one channel, and how far the telling has got.

    `key` is the idempotency key ("n:<notification>:<count>", "summary:<user>:<date>"): queueing
    the same thing twice makes one row. Rows claimed together for one recipient share a `batch`,
    which is the message they go out in and its Message-ID: a batch sent again after a crash
    (its lease ran out) carries the same Message-ID, so the recipient's mail program can tell it
    is the same message (delivery.py, "What SMTP allows").
    """

    key = models.CharField(max_length=120, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    notification = models.ForeignKey("notifications.Notification", on_delete=models.SET_NULL, null=True, related_name="+")
    # {kind: count} this row adds to its message; a summary row also carries {"summary": 1}.
    counts = models.JSONField(default=dict)
    # The notification's count this row covers up to, so a raised notification queues only the increase.
    upto = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED)
    batch = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    due = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=hour_now)
    # Why the last attempt failed: an SMTP reply code or an exception's class, never an address.
    error = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "due"], name="delivery_due"),
            models.Index(fields=["batch"], name="delivery_batch"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk}"
