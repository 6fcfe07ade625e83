"""Who did what to whom: events, acts, involvements, sources, information and evidence.

The shape follows the HURIDOCS events standard formats. An **event** is something that
happened (a detention, a transfer, a release), and events can be chained. An **act** is what was
done to one victim in an event. An **involvement** ties a perpetrator (a person, a unit or an
institution) to an act, with a degree. A **source** is where knowledge comes from (a testimony,
a document, a media report, another organisation's report); a piece of **information** ties a
source to an event or an act, with how the source knows and how reliable it is. A source can
be **derived from** another one: corroboration counts the originals, not the copies.

What names, places or describes is encrypted under the event's (or source's, or
perpetrator's) data key. What stays in clear is structure that identifies nobody on its own:
dates and their precision (for filters and the timeline), the act type, the region only when
the organisation chooses (CORRIDOR_REGION_IN_CLEAR), kinds, degrees and reliability grades.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Team
from corridor.cases.models import DatePrecision, Person
from corridor.keys.api import DataKey, EncryptedFile
from corridor.keys.fields import EncryptedJSONField, EncryptedTextField


class Vocabulary(models.TextChoices):
    ACT_TYPE = "act_type", _("type of act")
    METHOD = "method", _("method")


class Term(models.Model):
    """An entry of a controlled vocabulary, editable by the documentation team, in every language.

    `code` is stable (exports and the API use it); `labels` maps a language code to the words
    shown ({"en": "torture", "ru": "пытки"}). A method can name the act type it belongs to.
    """

    vocabulary = models.CharField(_("vocabulary"), max_length=12, choices=Vocabulary.choices)
    code = models.SlugField(_("code"), max_length=60)
    labels = models.JSONField(_("labels"), default=dict)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["vocabulary", "code"]
        constraints = [models.UniqueConstraint(fields=["vocabulary", "code"], name="documentation_term_unique")]

    def __str__(self) -> str:
        return self.code


class Confidentiality(models.TextChoices):
    # Who may see or receive it beyond the documentation team.
    INTERNAL = "internal", _("internal: the documentation team only")
    PARTNERS = "partners", _("may be shared with partner organisations")
    PUBLIC = "public", _("may be published")


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="events", verbose_name=_("team"))
    title = EncryptedTextField(_("title"))
    start = models.DateField(_("from"))
    start_precision = models.CharField(_("precision"), max_length=12, choices=DatePrecision.choices, default=DatePrecision.EXACT)
    end = models.DateField(_("until"), null=True, blank=True)
    end_precision = models.CharField(_("precision"), max_length=12, choices=DatePrecision.choices, default=DatePrecision.EXACT)
    region = models.CharField(_("region"), max_length=80, blank=True)
    place = EncryptedTextField(_("exact place"), null=True, blank=True)
    description = EncryptedTextField(_("description"), null=True, blank=True)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=10, choices=Confidentiality.choices, default=Confidentiality.INTERNAL
    )
    # A chain of events: detention -> transfer -> release, each `follows` the one before.
    follows = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="followed_by", verbose_name=_("follows")
    )
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # What an edit was based on: a change made from an older copy is refused (Conflict).
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start"]
        indexes = [models.Index(fields=["start"], name="documentation_event_start")]


class EndStatus(models.TextChoices):
    RELEASED = "released", _("released")
    STILL_HELD = "still_held", _("still held")
    DISAPPEARED = "disappeared", _("whereabouts unknown")
    ESCAPED = "escaped", _("escaped")
    DEAD = "dead", _("dead")
    INJURED = "injured", _("injured")
    UNKNOWN = "unknown", _("unknown")


class Act(models.Model):
    """What was done to one victim in an event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="acts")
    victim = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="acts_suffered", verbose_name=_("victim"))
    act_type = models.ForeignKey(
        Term,
        on_delete=models.PROTECT,
        related_name="acts",
        verbose_name=_("type of act"),
        limit_choices_to={"vocabulary": Vocabulary.ACT_TYPE},
    )
    methods = models.ManyToManyField(
        Term,
        blank=True,
        related_name="acts_by_method",
        verbose_name=_("methods"),
        limit_choices_to={"vocabulary": Vocabulary.METHOD},
    )
    start = models.DateField(_("from"), null=True, blank=True)
    start_precision = models.CharField(_("precision"), max_length=12, choices=DatePrecision.choices, default=DatePrecision.EXACT)
    end = models.DateField(_("until"), null=True, blank=True)
    end_precision = models.CharField(_("precision"), max_length=12, choices=DatePrecision.choices, default=DatePrecision.EXACT)
    place = EncryptedTextField(_("place"), key_field="event.data_key", null=True, blank=True)
    stated_reason = EncryptedTextField(_("stated reason"), key_field="event.data_key", null=True, blank=True)
    physical_consequences = EncryptedTextField(_("physical consequences"), key_field="event.data_key", null=True, blank=True)
    psychological_consequences = EncryptedTextField(
        _("psychological consequences"), key_field="event.data_key", null=True, blank=True
    )
    end_status = models.CharField(_("status at the end"), max_length=12, choices=EndStatus.choices, default=EndStatus.UNKNOWN)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "created"]


