"""Notifications, duty rosters, per-team alerting, staff preferences and alerts awaiting acknowledgement.

What the rows reveal at rest: kinds, counts and hours, never a name, place, case reference or
request text. Times are kept to the hour where an exact time could tell when someone asked for
help (intake keeps its own rows to the hour for the same reason, corridor/intake/models.py).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from corridor.accounts.models import Team
from corridor.keys import api as keys_api


def this_hour() -> datetime.datetime:
    """Now, truncated to the hour: a notification of a new request must not date the request closer."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


class Kind(models.TextChoices):
    """What happened, in a word; the text is built from the kind and a count only (describe())."""

    INTAKE_EMERGENCY = "intake_emergency", _("New emergency request")
    INTAKE_NEW = "intake_new", _("New request")
    THREAD_REPLY = "thread_reply", _("Reply from a person")
    ESCALATION = "escalation", _("Emergency request not opened")
    CASE_ASSIGNED = "case_assigned", _("Case assigned to you")
    TASK_DUE = "task_due", _("Task due today")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
    SAFE_HOUSE_COMPROMISED = "safe_house_compromised", _("Safe house compromised")
    RELOCATION_DECISION = "relocation_decision", _("Relocation decision")
    RELOCATION_DEADLINE = "relocation_deadline", _("Relocation deadline")
    PASSPORT_EXPIRING = "passport_expiring", _("Passport expiring")
    BREAK_GLASS = "break_glass", _("Break-glass access")
    UNSEAL_FAILED = "unseal_failed", _("Failed unseal")
    LOCKDOWN = "lockdown", _("Lockdown")
    SEALED_WAITING = "sealed_waiting", _("Waiting to be unsealed")
    AUDIT_VERIFY_FAILED = "audit_verify_failed", _("Audit verification failed")
    QUESTIONNAIRE_APPROVAL = "questionnaire_approval", _("Questionnaire change to approve")


# Sent at once whatever the preferences say (quiet hours, batching): hours count.
URGENT_KINDS: frozenset[str] = frozenset({Kind.INTAKE_EMERGENCY, Kind.ESCALATION, Kind.LOCKDOWN})

# Kinds that add up: a second one while the first is unread raises its count instead of a new row.
# (Daily reminders are not among them: each day's reminder says that day's count, see remind_daily.)
BATCHED_KINDS: frozenset[str] = frozenset({Kind.INTAKE_NEW, Kind.THREAD_REPLY, Kind.UNSEAL_FAILED, Kind.ESCALATION})


def describe(kind: str, count: int) -> str:
    """The whole text of a notification of `kind` (in the active language): a kind and a count, nothing else.

    E-mail uses it too (H's mail.py), so it must never take anything but these two.
    """
    texts = {
        Kind.INTAKE_EMERGENCY: ngettext(
            "%(count)d new emergency request for your team",
            "%(count)d new emergency requests for your team",
            count,
        ),
        Kind.INTAKE_NEW: ngettext("%(count)d new request for help", "%(count)d new requests for help", count),
        Kind.THREAD_REPLY: ngettext(
            "%(count)d new message from a person in an open thread",
            "%(count)d new messages from people in open threads",
            count,
        ),
        Kind.ESCALATION: ngettext(
            "%(count)d emergency request has not been opened in time",
            "%(count)d emergency requests have not been opened in time",
            count,
        ),
        Kind.CASE_ASSIGNED: ngettext("%(count)d case was assigned to you", "%(count)d cases were assigned to you", count),
        Kind.TASK_DUE: ngettext("%(count)d task is due today", "%(count)d tasks are due today", count),
        Kind.TASK_OVERDUE: ngettext("%(count)d task is overdue", "%(count)d tasks are overdue", count),
        Kind.SAFE_HOUSE_COMPROMISED: ngettext(
            "A safe house where %(count)d of your people lives was marked compromised",
            "A safe house where %(count)d of your people live was marked compromised",
            count,
        ),
        Kind.RELOCATION_DECISION: ngettext(
            "%(count)d visa application has waited for a decision longer than usual",
            "%(count)d visa applications have waited for a decision longer than usual",
            count,
        ),
        Kind.RELOCATION_DEADLINE: ngettext(
            "%(count)d next step with an embassy or partner is overdue",
            "%(count)d next steps with embassies or partners are overdue",
            count,
        ),
        Kind.PASSPORT_EXPIRING: ngettext("%(count)d passport expires soon", "%(count)d passports expire soon", count),
        Kind.BREAK_GLASS: ngettext("%(count)d break-glass access to a case", "%(count)d break-glass accesses to cases", count),
        Kind.UNSEAL_FAILED: ngettext(
            "%(count)d failed attempt to unseal the instance",
            "%(count)d failed attempts to unseal the instance",
            count,
        ),
        Kind.LOCKDOWN: ngettext(
            "The instance was locked down and is sealed",
            "The instance was locked down %(count)d times and is sealed",
            count,
        ),
        Kind.SEALED_WAITING: ngettext(
            "The instance is waiting to be unsealed",
            "The instance is waiting to be unsealed (%(count)d starts)",
            count,
        ),
        Kind.AUDIT_VERIFY_FAILED: ngettext(
            "Audit log verification failed", "Audit log verification failed %(count)d times", count
        ),
        Kind.QUESTIONNAIRE_APPROVAL: ngettext(
            "A questionnaire change waits for your approval",
            "%(count)d questionnaire changes wait for your approval",
            count,
        ),
    }
    return texts[Kind(kind)] % {"count": count}


