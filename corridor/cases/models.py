"""People at risk and their cases: members, verification, consent, risk, safe houses,
placements, needs, tasks, notes and documents.

Everything that identifies or locates a person is an encrypted field under a per-record
data key; what stays in clear is workflow state (status, priority, dates, team, owner)
that reveals nobody. Encrypted models use UUID primary keys so a value's associated data
can name its row before the first save.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Team
from corridor.keys.api import BlindIndex, DataKey, EncryptedFile
from corridor.keys.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField

# -- blind indexes: exact-match search without plaintext at rest (Invariant 8) ----------------
# 32 bits for up to 1e5 people: N / 2**32 ~ 2.3e-5 unrelated candidates per lookup, and
# each token is shared by ~1 in 4e9 names, so a token alone confirms no guessed name.
PERSON_NAME = BlindIndex(
    "person.name", bits=32, expected_records=100_000, budget="32 bits, 1e5 people: ~2.3e-5 false candidates per lookup"
)
# Phones are few per person; same budget.
PERSON_PHONE = BlindIndex(
    "person.phone",
    bits=32,
    expected_records=100_000,
    budget="32 bits, 1e5 phones: ~2.3e-5 false candidates per lookup",
    normalizer=lambda value: "".join(ch for ch in value if ch.isdigit())[-10:],
)
# Duplicate detection: normalised name + birth year. 24 bits keeps ~6e-3 false candidates
# per check at 1e5 people — shown to a caseworker as "possible duplicate", then re-checked.
PERSON_NAME_YEAR = BlindIndex(
    "person.name_year", bits=24, expected_records=100_000, budget="24 bits, 1e5 people: ~6e-3 false candidates per check"
)
# Search by any one name part ("Мусаев" alone, "Ислам 1990"), in any order: one token per
# distinct normalised word of every name (keys.name_parts), so "Мусаев" and "Musayev" give
# the same token. What these reveal at rest, to someone holding a copy of the database but
# not the index keys (they live only in the key service): which people share a name part,
# hence how many people share a common given name or surname (frequency analysis can guess
# that the largest group is "Magomed"), and so probable relatives — which the Relation table
# already shows in clear. No token can be computed for a guessed name without the key, no
# plaintext is stored, and tokens are truncated, so a shared token is only a candidate:
# search decrypts every candidate and re-checks it before anything is shown.
# 24 bits for ~3e5 parts (1e5 people x ~3 words): N / 2**24 ~ 1.8e-2 unrelated candidates
# per part looked up; a multi-part query intersects the parts' candidates.
PERSON_NAME_PART = BlindIndex(
    "person.name_part",
    bits=24,
    expected_records=300_000,
    budget="24 bits, 3e5 name parts: ~1.8e-2 false candidates per part looked up",
)
# A given name with a birth year ("Islam 1990"): narrows a common given name before anything
# is decrypted. Part+year pairs are nearly unique, so a longer token would single people out
# at rest; 16 bits makes every token shared by ~4.6 unrelated pairs, and a search always
# intersects it with PERSON_NAME_PART, which removes nearly all of those before decryption.
PERSON_NAME_PART_YEAR = BlindIndex(
    "person.name_part_year",
    bits=16,
    expected_records=300_000,
    budget="16 bits, 3e5 part+year pairs: ~4.6 false candidates per lookup, before intersecting with name_part",
)


class DatePrecision(models.TextChoices):
    EXACT = "exact", _("exact date")
    YEAR = "year", _("year only")
    APPROXIMATE = "approximate", _("approximate")


class DocumentsHeld(models.TextChoices):
    NONE = "none", _("no identity documents")
    INTERNAL = "internal", _("internal passport only")
    INTERNATIONAL = "international", _("international passport")


class Person(models.Model):
    """A person at risk. The codename is random and is what staff say aloud."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    codename = models.CharField(_("codename"), max_length=40, unique=True)
    # [{"name": "...", "kind": "legal|used|transliteration"}] in every script the person uses.
    names = EncryptedJSONField(_("names"), default=list)
    birth_date = EncryptedDateField(_("date of birth"), null=True, blank=True)
    birth_precision = models.CharField(_("precision"), max_length=12, choices=DatePrecision.choices, default=DatePrecision.EXACT)
    documents_held = models.CharField(
        _("documents held"), max_length=16, choices=DocumentsHeld.choices, default=DocumentsHeld.NONE
    )
    passport_expiry = EncryptedDateField(_("international passport expires"), null=True, blank=True)
    # [{"kind": "signal|phone|relative|other", "value": "...", "note": "..."}]
    contacts = EncryptedJSONField(_("contacts"), default=list)
    # Coarse region in clear only when the organisation chooses (CORRIDOR_REGION_IN_CLEAR).
    region = models.CharField(_("region"), max_length=80, blank=True)
    location = EncryptedTextField(_("current location"), null=True, blank=True)
    languages = EncryptedJSONField(_("languages"), default=list)
    gender_identity = EncryptedTextField(_("gender identity"), null=True, blank=True)
    orientation = EncryptedTextField(_("sexual orientation"), null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)
    erased = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["codename"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.codename

    @property
    def primary_name(self) -> str:
        names = self.names or []
        return str(names[0]["name"]) if names else ""

    def name_values(self) -> list[str]:
        return [str(entry.get("name", "")) for entry in (self.names or []) if entry.get("name")]

    def phone_values(self) -> list[str]:
        return [str(c.get("value", "")) for c in (self.contacts or []) if c.get("kind") in ("phone", "signal") and c.get("value")]


class RelationKind(models.TextChoices):
    PARTNER = "partner", _("partner")
    FAMILY = "family", _("family")
    REFERRED_BY = "referred_by", _("referred by")


class Relation(models.Model):
    """A link between two people; the graph is visible at rest, the identities are not."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relations")
    other = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=RelationKind.choices)
    note = EncryptedTextField(null=True, blank=True, key_field="person.data_key")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "other", "kind"], name="cases_relation_unique")]


class Status(models.TextChoices):
    NEW = "new", _("new")
    VERIFYING = "verifying", _("verifying")
    ACTIVE = "active", _("active")
    RELOCATING = "relocating", _("relocating")
    ARRIVED = "arrived", _("arrived")
    CLOSED = "closed", _("closed")
    ON_HOLD = "on_hold", _("on hold")


# Allowed moves; "on hold" can be entered from any open state and left to where it was.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.VERIFYING, Status.ON_HOLD, Status.CLOSED},
    Status.VERIFYING: {Status.ACTIVE, Status.ON_HOLD, Status.CLOSED},
    Status.ACTIVE: {Status.RELOCATING, Status.ON_HOLD, Status.CLOSED},
    Status.RELOCATING: {Status.ARRIVED, Status.ACTIVE, Status.ON_HOLD, Status.CLOSED},
    Status.ARRIVED: {Status.CLOSED},
    Status.ON_HOLD: {Status.NEW, Status.VERIFYING, Status.ACTIVE, Status.RELOCATING, Status.CLOSED},
    Status.CLOSED: {Status.ACTIVE},
}


class Priority(models.TextChoices):
    # As in UNHCR resettlement: emergency = days, urgent = weeks, normal = months.
    EMERGENCY = "emergency", _("emergency")
    URGENT = "urgent", _("urgent")
    NORMAL = "normal", _("normal")


PRIORITY_ORDER = {Priority.EMERGENCY: 0, Priority.URGENT: 1, Priority.NORMAL: 2}
CLOSED_STATUSES = (Status.CLOSED, Status.ARRIVED)
# A review date later than any real one: cases without a review date sort after those with one
# ("nulls last") on every database, with a plain ascending index.
NO_REVIEW = datetime.date(9999, 12, 31)


def urgency_of_priority() -> models.Case:
    """PRIORITY_ORDER as a database expression: emergencies 0, urgent 1, normal 2."""
    return models.Case(
        *(models.When(priority=priority, then=models.Value(rank)) for priority, rank in PRIORITY_ORDER.items()),
        default=models.Value(len(PRIORITY_ORDER)),
        output_field=models.PositiveSmallIntegerField(),
    )


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    status_before_hold = models.CharField(max_length=12, choices=Status.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    priority_review = models.DateField(_("review priority by"), null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases", verbose_name=_("team"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cases",
        verbose_name=_("owner"),
    )
    summary = EncryptedTextField(_("summary"), null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)
    # The case list's order, stored by the database itself (generated columns): every write
    # that changes the priority, the review date or the status -- save(), update(),
    # bulk_create(), a restore -- changes these in the same statement, so they cannot go
    # stale, and the list reads its 50 rows in index order instead of sorting every case.
    urgency = models.GeneratedField(
        expression=urgency_of_priority(), output_field=models.PositiveSmallIntegerField(), db_persist=True
    )
    review_order = models.GeneratedField(
        expression=Coalesce("priority_review", models.Value(NO_REVIEW)), output_field=models.DateField(), db_persist=True
    )
    # 0 for an open case, 1 for a closed or arrived one: an integer, not a boolean, so that the
    # list's "= 0" is an equality the index can range over on SQLite too (a bare boolean
    # column in a WHERE clause is not).
    closed = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=CLOSED_STATUSES, then=models.Value(1)),
            default=models.Value(0),
            output_field=models.PositiveSmallIntegerField(),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["status", "priority"], name="cases_case_status_priority"),
            # The case list (corridor.cases.queries.case_page) reads one team's open or closed
            # cases in urgency order: an index range, in order, whatever the number of cases.
            models.Index(fields=["team", "closed", "urgency", "review_order", "-created", "id"], name="cases_case_list_order"),
        ]
        verbose_name = _("case")

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.ARRIVED)


class MemberRole(models.TextChoices):
    PRINCIPAL = "principal", _("principal")
    DEPENDANT = "dependant", _("dependant")


class CaseMember(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.DEPENDANT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="cases_member_unique")]


class StatusChange(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    old = models.CharField(max_length=12, choices=Status.choices)
    new = models.CharField(max_length=12, choices=Status.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = EncryptedTextField(key_field="case.data_key")

    class Meta:
        ordering = ["at"]


class VerificationMethod(models.TextChoices):
    REFERRER = "referrer", _("a trusted referrer vouched")
    DOCUMENTS = "documents", _("documents checked")
    INTERVIEW = "interview", _("interview")


class Verification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="verifications")
    method = models.CharField(_("how"), max_length=12, choices=VerificationMethod.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    details = EncryptedTextField(_("details"), key_field="case.data_key", null=True, blank=True)


class ConsentScope(models.TextChoices):
    STORE = "store", _("storing their data")
    SHARE = "share", _("sharing with a named partner")
    STATISTICS = "statistics", _("use in anonymised statistics")


class Consent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    scope = models.CharField(_("scope"), max_length=12, choices=ConsentScope.choices)
    partner = EncryptedTextField(_("partner"), key_field="case.data_key", null=True, blank=True)
    given = models.DateField(_("given on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    withdrawn = models.DateField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        ordering = ["-given"]


class RiskFactor(models.TextChoices):
    KNOWN_TO_AUTHORITIES = "known_to_authorities", _("known to the authorities")
    FAMILY_THREATS = "family_threats", _("threats from family")
    DETENTION_HISTORY = "detention_history", _("has been detained")
    HEALTH = "health", _("urgent health needs")
    BEING_SEARCHED = "being_searched", _("being actively searched for")
    DEPENDANTS_AT_RISK = "dependants_at_risk", _("dependants at risk")


class RiskAssessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_assessments")
    assessed = models.DateField(_("assessed on"), default=timezone.localdate)
    # The factors themselves say what happened to a person: encrypted.
    factors = EncryptedJSONField(_("risk factors"), key_field="case.data_key", default=list)
    suggested_priority = models.CharField(max_length=10, choices=Priority.choices)
    priority = models.CharField(_("confirmed priority"), max_length=10, choices=Priority.choices)
    override_reason = EncryptedTextField(_("why not the suggestion"), key_field="case.data_key", null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-assessed"]


class SafeHouse(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("label"), max_length=60, help_text=_("A neutral name staff use, never the address."))
    address = EncryptedTextField(_("address"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="safe_houses")
    compromised = models.DateTimeField(null=True, blank=True)
    notes = EncryptedTextField(_("notes"), null=True, blank=True)

    class Meta:
        ordering = ["label"]


class Placement(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    safe_house = models.ForeignKey(SafeHouse, on_delete=models.PROTECT, related_name="placements")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="placements")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="placements")
    start = models.DateField(_("from"), default=timezone.localdate)
    end = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["-start"]


class NeedKind(models.TextChoices):
    MEDICAL = "medical", _("medical")
    PSYCHOLOGICAL = "psychological", _("psychological")
    LEGAL = "legal", _("legal")
    MONEY = "money", _("money")
    DOCUMENTS = "documents", _("documents")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    MET = "met", _("met")


class Need(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs")
    kind = models.CharField(_("kind"), max_length=14, choices=NeedKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    details = EncryptedTextField(_("details"), key_field="case.data_key", null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = EncryptedTextField(_("task"), key_field="case.data_key")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    due = models.DateField(_("due"), null=True, blank=True)
    urgent = models.BooleanField(default=False)
    done = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done", "due"]

    @property
    def overdue(self) -> bool:
        return self.done is None and self.due is not None and self.due < timezone.localdate()


class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    body = EncryptedTextField(_("note"), key_field="case.data_key")

    class Meta:
        ordering = ["-created"]


class DocumentKind(models.TextChoices):
    PASSPORT = "passport", _("passport scan")
    MEDICAL = "medical", _("medical report")
    TESTIMONY = "testimony", _("testimony")
    PHOTO = "photo", _("photo")
    OTHER = "other", _("other")


class Document(models.Model):
    """An uploaded file: metadata stripped, then encrypted; its hash and custody travel with it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents")
    kind = models.CharField(_("type"), max_length=10, choices=DocumentKind.choices)
    file = models.OneToOneField(EncryptedFile, on_delete=models.PROTECT, related_name="+")
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    # The original name and the hash could identify a known file: encrypted.
    filename = EncryptedTextField(_("file name"))
    sha256 = EncryptedTextField()
    description = EncryptedTextField(_("description"), null=True, blank=True)
    # [{"at": iso, "by": user id, "action": "uploaded|viewed|downloaded|exported", "note": ""}]
    custody = EncryptedJSONField(default=list)
    uploaded = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-uploaded"]


class BreakGlass(models.Model):
    """Access to a case outside one's teams, with a written reason that alerts admins."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="break_glass")
    reason = EncryptedTextField(key_field="case.data_key")
    at = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    reviewed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]


class DuplicateCheckCounter(models.Model):
    """Duplicate checks per user in the current window: in the database, so every worker shares it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    window_started = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(default=0)


class DuplicateReview(models.Model):
    """A duplicate check matched someone in a case the checker cannot see.

    The checker is told nothing; an administrator reads who checked and which case matched
    (references and teams only) and talks to both teams. Nothing typed is kept.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reviewed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at"]
