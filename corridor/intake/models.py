"""Anonymous requests for help and their threads, stored only as age ciphertext.

Messages are encrypted to the intake recipient (and replies also to the person's own
passphrase key) before they reach these tables, so they can be written while the instance
is sealed. Times are kept to the hour, so no row pinpoints when someone wrote; no row
holds a network address. Primary keys are random UUIDs, so they reveal no order either.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def this_hour() -> datetime.datetime:
    """Now, truncated to the hour: the only precision the intake ever stores."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


class InstanceSalt(models.Model):
    """The instance-wide argon2id salt for passphrase lookups (one row, created on first use).

    Per-request salts would force a login to hash the passphrase once per stored request;
    one salt per instance still defeats precomputed tables, and with >= 80 bits in the
    passphrase nothing more is gained (SecureDrop does the same with its ID pepper).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    salt = models.BinaryField()


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency: not safe now")
    UNSURE = "unsure", _("Unsure whether safe")
    NORMAL = "normal", _("Normal")


URGENCY_ORDER = {Urgency.EMERGENCY: 0, Urgency.UNSURE: 1, Urgency.NORMAL: 2}


class RequestState(models.TextChoices):
    OPEN = "open", pgettext_lazy("state of a request for help", "Open")
    SPAM = "spam", _("Spam")
    CASE = "case", _("Case opened")


class IntakeRequest(models.Model):
    """One person's thread, found by the hash of their passphrase (the pages call it a codename)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # HKDF of argon2id(passphrase, instance salt): finds the thread, proves nothing without the passphrase.
    lookup = models.CharField(max_length=64, unique=True)
    # The age recipient derived from the passphrase; replies are encrypted to it.
    recipient = models.CharField(max_length=100)
    # One-time token of the form this request came from: the same form cannot be posted twice.
    form_nonce = models.CharField(max_length=32, unique=True)
    state = models.CharField(max_length=8, choices=RequestState.choices, default=RequestState.OPEN)
    # Workflow state in clear, like a case's priority, so the queue can be sorted while
    # nobody decrypts it; it says how many people were in danger, not who.
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    awaiting_reply = models.BooleanField(default=True)
    # Arrived while a rate limit was reached: accepted and encrypted as always, but shown
    # to triage in its own list so a flood cannot bury the queue (DESIGN.md invariant 13).
    held = models.BooleanField(default=False)
    answered = models.BooleanField(default=False)
    created_hour = models.DateTimeField(default=this_hour)
    activity_hour = models.DateTimeField(default=this_hour)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The questionnaire version the person answered: triage shows its questions as they were asked.
    questionnaire = models.ForeignKey("QuestionnaireVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["state", "awaiting_reply"], name="intake_queue")]

    def __str__(self) -> str:
        return f"IntakeRequest {self.pk}"

    @property
    def reference(self) -> str:
        """A short handle staff can say aloud; random like the key it is taken from."""
        return str(self.pk)[:8].upper()


class Direction(models.TextChoices):
    IN = "in", _("from the person")
    OUT = "out", _("reply")


class IntakeMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(IntakeRequest, on_delete=models.CASCADE, related_name="messages")
    # Order within the thread; the hour alone cannot order two messages.
    seq = models.PositiveIntegerField()
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # age ciphertext: to the intake recipient (IN), or to the person and the intake recipient (OUT).
    ciphertext = models.BinaryField()
    created_hour = models.DateTimeField(default=this_hour)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["request", "seq"], name="intake_message_seq")]

    def __str__(self) -> str:
        return f"IntakeMessage {self.request_id}#{self.seq}"


