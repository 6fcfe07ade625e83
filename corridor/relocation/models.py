"""Countries, programmes, applications (case x programme) with their status history and
checklists, contacts and engagements (the HURIDOCS "intervention").

What identifies or locates a person, and what was said to or by a contact, is encrypted:
application channels, refusal texts, transition reasons, checklist notes, a case's referral
and family ties (under the case's data key), contact details and engagement notes (under
the contact's own data key). Programmes and countries are public knowledge and stay clear;
so does workflow state (status, dates), which the figures are computed from.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from corridor.cases.models import Case, Person
from corridor.keys.api import DataKey
from corridor.keys.fields import EncryptedJSONField, EncryptedTextField


class Country(models.Model):
    """An ISO 3166-1 country; rows come from pycountry (migration 0002), names in English and Russian."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name_en = models.CharField(max_length=120)
    name_ru = models.CharField(max_length=120)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ru if (get_language() or "en").startswith("ru") else self.name_en


class ProgrammeKind(models.TextChoices):
    HUMANITARIAN_VISA = "humanitarian_visa", _("humanitarian visa")
    RESETTLEMENT = "resettlement", _("refugee resettlement")
    PRIVATE_SPONSORSHIP = "private_sponsorship", _("private sponsorship")
    ASYLUM_ON_ARRIVAL = "asylum_on_arrival", _("asylum on arrival")
    FAMILY_REUNIFICATION = "family_reunification", _("family reunification")
    NATIONAL_VISA = "national_visa", _("national visa")


class Referral(models.TextChoices):
    """Who must refer the case (on a programme), or who has (on a case's profile)."""

    NONE = "none", _("no referral")
    UNHCR = "unhcr", _("UNHCR")
    PARTNER = "partner", _("a partner organisation")
    UNHCR_OR_PARTNER = "unhcr_or_partner", _("UNHCR or a partner organisation")