class PerpetratorKind(models.TextChoices):
    PERSON = "person", _("a person")
    UNIT = "unit", _("a unit")
    INSTITUTION = "institution", _("an institution")


class Perpetrator(models.Model):
    """A person, unit or institution acts are attributed to; one record, many involvements."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=PerpetratorKind.choices)
    name = EncryptedTextField(_("name"))
    description = EncryptedTextField(_("description"), null=True, blank=True)
    # The unit a person served in, the institution a unit belongs to.
    part_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created"]


class Degree(models.TextChoices):
    DIRECT = "direct", _("carried it out")
    ORDERED = "ordered", _("ordered it")
    COMPLICIT = "complicit", _("assisted or was complicit")
    PRESENT = "present", _("was present")
    ALLEGED = "alleged", _("alleged, role unclear")


class Involvement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="involvements")
    perpetrator = models.ForeignKey(Perpetrator, on_delete=models.PROTECT, related_name="involvements")
    degree = models.CharField(_("degree of involvement"), max_length=10, choices=Degree.choices, default=Degree.ALLEGED)
    note = EncryptedTextField(_("note"), key_field="act.event.data_key", null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["act", "perpetrator"], name="documentation_involvement_unique")]


class SourceKind(models.TextChoices):
    TESTIMONY = "testimony", _("testimony of a person")
    DOCUMENT = "document", _("document")
    MEDIA = "media", _("media report")
    ORGANISATION = "organisation", _("another organisation's report")


class Source(models.Model):
    """Where knowledge comes from. A testimony names the person who gave it (a person in Corridor)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="sources", verbose_name=_("team"))
    kind = models.CharField(_("kind"), max_length=12, choices=SourceKind.choices)
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="testimonies", verbose_name=_("given by")
    )
    title = EncryptedTextField(_("title"))
    # The words of the source: what near-duplicate detection compares (in memory, unsealed).
    text = EncryptedTextField(_("text"), null=True, blank=True)
    url = EncryptedTextField(_("address"), null=True, blank=True)
    # Outlet, author or organisation that published it.
    author = EncryptedTextField(_("author or outlet"), null=True, blank=True)
    published = models.DateField(_("published or recorded on"), null=True, blank=True)
    derived_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="derivatives", verbose_name=_("derived from")
    )
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created"]


class HowKnown(models.TextChoices):
    VICTIM = "victim", _("the victim")
    WITNESS = "witness", _("a direct witness")
    HEARSAY = "hearsay", _("hearsay")
    DOCUMENTARY = "documentary", _("documentary")


class Reliability(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")
    UNKNOWN = "unknown", _("not assessed")


class Information(models.Model):
    """A source says something about an event or an act, and the key facts it gives.

    The reported facts (dates, place, perpetrator) are what consistency compares across the
    independent sources of an act.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="information")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True, related_name="information")
    act = models.ForeignKey(Act, on_delete=models.CASCADE, null=True, blank=True, related_name="information")
    how_known = models.CharField(_("how the source knows"), max_length=12, choices=HowKnown.choices)
    reliability = models.CharField(_("reliability"), max_length=8, choices=Reliability.choices, default=Reliability.UNKNOWN)
    reported_start = models.DateField(_("date the source gives"), null=True, blank=True)
    reported_end = models.DateField(_("end date the source gives"), null=True, blank=True)
    reported_place = EncryptedTextField(_("place the source gives"), key_field="source.data_key", null=True, blank=True)
    reported_perpetrators = models.ManyToManyField(
        Perpetrator, blank=True, related_name="+", verbose_name=_("perpetrators the source names")
    )
    note = EncryptedTextField(_("note"), key_field="source.data_key", null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__isnull=False, act__isnull=True) | models.Q(event__isnull=True, act__isnull=False),
                name="documentation_information_one_target",
            )
        ]


class Evidence(models.Model):
    """A file (a photo, a medical report, a recording): hash, custody and redacted copies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="evidence")
    source = models.ForeignKey(Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence")
    file = models.OneToOneField(EncryptedFile, on_delete=models.PROTECT, related_name="+")
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    filename = EncryptedTextField(_("file name"))
    # SHA-256 of the original bytes as received (before any stripping), hex.
    sha256 = EncryptedTextField()
    description = EncryptedTextField(_("description"), null=True, blank=True)
    # [{"at": iso, "by": user id, "action": "received|viewed|downloaded|redacted|exported", "note": ""}]
    custody = EncryptedJSONField(default=list)
    # A redacted copy points at the original it was made from.
    redacted_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="redactions", verbose_name=_("redacted from")
    )
    uploaded = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-uploaded"]