class IntakeAttachment(models.Model):
    """A file sent with a message: metadata stripped, then age-encrypted with its name and type."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(IntakeMessage, on_delete=models.CASCADE, related_name="attachments")
    ciphertext = models.BinaryField()

    def __str__(self) -> str:
        return f"IntakeAttachment {self.pk}"


class RateCounter(models.Model):
    """One fixed-window counter of the intake's rate limits, shared by every web worker.

    `name` is a scope and a subject: "submit:all", or a per-address scope with the
    address's tag, an HMAC under a key that only the key service holds in memory (see
    ratelimit.py). Rows are deleted once their window has passed.
    """

    name = models.CharField(max_length=64)
    slot = models.BigIntegerField()  # the window's number: seconds since the epoch // window length
    hits = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField()  # seconds since the epoch

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="intake_ratecounter_window")]
        indexes = [models.Index(fields=["expires"], name="intake_ratecounter_expires")]

    def __str__(self) -> str:
        return f"RateCounter {self.name}@{self.slot}"


# -- the questionnaire (issue 18) -----------------------------------------------------------------
# Not secret: the public page reads it while the instance is sealed, so it is stored in clear.
# Wording is per language: {"ru": {"label": ..., "help": ...}, "en": {...}, "uk": {...}}.


class QuestionKind(models.TextChoices):
    SECTION = "section", _("Section heading")
    SHORT = "short", _("Short text")
    LONG = "long", _("Long text")
    CHOICE = "choice", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    YESNO = "yesno", _("Yes / no / not sure")
    DATE = "date", _("Date")
    FILE = "file", _("File")


# The values a yes/no/unsure question stores; their wording comes from gettext or the fixed texts.
YESNO_VALUES = ("yes", "no", "unsure")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    LIVE = "live", _("Live")
    RETIRED = "retired", _("Retired")


class MapsTo(models.TextChoices):
    """Fields of a new case an answer can fill (the caseworker confirms on the open-case form)."""

    NONE = "", _("Nothing")
    PERSON_NAME = "person.name", _("The person's name or alias")
    PERSON_LOCATION = "person.location", _("The person's location")
    PERSON_CONTACT = "person.contact", _("The person's contact")
    CASE_SUMMARY = "case.summary", _("The case's summary")


class QuestionnaireVersion(models.Model):
    """One version of the intake's questions. A draft is edited; publishing it needs a second
    admin's approval (not its author); only the one live version reaches the public page."""

    number = models.PositiveIntegerField(unique=True)
    state = models.CharField(max_length=8, choices=VersionState.choices, default=VersionState.DRAFT)
    note = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["state"], condition=models.Q(state="live"), name="intake_one_live_questionnaire")
        ]

    def __str__(self) -> str:
        return f"QuestionnaireVersion {self.number}"


class Question(models.Model):
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions")
    # Stable within a version and carried to the next one: the answer's key in the payload.
    key = models.SlugField(max_length=40)
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=QuestionKind.choices, default=QuestionKind.SHORT)
    required = models.BooleanField(default=False)
    # Shown in the triage list next to the request (after decryption, in memory).
    summary = models.BooleanField(default=False)
    # {lang: {"label": str, "help": str}}
    wording = models.JSONField(default=dict, blank=True)
    # [{"value": str, "labels": {lang: str}}] for single and multiple choice.
    choices = models.JSONField(default=list, blank=True)
    # Asked only when the question with this key was answered with one of these values
    # (a second step of the form: no JavaScript).
    condition_key = models.SlugField(max_length=40, blank=True)
    condition_values = models.JSONField(default=list, blank=True)
    # Answer values that make the request an emergency, or "unsure whether safe".
    emergency_values = models.JSONField(default=list, blank=True)
    unsure_values = models.JSONField(default=list, blank=True)
    maps_to = models.CharField(max_length=20, choices=MapsTo.choices, blank=True, default=MapsTo.NONE)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="intake_question_key")]

    def __str__(self) -> str:
        return f"Question {self.key}@{self.version_id}"


class IntakeLook(models.Model):
    """The public page's name and look (one row, pk 1). Not secret; read while sealed.

    Per-language texts are {lang: str}; an empty or missing value means "the default".
    `no_name`: the page names no organisation at all (title, heading, favicon neutral).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    no_name = models.BooleanField(default=False)
    name = models.JSONField(default=dict, blank=True)
    introduction = models.JSONField(default=dict, blank=True)
    page_title = models.JSONField(default=dict, blank=True)
    # Re-encoded, metadata stripped, size-limited before it is stored; served from the instance.
    logo = models.BinaryField(null=True, blank=True)
    logo_type = models.CharField(max_length=40, blank=True)
    quick_exit_url = models.URLField(max_length=500, blank=True)
    # The languages the intake offers, in order; the first is the default.
    languages = models.JSONField(default=list, blank=True)
    # Languages an admin added beyond those that ship: {code: its own name in its own script}.
    added_languages = models.JSONField(default=dict, blank=True)
    # The page's own sentences in an added language: {lang: {English msgid: text}}.
    fixed_texts = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "IntakeLook"