class Notification(models.Model):
    """One thing a staff member should know about, in the app (and by mail, through H's outbox)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    count = models.PositiveIntegerField(default=1)
    # An in-app path that opens the thing ("/intake/triage/<uuid>/"): shown in the app only, never mailed.
    link = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(_("time"), default=this_hour)
    read = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "kind"]
        indexes = [models.Index(fields=["user", "read"], name="notification_unread")]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return f"Notification {self.pk}"

    @property
    def text(self) -> str:
        return describe(self.kind, self.count)


class Duty(models.TextChoices):
    HOTLINE = "hotline", pgettext_lazy("duty", "Hotline")
    EMERGENCY = "emergency", pgettext_lazy("duty", "Emergencies")


class DutyShift(models.Model):
    """A weekly shift: `user` is on `duty` for `team` every `weekday` from `start` to `end`.

    Times are wall-clock times in the instance's time zone (TIME_ZONE), so a shift stays
    09:00-17:00 across a change of summer time. An `end` at or before `start` ends the next day.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="duty_shifts", verbose_name=_("team"))
    duty = models.CharField(_("duty"), max_length=10, choices=Duty.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person"))
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 Monday … 6 Sunday, as datetime.weekday()
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["team", "duty", "weekday", "start"]
        verbose_name = _("shift")
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="dutyshift_weekday"),
        ]

    def __str__(self) -> str:
        return f"DutyShift {self.pk}"


class DutySwap(models.Model):
    """A one-off change: `user` is on `duty` from `starts` to `ends`, instead of `replacing` (or
    alongside the pattern when `replacing` is empty)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="duty_swaps", verbose_name=_("team"))
    duty = models.CharField(_("duty"), max_length=10, choices=Duty.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person"))
    starts = models.DateTimeField(_("from"))
    ends = models.DateTimeField(_("until"))
    replacing = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("instead of"),
    )

    class Meta:
        ordering = ["team", "starts"]
        verbose_name = _("swap")
        constraints = [models.CheckConstraint(condition=models.Q(ends__gt=models.F("starts")), name="dutyswap_order")]

    def __str__(self) -> str:
        return f"DutySwap {self.pk}"


DEFAULT_ESCALATION_MINUTES = 30


class TeamAlerting(models.Model):
    """Who is told when nobody on duty answers: the fallback first, then the coordinators.

    The coordinators also edit the team's roster (rules.py).
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="alerting", verbose_name=_("team"))
    fallback = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fallback"),
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="coordinated_alerting", verbose_name=_("coordinators")
    )
    escalation_minutes = models.PositiveIntegerField(_("escalate after (minutes)"), default=DEFAULT_ESCALATION_MINUTES)

    class Meta:
        verbose_name = _("team alerting")

    def __str__(self) -> str:
        return f"TeamAlerting {self.pk}"


class Batching(models.TextChoices):
    IMMEDIATE = "immediate", _("At once")
    HOURLY = "hourly", _("Once an hour")
    DAILY = "daily", _("Once a day")


class Preference(models.Model):
    """How a staff member wants to be told. Emergencies ignore batching and quiet hours.

    The e-mail address names a staff member, so it is stored encrypted, but to the outbox key
    (keys.api.seal_for_outbox), not under a data key: the mail worker must read it while the
    instance is sealed. A copy of the database or a backup shows no address; whoever takes the
    whole data directory (with the outbox key file) does. `set_email`/`email` seal and open it.
    `public_key` is an age recipient (public by nature) that H's delivery encrypts mail to.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    # Kinds the user turned off (emergencies cannot be: URGENT_KINDS are always delivered).
    muted = models.JSONField(default=list, blank=True)
    batching = models.CharField(_("batching"), max_length=10, choices=Batching.choices, default=Batching.IMMEDIATE)
    quiet_start = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet until"), null=True, blank=True)
    email_box = models.BinaryField(null=True, blank=True)
    public_key = models.CharField(_("age public key"), max_length=200, blank=True)
    # The language mail is written in ("" = the instance's default, settings.LANGUAGE_CODE).
    language = models.CharField(_("language of e-mail"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("notification preferences")

    def __str__(self) -> str:
        return f"Preference {self.pk}"

    @property
    def email(self) -> str:
        """The address in clear ("" when none); works while sealed."""
        if self.email_box is None:
            return ""
        return keys_api.open_from_outbox(bytes(self.email_box)).decode("utf-8")

    def set_email(self, address: str) -> None:
        address = address.strip()
        self.email_box = keys_api.seal_for_outbox(address.encode("utf-8")) if address else None

    def wants(self, kind: str) -> bool:
        return kind in URGENT_KINDS or kind not in self.muted


class Level(models.IntegerChoices):
    ON_DUTY = 0, _("on duty")
    FALLBACK = 1, _("fallback")
    COORDINATORS = 2, _("coordinators")


class Alert(models.Model):
    """An emergency that must be acknowledged (opened in triage) before `due`, or it escalates.

    `subject_key` is an HMAC of what the alert is about (escalation.subject_key), so the row does
    not point at the request; `due` is cleared once the alert is acknowledged or fully escalated,
    so finished rows keep only the hour they were made.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_key = models.CharField(max_length=64)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.ON_DUTY)
    created = models.DateTimeField(default=this_hour)
    due = models.DateTimeField(null=True, blank=True)
    acknowledged = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject_key", "team"], name="alert_subject_team")]
        indexes = [models.Index(fields=["due"], name="alert_due")]

    def __str__(self) -> str:
        return f"Alert {self.pk}"


# The outbox's models live in their own module (helper H's); imported here so Django finds them.
from corridor.notifications.delivery_models import Delivery  # noqa: E402,F401 -- after what it refers to; Django finds it here