class Programme(models.Model):
    """A way into a country. Organisation-maintained from public sources; never a figure typed in."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="programmes", verbose_name=_("country"))
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=24, choices=ProgrammeKind.choices)
    needs_international_passport = models.BooleanField(_("needs an international passport"), default=True)
    referral = models.CharField(_("referral needed"), max_length=20, choices=Referral.choices, default=Referral.NONE)
    needs_family_ties = models.BooleanField(_("needs family in the country"), default=False)
    language = models.CharField(
        _("language needed"), max_length=3, blank=True, help_text=_("ISO 639 code such as de or lt; empty when no language is required.")
    )
    is_open = models.BooleanField(_("currently open"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    source_url = models.CharField(_("public source"), max_length=500, help_text=_("Address of the public page; shown as text, never fetched."))
    # Empty until someone has read the source: the starter programmes ship unchecked.
    checked = models.DateField(_("source checked on"), null=True, blank=True)
    # A published expectation, used only until the organisation has its own decisions.
    published_days = models.PositiveIntegerField(
        _("published processing time (days)"), null=True, blank=True, help_text=_("Used only while there are no decisions of our own.")
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country__name_en", "name"]
        verbose_name = _("programme")

    def __str__(self) -> str:
        return f"{self.country.name}: {self.name}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    INTERVIEW = "interview", _("interview scheduled")
    DOCUMENTS_REQUESTED = "documents_requested", _("additional documents requested")
    DECISION = "decision", _("positive decision")
    VISA_ISSUED = "visa_issued", _("visa issued")
    TRAVEL_BOOKED = "travel_booked", _("travel booked")
    DEPARTED = "departed", _("departed")
    ARRIVED = "arrived", _("arrived")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


S = ApplicationStatus
APPLICATION_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.WITHDRAWN},
    S.SUBMITTED: {S.INTERVIEW, S.DOCUMENTS_REQUESTED, S.DECISION, S.VISA_ISSUED, S.REFUSED, S.WITHDRAWN},
    S.INTERVIEW: {S.DOCUMENTS_REQUESTED, S.DECISION, S.VISA_ISSUED, S.REFUSED, S.WITHDRAWN},
    S.DOCUMENTS_REQUESTED: {S.SUBMITTED, S.INTERVIEW, S.DECISION, S.VISA_ISSUED, S.REFUSED, S.WITHDRAWN},
    S.DECISION: {S.VISA_ISSUED, S.WITHDRAWN},
    S.VISA_ISSUED: {S.TRAVEL_BOOKED, S.WITHDRAWN},
    S.TRAVEL_BOOKED: {S.DEPARTED, S.WITHDRAWN},
    S.DEPARTED: {S.ARRIVED},
    S.ARRIVED: set(),
    S.REFUSED: set(),
    S.WITHDRAWN: set(),
}
# A grant is any status at or after a positive decision (some programmes issue the visa directly).
GRANTED_STATUSES = (S.DECISION, S.VISA_ISSUED, S.TRAVEL_BOOKED, S.DEPARTED, S.ARRIVED)
CLOSED_STATUSES = (S.ARRIVED, S.REFUSED, S.WITHDRAWN)
# Funnel stages in order, as shown on the charts page.
FUNNEL = (S.SUBMITTED, S.INTERVIEW, S.DECISION, S.VISA_ISSUED, S.DEPARTED, S.ARRIVED)


class RefusalReason(models.TextChoices):
    PERSECUTION_NOT_SHOWN = "persecution_not_shown", _("persecution not shown")
    DOCUMENTS = "documents", _("documents insufficient or doubted")
    SECURITY = "security", _("security objection")
    NO_LINK = "no_link", _("no link to the country")
    QUOTA = "quota", _("quota exhausted")
    OUTSIDE_SCOPE = "outside_scope", _("outside the programme's scope")
    NO_REASON = "no_reason", _("no reason given")
    OTHER = "other", _("other")


class Application(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="relocation_applications")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="applications", verbose_name=_("programme"))
    # Where the person applies can locate them: encrypted under the case key.
    channel = EncryptedTextField(_("consulate or channel"), key_field="case.data_key")
    members = models.ManyToManyField(Person, related_name="+", verbose_name=_("included members"))
    status = models.CharField(_("status"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    last_moved = models.DateField(_("last movement"), default=timezone.localdate)
    refusal_reason = models.CharField(_("refusal reason"), max_length=24, choices=RefusalReason.choices, blank=True)
    refusal_text = EncryptedTextField(_("refusal details"), key_field="case.data_key", null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status"], name="relocation_app_status")]

    @property
    def is_active(self) -> bool:
        return self.status not in CLOSED_STATUSES


class ApplicationEvent(models.Model):
    """One dated transition. The figures are computed from this table alone (with its joins)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    old = models.CharField(max_length=20, choices=ApplicationStatus.choices, blank=True)
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices)
    happened_on = models.DateField(_("date"))
    recorded = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = EncryptedTextField(_("reason"), key_field="application.case.data_key", null=True, blank=True)

    class Meta:
        ordering = ["happened_on", "recorded"]
        indexes = [models.Index(fields=["application", "status"], name="relocation_event_app_status")]


class ApplicationTally(models.Model):
    """One application's status history reduced to what the figures count (figures.py): kept by
    the domain functions in the same transaction as every event they write (tally.py), so the
    figures read one row per application instead of grouping every event with its joins.

    Workflow state only, like the events it is computed from; it goes with its application
    (erasure deletes the application, and this row with it), so nothing outlives an erased person.
    """

    application = models.OneToOneField(Application, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # Copied from the application (neither ever changes) so a viewer's population filters this table alone.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    submitted = models.DateField(null=True)
    granted = models.BooleanField(default=False)
    refused = models.BooleanField(default=False)  # refused and never granted
    withdrawn = models.BooleanField(default=False)
    # Index in FUNNEL of the furthest stage reached, -1 for none: stage k is reached when furthest >= k.
    furthest = models.SmallIntegerField(default=-1)
    decision_days = models.IntegerField(null=True)
    arrival_days = models.IntegerField(null=True)

    @property
    def pending(self) -> bool:
        return self.submitted is not None and not (self.granted or self.refused or self.withdrawn)


class FigureCell(models.Model):
    """How many applications of a programme, or of a country (programme 0), have one value of
    one measure (tally.py): the figures' summary, so they read a few hundred rows per programme,
    already in the order their quantiles need (the unique index), however many applications.

    Kept by tally.refresh in the same transaction as every event (the application's old tally
    row taken out, its new one added), when a tally row is deleted (tally.forget: an erased
    application leaves no count behind) and when a programme moves to another country. Counts
    only, never an application or a case; a cell that falls to zero is deleted.
    """

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+", db_index=False)
    # A programme's id, or 0 for the country's total (figures.COUNTRY_TOTAL): not a foreign key,
    # so that both kinds of row share one unique index.
    programme = models.IntegerField()
    measure = models.SmallIntegerField()
    # 0 for a count; days for a duration; for pending applications, the submission date as a
    # day number (days since 1970-01-01), as the pending time depends on the day it is read.
    value = models.IntegerField()
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["country", "programme", "measure", "value"], name="relocation_figurecell_unique")
        ]


class ChecklistItemKind(models.TextChoices):
    PASSPORT = "passport", _("international passport")
    PHOTOS = "photos", _("photographs")
    FORM = "form", _("application form")
    PERSECUTION = "persecution", _("evidence of persecution")
    REFERRAL = "referral", _("referral letter")
    FAMILY = "family", _("proof of family ties")
    MEDICAL = "medical", _("medical certificate")
    INSURANCE = "insurance", _("travel insurance")
    OTHER = "other", _("other")


class ChecklistStatus(models.TextChoices):
    MISSING = "missing", _("missing")
    REQUESTED = "requested", _("requested")
    OBTAINED = "obtained", _("obtained")
    SUBMITTED = "submitted", _("submitted")
    NOT_NEEDED = "not_needed", _("not needed")


class ChecklistItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="checklist")
    kind = models.CharField(_("document"), max_length=12, choices=ChecklistItemKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=ChecklistStatus.choices, default=ChecklistStatus.MISSING)
    note = EncryptedTextField(_("note"), key_field="application.case.data_key", null=True, blank=True)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["application", "kind"], name="relocation_checklist_unique")]


class RelocationProfile(models.Model):
    """What eligibility needs to know about a case beyond its people: referral and family ties."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="relocation_profile")
    # Who referred the case, and where relatives live, say much about a person: encrypted.
    referral = EncryptedTextField(_("referred by"), key_field="case.data_key", null=True, blank=True)
    family_ties = EncryptedJSONField(_("family in"), key_field="case.data_key", default=list)
    updated = models.DateTimeField(auto_now=True)


class ContactKind(models.TextChoices):
    EMBASSY = "embassy", _("embassy or consulate")
    MINISTRY = "ministry", _("ministry")
    UNHCR = "unhcr", _("UNHCR")
    PARTNER = "partner", _("partner organisation")


class Contact(models.Model):
    """A person the organisation negotiates with. Who talks to whom is itself sensitive: encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("country"))
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    organisation = EncryptedTextField(_("organisation"))
    name = EncryptedTextField(_("name"))
    details = EncryptedTextField(_("contact details"), null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["country__name_en", "kind", "created"]


class Engagement(models.Model):
    """One approach to a contact: what was asked, what they answered, what happens next and by when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="engagements", verbose_name=_("contact"))
    programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="engagements", verbose_name=_("programme")
    )
    happened_on = models.DateField(_("date"), default=timezone.localdate)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    asked = EncryptedTextField(_("what was asked"), key_field="contact.data_key")
    response = EncryptedTextField(_("response"), key_field="contact.data_key", null=True, blank=True)
    next_step = EncryptedTextField(_("next step"), key_field="contact.data_key", null=True, blank=True)
    next_due = models.DateField(_("next step due"), null=True, blank=True)
    done = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-happened_on", "-created"]

    @property
    def is_open_commitment(self) -> bool:
        return self.next_due is not None and self.done is None

    def overdue(self, today: datetime.date | None = None) -> bool:
        due = self.next_due
        return due is not None and self.done is None and due < (today or timezone.localdate())
