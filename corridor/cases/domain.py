"""Every state change of case work: one function each, with its checks, writes and audit
entry in one transaction. Views and the API parse, call these, and render.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Role, Team, User
from corridor.audit import log as audit
from corridor.cases import access, codenames
from corridor.cases.models import (
    PERSON_NAME,
    PERSON_NAME_YEAR,
    PERSON_PHONE,
    PRIORITY_ORDER,
    TRANSITIONS,
    BreakGlass,
    Case,
    CaseMember,
    Consent,
    ConsentScope,
    DatePrecision,
    MemberRole,
    Need,
    NeedStatus,
    Note,
    Person,
    Placement,
    Priority,
    RiskAssessment,
    RiskFactor,
    SafeHouse,
    Status,
    StatusChange,
    Task,
    Verification,
)
from corridor.keys import blind
from corridor.keys.models import DataKey

BREAK_GLASS_HOURS = 8


def _require(actor: User, perm: str, obj: Any = None) -> None:
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(perm)


# -- people ------------------------------------------------------------------------------


PERSON_FIELDS = (
    "names",
    "birth_date",
    "birth_precision",
    "documents_held",
    "passport_expiry",
    "contacts",
    "region",
    "location",
    "languages",
    "gender_identity",
    "orientation",
)


def _name_year_values(person: Person) -> list[str]:
    year = person.birth_date.year if person.birth_date else None
    if year is None:
        return []
    return [f"{blind.normalize(name)}|{year}" for name in person.name_values()]


def _reindex(person: Person) -> None:
    blind.index_values(person, PERSON_NAME, person.name_values())
    blind.index_values(person, PERSON_PHONE, person.phone_values())
    blind.index_values(person, PERSON_NAME_YEAR, _name_year_values(person))


def _clean_names(names: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for entry in names:
        name = " ".join(str(entry.get("name", "")).split())
        if name:
            cleaned.append({"name": name, "kind": str(entry.get("kind") or "used")})
    if not cleaned:
        raise ValidationError({"names": _("Give at least one name, in any script.")})
    return cleaned


def _refuse_region_unless_chosen(values: dict[str, Any]) -> None:
    """The region is stored unencrypted: only when the organisation chose so, whichever door it came through."""
    if values.get("region") and not settings.CORRIDOR_REGION_IN_CLEAR:
        raise ValidationError(
            {"region": _("This organisation does not keep a region unencrypted; write where the person is under location.")}
        )


def _validate_person(values: dict[str, Any]) -> None:
    today = timezone.localdate()
    birth = values.get("birth_date")
    if birth is not None and (birth > today or birth.year < 1900):
        raise ValidationError({"birth_date": _("The date of birth must be between 1900 and today.")})
    if values.get("documents_held") != "international" and values.get("passport_expiry"):
        raise ValidationError({"passport_expiry": _("An expiry date only applies to an international passport.")})


@dataclass(frozen=True)
class PossibleDuplicate:
    """A person in the user's own cases who resembles the one being entered."""

    person: Person
    reason: str


class DuplicateCheckLimited(Exception):
    """Too many duplicate checks by this user this hour; the message says when to try again."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(
            _("You have checked for possible duplicates too often. Try again in %(minutes)d minutes.") % {"minutes": minutes}
        )


DUPLICATE_WINDOW = datetime.timedelta(hours=1)


def _count_duplicate_check(actor: User) -> None:
    """One more check in the user's hourly window, or DuplicateCheckLimited (nothing counted)."""
    from django.conf import settings

    from corridor.cases.models import DuplicateCheckCounter

    now = timezone.now()
    with transaction.atomic():
        DuplicateCheckCounter.objects.get_or_create(user=actor)
        counter = DuplicateCheckCounter.objects.select_for_update().get(user=actor)
        if now - counter.window_started >= DUPLICATE_WINDOW:
            counter.window_started, counter.count = now, 0
        if counter.count >= settings.DUPLICATE_CHECKS_PER_HOUR:
            left = counter.window_started + DUPLICATE_WINDOW - now
            raise DuplicateCheckLimited(max(1, -(-int(left.total_seconds()) // 60)))
        counter.count += 1
        counter.save(update_fields=["window_started", "count"])


def find_duplicates(
    actor: User, *, names: Iterable[str], birth_year: int | None, phones: Iterable[str]
) -> list[PossibleDuplicate]:
    """Same normalised name and birth year, or same phone: say so before saving.

    Every check is counted (DUPLICATE_CHECKS_PER_HOUR per user, else DuplicateCheckLimited)
    and audited, without what was asked. Only matches in the user's own cases are told: a
    match in a case they cannot see is not confirmed nor denied but put before the
    administrators (DuplicateReview), so the check cannot probe other teams.
    """
    from corridor.cases.access import people_visible_to
    from corridor.cases.models import DuplicateReview

    started = time.monotonic()
    names = list(names)
    phones = list(phones)
    try:
        _count_duplicate_check(actor)
    except DuplicateCheckLimited:
        audit.record(actor=actor, action="person.duplicate_check.limited", obj=None)
        raise
    ids: set[Any] = set()
    reasons: dict[Any, str] = {}
    if birth_year is not None:
        for name in names:
            for pk in blind.lookup(PERSON_NAME_YEAR, f"{blind.normalize(name)}|{birth_year}", Person):
                ids.add(pk)
                reasons[pk] = _("same name and year of birth")
    for phone in phones:
        for pk in blind.lookup(PERSON_PHONE, phone, Person):
            ids.add(pk)
            reasons.setdefault(pk, _("same phone number"))
    visible = {p.pk: p for p in people_visible_to(actor).filter(pk__in=ids)} if ids else {}
    hidden = [pk for pk in ids if pk not in visible]
    found: list[PossibleDuplicate] = []
    wanted_names = {blind.normalize(n) for n in names}
    wanted_phones = {PERSON_PHONE.normalizer(x) for x in phones}
    for pk, person in visible.items():
        same_name = any(blind.normalize(n) in wanted_names for n in person.name_values())
        same_phone = any(PERSON_PHONE.normalizer(p) in wanted_phones for p in person.phone_values())
        if same_name or same_phone:  # truncated tokens collide: confirm after decryption
            found.append(PossibleDuplicate(person, reasons[pk]))
    with transaction.atomic():
        audit.record(actor=actor, action="person.duplicate_check", obj=None)
        # Hidden matches are not decrypted here (a truncated token may collide): the admin's
        # review decides. One open review per checker and person is enough.
        for person in Person.objects.filter(pk__in=hidden, erased__isnull=True):
            review, created = DuplicateReview.objects.get_or_create(user=actor, person=person, reviewed__isnull=True)
            if created:
                audit.record(actor=actor, action="person.duplicate_review.open", obj=review)
    # A hidden match costs a few more queries than none: answer no sooner than the floor, so
    # the time taken does not tell the prober what the answer does not.
    remaining = float(settings.DUPLICATE_CHECK_FLOOR_SECONDS) - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    return found


def pending_duplicate_reviews() -> list[tuple[Any, list[Case]]]:
    """Open reviews, oldest first, each with the cases (reference and team) of the matched person."""
    from corridor.cases.models import DuplicateReview

    reviews = list(DuplicateReview.objects.filter(reviewed__isnull=True).select_related("user", "person"))
    members = CaseMember.objects.filter(person__in=[r.person_id for r in reviews]).select_related("case", "case__team")
    cases: dict[Any, list[Case]] = {}
    for member in members:
        cases.setdefault(member.person_id, []).append(member.case)
    return [(review, cases.get(review.person_id, [])) for review in reviews]


def pending_duplicate_count() -> int:
    from corridor.cases.models import DuplicateReview

    return DuplicateReview.objects.filter(reviewed__isnull=True).count()


def review_duplicate(actor: User, review: Any) -> None:
    """An admin has looked at a hidden match (and talked to the teams)."""
    from corridor.cases.models import DuplicateReview

    _require(actor, "cases.review_break_glass")
    with transaction.atomic():
        locked = DuplicateReview.objects.select_for_update().get(pk=review.pk)
        if locked.reviewed is not None:
            raise ValidationError(_("This match was already reviewed."))
        locked.reviewed = timezone.now()
        locked.save(update_fields=["reviewed"])
        audit.record(actor=actor, action="person.duplicate_review.done", obj=locked)


def create_person(actor: User, **values: Any) -> Person:
    _require(actor, "cases.change_case")
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    values["names"] = _clean_names(values.get("names") or [])
    _refuse_region_unless_chosen(values)
    _validate_person(values)
    with transaction.atomic():
        person = Person(data_key=DataKey.create("person"), codename=codenames.unique_codename(), **values)
        person.save()
        _reindex(person)
        audit.record(actor=actor, action="person.create", obj=person)
    return person


def update_person(actor: User, person: Person, **values: Any) -> Person:
    _require(actor, "cases.change_case")
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    if "names" in values:
        values["names"] = _clean_names(values["names"])
    _refuse_region_unless_chosen(values)
    merged = {field: getattr(person, field) for field in PERSON_FIELDS} | values
    _validate_person(merged)
    with transaction.atomic():
        for field, value in values.items():
            setattr(person, field, value)
        person.save()
        _reindex(person)
        audit.record(actor=actor, action="person.update", obj=person, details={"fields": sorted(values)})
    return person


def search_people(actor: User, query: str) -> list[Person]:
    """By any spelling of a name (transliterated), by codename, or by phone."""
    from corridor.cases.access import people_visible_to

    query = query.strip()
    if not query:
        return []
    visible = people_visible_to(actor)
    # Only a codename-shaped query is compared in clear: a typed name must not become a SQL
    # parameter that statement logs would keep (found by the seizure test).
    by_codename = list(visible.filter(codename__iexact=query)) if codenames.looks_like(query) else []
    by_name = blind.search(PERSON_NAME, query, visible, lambda p: p.name_values())
    by_phone = blind.search(PERSON_PHONE, query, visible, lambda p: p.phone_values()) if any(c.isdigit() for c in query) else []
    seen: dict[Any, Person] = {}
    for person in by_codename + by_name + by_phone:
        seen.setdefault(person.pk, person)
    audit.record(actor=actor, action="person.search", obj=None)
    return list(seen.values())


def erase_person(actor: User, person: Person) -> None:
    """Crypto-shred a person: their data key dies; the codename stays as a tombstone."""
    _require(actor, "cases.erase_person")
    with transaction.atomic():
        person.data_key.shred(actor=actor)
        Person.objects.filter(pk=person.pk).update(erased=timezone.now())
        audit.record(actor=actor, action="person.erase", obj=person)


# -- cases -------------------------------------------------------------------------------


def _next_reference() -> str:
    year = timezone.now().year
    prefix = f"C-{year}-"
    # As text "C-2026-9999" sorts after "C-2026-10000": order by length first.
    last = (
        Case.objects.filter(reference__startswith=prefix)
        .annotate(width=Length("reference"))
        .order_by("-width", "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def open_case(
    actor: User,
    *,
    team: Team,
    principal: Person,
    dependants: Sequence[Person] = (),
    priority: str = Priority.NORMAL,
    summary: str = "",
    owner: User | None = None,
) -> Case:
    _require(actor, "cases.add_case")
    if actor.role != Role.ADMIN and not team.members.filter(pk=actor.pk).exists():
        raise ValidationError({"team": _("You can only open cases for your own teams.")})
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    if owner is not None and not owner.teams.filter(pk=team.pk).exists():
        raise ValidationError({"owner": _("The owner must be an active member of the case's team who works on cases.")})
    _refuse_break_glass_only(actor, [principal], "principal")
    _refuse_break_glass_only(actor, dependants, "dependants")
    with transaction.atomic():
        case = Case(
            data_key=DataKey.create("case"),
            reference=_next_reference(),
            team=team,
            owner=owner or actor,
            priority=priority,
            summary=summary or None,
            priority_review=_review_date(priority),
        )
        case.save()
        CaseMember.objects.create(case=case, person=principal, role=MemberRole.PRINCIPAL)
        for person in dependants:
            CaseMember.objects.create(case=case, person=person, role=MemberRole.DEPENDANT)
        audit.record(actor=actor, action="case.open", obj=case)
    return case


def _review_date(priority: str) -> datetime.date:
    days = {Priority.EMERGENCY: 1, Priority.URGENT: 7, Priority.NORMAL: 30}[Priority(priority)]
    return timezone.localdate() + datetime.timedelta(days=days)


def _refuse_break_glass_only(actor: User, people: Iterable[Person], field: str) -> None:
    """Break-glass lends another team's case for hours; it must not become a permanent copy.

    A person already on cases, none of them in the actor's teams, can only have been
    reached through emergency access: they are not carried into another case.
    """
    own_teams = Team.objects.filter(members=actor).values("pk")
    for person in people:
        memberships = CaseMember.objects.filter(person=person)
        if memberships.exists() and not memberships.filter(case__team__in=own_teams).exists():
            raise ValidationError(
                {
                    field: _(
                        "%(codename)s is on another team's case, which you see only through emergency access. "
                        "They cannot be added to a case of yours: ask that team, or an administrator, to do it."
                    )
                    % {"codename": person.codename}
                }
            )


def add_member(actor: User, case: Case, person: Person, role: str = MemberRole.DEPENDANT) -> CaseMember:
    _require(actor, "cases.change_case")
    _refuse_break_glass_only(actor, [person], "person")
    with transaction.atomic():
        member, created = CaseMember.objects.get_or_create(case=case, person=person, defaults={"role": role})
        if created:
            audit.record(actor=actor, action="case.add_member", obj=case)
    return member


def transition(actor: User, case: Case, new: str, reason: str) -> StatusChange:
    """Move a case along its workflow; every move is dated, attributed and explained."""
    _require(actor, "cases.change_case")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the status changes.")})
    allowed = TRANSITIONS[Status(case.status)]
    if case.status == Status.ON_HOLD and case.status_before_hold:
        allowed = {Status(case.status_before_hold), Status.CLOSED}
    if new not in allowed:
        raise ValidationError(
            {
                "status": _("A case cannot go from “%(old)s” to “%(new)s”.")
                % {"old": case.get_status_display(), "new": Status(new).label}
            }
        )
    if new == Status.ACTIVE and case.status == Status.VERIFYING and not case.verifications.exists():
        raise ValidationError({"status": _("Record how the case was verified before making it active.")})
    with transaction.atomic():
        change = StatusChange(case=case, old=case.status, new=new, by=actor, reason=reason)
        change.save()
        case.status_before_hold = case.status if new == Status.ON_HOLD else ""
        case.status = new
        case.save(update_fields=["status", "status_before_hold", "updated"])
        audit.record(actor=actor, action=f"case.status.{new}", obj=case)
    return change


def set_priority(actor: User, case: Case, priority: str, review: datetime.date | None = None) -> None:
    _require(actor, "cases.change_case")
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    with transaction.atomic():
        case.priority = priority
        case.priority_review = review or _review_date(priority)
        case.save(update_fields=["priority", "priority_review", "updated"])
        audit.record(actor=actor, action=f"case.priority.{priority}", obj=case)


def record_verification(actor: User, case: Case, method: str, details: str = "") -> Verification:
    _require(actor, "cases.change_case")
    with transaction.atomic():
        verification = Verification(case=case, method=method, by=actor, details=details or None)
        verification.full_clean(exclude=["case", "by", "details"])
        verification.save()
        audit.record(actor=actor, action="case.verify", obj=case)
    return verification


def record_consent(actor: User, case: Case, person: Person, scope: str, given: datetime.date, partner: str = "") -> Consent:
    _require(actor, "cases.change_case")
    if scope == ConsentScope.SHARE and not partner.strip():
        raise ValidationError({"partner": _("Name the partner this person agreed to share with.")})
    if given > timezone.localdate():
        raise ValidationError({"given": _("Consent cannot be dated in the future.")})
    if not case.members.filter(person=person).exists():
        raise ValidationError({"person": _("This person is not on the case.")})
    with transaction.atomic():
        consent = Consent(case=case, person=person, scope=scope, given=given, partner=partner or None, recorded_by=actor)
        consent.save()
        audit.record(actor=actor, action=f"consent.give.{scope}", obj=case)
    return consent


def withdraw_consent(actor: User, consent: Consent, on: datetime.date | None = None) -> None:
    _require(actor, "cases.change_case")
    with transaction.atomic():
        consent.withdrawn = on or timezone.localdate()
        consent.save(update_fields=["withdrawn"])
        audit.record(actor=actor, action=f"consent.withdraw.{consent.scope}", obj=consent.case)


def has_consent(case: Case, person: Person, scope: str, partner: str | None = None) -> bool:
    """Actions that need consent ask this and refuse without it."""
    for consent in case.consents.filter(person=person, scope=scope, withdrawn__isnull=True):
        if partner is None or (consent.partner or "").strip().casefold() == partner.strip().casefold():
            return True
    return False


def require_consent(case: Case, person: Person, scope: str, partner: str | None = None) -> None:
    if not has_consent(case, person, scope, partner):
        raise PermissionDenied(_("%(codename)s has not consented to this.") % {"codename": person.codename})


# -- risk --------------------------------------------------------------------------------

# Factors that alone make a case an emergency (days) or urgent (weeks).
EMERGENCY_FACTORS = {RiskFactor.BEING_SEARCHED, RiskFactor.FAMILY_THREATS}
URGENT_FACTORS = {RiskFactor.KNOWN_TO_AUTHORITIES, RiskFactor.DETENTION_HISTORY, RiskFactor.HEALTH, RiskFactor.DEPENDANTS_AT_RISK}


def suggest_priority(factors: Iterable[str]) -> str:
    chosen = set(factors)
    if chosen & EMERGENCY_FACTORS or len(chosen & URGENT_FACTORS) >= 3:
        return Priority.EMERGENCY
    if chosen & URGENT_FACTORS:
        return Priority.URGENT
    return Priority.NORMAL


def assess_risk(actor: User, case: Case, factors: Sequence[str], priority: str, override_reason: str = "") -> RiskAssessment:
    """The caseworker confirms the suggested priority or overrides it with a reason."""
    _require(actor, "cases.change_case")
    unknown = set(factors) - set(RiskFactor.values)
    if unknown:
        raise ValidationError({"factors": _("Unknown risk factor.")})
    suggested = suggest_priority(factors)
    if priority != suggested and not override_reason.strip():
        raise ValidationError({"override_reason": _("Explain why the priority differs from the suggestion.")})
    with transaction.atomic():
        assessment = RiskAssessment(
            case=case,
            factors=sorted(set(factors)),
            suggested_priority=suggested,
            priority=priority,
            override_reason=override_reason.strip() or None,
            by=actor,
        )
        assessment.save()
        if case.priority != priority:
            case.priority = priority
            case.priority_review = _review_date(priority)
            case.save(update_fields=["priority", "priority_review", "updated"])
        audit.record(actor=actor, action="case.risk", obj=case)
    return assessment


# -- safe houses and placements ------------------------------------------------------------


def create_safe_house(actor: User, *, team: Team, label: str, address: str, capacity: int, notes: str = "") -> SafeHouse:
    _require(actor, "cases.manage_safe_houses")
    if not team.members.filter(pk=actor.pk).exists():
        raise ValidationError({"team": _("You can only add safe houses for your own teams.")})
    if capacity < 1:
        raise ValidationError({"capacity": _("Capacity must be at least 1.")})
    with transaction.atomic():
        house = SafeHouse(
            data_key=DataKey.create("safe_house"),
            team=team,
            label=label.strip(),
            address=address.strip(),
            capacity=capacity,
            notes=notes or None,
        )
        house.save()
        audit.record(actor=actor, action="safehouse.create", obj=house)
    return house


def occupancy(house: SafeHouse, on: datetime.date | None = None) -> int:
    day = on or timezone.localdate()
    return house.placements.filter(start__lte=day).exclude(end__lt=day).count()


def place(actor: User, case: Case, person: Person, house: SafeHouse, start: datetime.date | None = None) -> Placement:
    """Place a member of the case in a safe house of the case's team, ending where they stay now.

    Only placements the actor may see are ended, each with an entry on its own case; a
    placement through a case the actor cannot see is named and refused, never ended silently.
    The person and the house are locked, so two placements at once cannot overfill a house,
    leave the person in two houses, nor both end the same stay.
    """
    _require(actor, "cases.change_case")
    start = start or timezone.localdate()
    if house.team_id != case.team_id:
        raise ValidationError({"safe_house": _("A person of this case can only be placed in a safe house of the case's team.")})
    if not case.members.filter(person=person).exists():
        raise ValidationError({"person": _("This person is not on the case.")})
    with transaction.atomic():
        # The person first: with no open placement there is no row to lock, and two placements
        # at once (through two cases, into two houses) would both go through.
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
        locked = SafeHouse.objects.select_for_update().get(pk=house.pk)
        if locked.compromised:
            raise ValidationError({"safe_house": _("This safe house is marked compromised. Choose another.")})
        current = list(Placement.objects.select_for_update().filter(person=person, end__isnull=True).order_by("pk"))
        seen = set(access.cases_visible_to(actor).filter(pk__in={p.case_id for p in current}).values_list("pk", flat=True))
        if any(p.case_id not in seen for p in current):
            raise ValidationError(
                {
                    "person": _(
                        "%(codename)s is placed in a safe house through another case, which you cannot see. "
                        "Ask that case's team to end that placement first."
                    )
                    % {"codename": person.codename}
                }
            )
        if occupancy(locked, start) >= locked.capacity:
            raise ValidationError({"safe_house": _("This safe house is full on that date.")})
        for previous in current:
            previous.end = max(start, previous.start)
            previous.save(update_fields=["end"])
            audit.record(actor=actor, action="placement.end", obj=previous.case)
        placement = Placement.objects.create(safe_house=locked, case=case, person=person, start=start)
        audit.record(actor=actor, action="placement.start", obj=case)
    return placement


def end_placement(actor: User, placement: Placement, end: datetime.date | None = None) -> None:
    _require(actor, "cases.change_case")
    if not access.cases_visible_to(actor).filter(pk=placement.case_id).exists():
        raise PermissionDenied("cases.change_case")
    end = end or timezone.localdate()
    if end < placement.start:
        raise ValidationError({"end": _("A placement cannot end before it starts.")})
    with transaction.atomic():
        locked = Placement.objects.select_for_update().get(pk=placement.pk)
        if locked.end is not None:
            raise ValidationError({"end": _("This placement has already ended.")})
        placement.end = end
        placement.save(update_fields=["end"])
        audit.record(actor=actor, action="placement.end", obj=placement.case)


def mark_compromised(actor: User, house: SafeHouse) -> list[Task]:
    """Everyone placed there now gets an urgent task on their case; returns those tasks."""
    _require(actor, "cases.manage_safe_houses")
    tasks: list[Task] = []
    with transaction.atomic():
        house.compromised = timezone.now()
        house.save(update_fields=["compromised"])
        current = Placement.objects.filter(safe_house=house, end__isnull=True).select_related("case", "person", "case__data_key")
        for placement in current:
            task = Task(
                case=placement.case,
                title=_("Move %(codename)s: safe house “%(label)s” is compromised")
                % {"codename": placement.person.codename, "label": house.label},
                assignee=placement.case.owner,
                due=timezone.localdate(),
                urgent=True,
            )
            task.save()
            tasks.append(task)
        audit.record(actor=actor, action="safehouse.compromised", obj=house)
    return tasks


# -- needs, tasks, notes -------------------------------------------------------------------


def add_need(actor: User, case: Case, kind: str, details: str = "") -> Need:
    _require(actor, "cases.manage_tasks")
    with transaction.atomic():
        need = Need(case=case, kind=kind, details=details or None)
        need.full_clean(exclude=["case", "details"])
        need.save()
        audit.record(actor=actor, action="need.add", obj=case)
    return need


def set_need_status(actor: User, need: Need, status: str) -> None:
    _require(actor, "cases.manage_tasks")
    if status not in NeedStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    with transaction.atomic():
        need.status = status
        need.save(update_fields=["status"])
        audit.record(actor=actor, action=f"need.{status}", obj=need.case)


def add_task(actor: User, case: Case, title: str, *, assignee: User | None = None, due: datetime.date | None = None) -> Task:
    _require(actor, "cases.manage_tasks")
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Describe the task.")})
    if assignee is not None and not case.team.members.filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("Tasks can only be assigned to members of the case's team.")})
    with transaction.atomic():
        task = Task(case=case, title=title, assignee=assignee, due=due)
        task.save()
        audit.record(actor=actor, action="task.add", obj=case)
    return task


def complete_task(actor: User, task: Task) -> None:
    _require(actor, "cases.manage_tasks")
    with transaction.atomic():
        task.done = timezone.now()
        task.save(update_fields=["done"])
        audit.record(actor=actor, action="task.done", obj=task.case)


def add_note(actor: User | None, case: Case, body: str) -> Note:
    if actor is not None:
        _require(actor, "cases.add_note")
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("The note is empty.")})
    with transaction.atomic():
        note = Note(case=case, author=actor, body=body)
        note.save()
        audit.record(actor=actor, action="note.add", obj=case)
    return note


# -- break glass -------------------------------------------------------------------------


def break_glass(actor: User, case: Case, reason: str) -> BreakGlass:
    """Reach a case outside one's teams for a few hours, with a written reason; admins see it."""
    _require(actor, "cases.break_glass")
    if len(reason.strip()) < 20:
        raise ValidationError({"reason": _("Explain in a sentence or two why you need this case (at least 20 characters).")})
    with transaction.atomic():
        grant = BreakGlass(
            case=case, user=actor, reason=reason.strip(), expires=timezone.now() + datetime.timedelta(hours=BREAK_GLASS_HOURS)
        )
        grant.save()
        audit.record(actor=actor, action="case.break_glass", obj=case)
    return grant


def find_case_for_break_glass(reference: str) -> Case | None:
    return Case.objects.filter(reference__iexact=reference.strip()).first()


# -- timeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime.datetime
    kind: str
    text: str
    by: User | None = None


def timeline(case: Case) -> list[TimelineEvent]:
    """Transitions, notes, documents, placements, verifications, risk and tasks, newest first."""
    events: list[TimelineEvent] = [TimelineEvent(case.created, "opened", _("Case opened"), case.owner)]
    for change in case.status_changes.select_related("by"):
        events.append(
            TimelineEvent(
                change.at, "status", f"{Status(change.old).label} → {Status(change.new).label}: {change.reason}", change.by
            )
        )
    for note in case.notes.select_related("author"):
        events.append(TimelineEvent(note.created, "note", note.body, note.author))
    for document in case.documents.select_related("uploaded_by"):
        events.append(
            TimelineEvent(
                document.uploaded, "document", f"{document.get_kind_display()}: {document.filename}", document.uploaded_by
            )
        )
    for placement in case.placements.select_related("safe_house", "person"):
        at = timezone.make_aware(datetime.datetime.combine(placement.start, datetime.time()))
        events.append(TimelineEvent(at, "placement", f"{placement.person.codename} → {placement.safe_house.label}"))
    for verification in case.verifications.select_related("by"):
        events.append(TimelineEvent(verification.at, "verification", verification.get_method_display(), verification.by))
    for assessment in case.risk_assessments.select_related("by"):
        at = timezone.make_aware(datetime.datetime.combine(assessment.assessed, datetime.time()))
        events.append(TimelineEvent(at, "risk", str(Priority(assessment.priority).label), assessment.by))
    for task in case.tasks.filter(done__isnull=False):
        if task.done is not None:  # filtered above; the check satisfies the type checker
            events.append(TimelineEvent(task.done, "task", task.title))
    return sorted(events, key=lambda event: event.at, reverse=True)


def sort_by_urgency(cases: Iterable[Case]) -> list[Case]:
    return sorted(cases, key=lambda c: (PRIORITY_ORDER[Priority(c.priority)], c.priority_review or datetime.date.max))


def birth_year_from(value: datetime.date | None, precision: str) -> int | None:
    return value.year if value and precision in (DatePrecision.EXACT, DatePrecision.YEAR) else None


# -- added by cases pages (people and cases) -------------------------------------------------


def create_person_with_case(
    actor: User, *, team: Team, priority: str = Priority.NORMAL, summary: str = "", **values: Any
) -> tuple[Person, Case]:
    """A new person and the case they are the principal of, or neither.

    A person outside every case is visible to nobody (access.people_visible_to), so the
    pages never create one alone.
    """
    with transaction.atomic():
        person = create_person(actor, **values)
        case = open_case(actor, team=team, principal=person, priority=priority, summary=summary)
    return person, case


def allowed_transitions(case: Case) -> list[str]:
    """The statuses `transition` accepts next for this case, in workflow order."""
    allowed = set(TRANSITIONS[Status(case.status)])
    if case.status == Status.ON_HOLD and case.status_before_hold:
        allowed = {Status(case.status_before_hold), Status.CLOSED}
    return [value for value in Status.values if value in allowed]


# -- added by case workflow pages (verification, consent, risk, safe houses, break glass) --

from django.db.models import QuerySet  # noqa: E402  # kept inside this section so merges stay local


def members_lacking_consent(case: Case, scope: str = ConsentScope.STORE) -> list[Person]:
    """Members of the case without a standing consent of this scope, for a warning on the case page."""
    consenting = set(case.consents.filter(scope=scope, withdrawn__isnull=True).values_list("person_id", flat=True))
    members = case.members.select_related("person").order_by("person__codename")
    return [member.person for member in members if member.person_id not in consenting]


def pending_break_glass() -> QuerySet[BreakGlass]:
    """Grants no admin has looked at yet, oldest first: the alert of Invariant 5."""
    return BreakGlass.objects.filter(reviewed__isnull=True).select_related("case", "case__data_key", "user").order_by("at")


def review_break_glass(actor: User, grant: BreakGlass) -> None:
    """An admin has read the reason; the grant itself runs out on its own."""
    _require(actor, "cases.review_break_glass")
    if grant.reviewed is not None:
        raise ValidationError(_("This access was already reviewed."))
    with transaction.atomic():
        grant.reviewed = timezone.now()
        grant.save(update_fields=["reviewed"])
        audit.record(actor=actor, action="case.break_glass.reviewed", obj=grant)


# -- added by documents -------------------------------------------------------------------
# Imports kept in this section so the section can be merged on its own.
import hashlib  # noqa: E402
import io  # noqa: E402

from corridor.cases.models import Document, DocumentKind  # noqa: E402


class DocumentPurpose:
    """Why a document's bytes were served; each is a custody entry and an audit action."""

    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    ALL = (VIEWED, DOWNLOADED)


def _custody_entry(actor: User, action: str, note: str = "") -> dict[str, Any]:
    return {"at": timezone.now().isoformat(), "by": actor.pk, "action": action, "note": note}


def _clean_filename(name: str, extension: str) -> str:
    """The name as the uploader gave it (encrypted at rest), without any path, ending in the real extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    base = "".join(ch for ch in base if ch.isprintable())[:150]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'document'}{extension}"


def upload_document(
    actor: User, case: Case, upload: Any, kind: str, person: Person | None = None, description: str = ""
) -> Document:
    """Strip the file's metadata, encrypt it under a new data key, and start its chain of custody.

    Raises ValidationError (a files.FileRejected with the reason) and stores nothing when
    the file is refused; the ciphertext is removed again if the database write fails.
    """
    from corridor.cases import files
    from corridor.keys import files as encrypted_files

    _require(actor, "cases.add_document")
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": _("Unknown document type.")})
    if person is not None and not case.members.filter(person=person).exists():
        raise ValidationError({"person": _("This person is not on the case.")})
    name = str(getattr(upload, "name", "") or "")
    sanitized = files.sanitize(upload, name)
    stored = None
    try:
        with transaction.atomic():
            data_key = DataKey.create("file")
            stored = encrypted_files.store_encrypted(io.BytesIO(sanitized.data), data_key, "document")
            document = Document(
                data_key=data_key,
                case=case,
                person=person,
                kind=kind,
                file=stored.record,
                content_type=sanitized.content_type,
                size=stored.size,
                filename=_clean_filename(name, sanitized.extension),
                sha256=stored.sha256,
                description=description.strip() or None,
                custody=[_custody_entry(actor, "uploaded")],
                uploaded_by=actor,
            )
            document.save()
            audit.record(actor=actor, action="document.upload", obj=document)
    except BaseException:
        if stored is not None:
            encrypted_files.remove(stored.record)
        raise
    return document


def open_document(actor: User, document: Document, purpose: str = DocumentPurpose.VIEWED) -> bytes:
    """The decrypted bytes, with a custody entry and an audit entry saying who read them and why.

    The caller has reached the document through access.get_document_for_user. The
    SHA-256 taken at upload is checked, so custody can state the bytes are unchanged.
    """
    from corridor.keys import files as encrypted_files

    _require(actor, "cases.view_case")
    if purpose not in DocumentPurpose.ALL:
        raise ValueError(f"unknown purpose {purpose!r}")
    data = encrypted_files.open_encrypted(document.file)
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise ValidationError(_("This document does not match the fingerprint taken at upload."))
    with transaction.atomic():
        # Locked so two people opening it at once both end up in the chain of custody.
        locked = Document.objects.select_for_update().select_related("data_key").get(pk=document.pk)
        locked.custody = [*(locked.custody or []), _custody_entry(actor, purpose)]
        locked.save(update_fields=["custody"])
        audit.record(actor=actor, action=f"document.{purpose}", obj=locked)
    document.custody = locked.custody
    return data


# -- added by ownership: the owner is a responsibility inside the team, not a door -------------


def owner_candidates(case: Case) -> QuerySet[User]:
    """Who may own the case: active members of its team in a role that works cases."""
    from corridor.cases.access import CASE_ROLES

    return User.objects.filter(teams=case.team_id, is_active=True, role__in=CASE_ROLES).order_by("username")


def assign_owner(actor: User, case: Case, owner: User | None) -> None:
    """Give the case to another member of its team (or to nobody); admins and the team may."""
    _require(actor, "cases.assign_owner", case)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if owner is not None and not owner_candidates(locked).filter(pk=owner.pk).exists():
            raise ValidationError({"owner": _("The owner must be an active member of the case's team who works on cases.")})
        if locked.owner_id == (owner.pk if owner is not None else None):
            return
        locked.owner = owner
        locked.save(update_fields=["owner", "updated"])
        audit.record(actor=actor, action="case.owner.assign", obj=locked)
    case.owner = owner


def release_ownership(user: User) -> list[Case]:
    """End `user`'s ownership of every case they may no longer work: another team's, or all if
    they were deactivated or moved to a role without cases. Called when an account changes."""
    from corridor.cases.access import CASE_ROLES

    cases = Case.objects.filter(owner=user)
    if user.is_active and user.role in CASE_ROLES:
        cases = cases.exclude(team__in=Team.objects.filter(members=user).values("pk"))
    released: list[Case] = []
    with transaction.atomic():
        for case in cases.select_for_update():
            case.owner = None
            case.save(update_fields=["owner", "updated"])
            # No actor: the account change that caused it carries the admin's name.
            audit.record(actor=None, action="case.owner.release", obj=case)
            released.append(case)
    return released


def ownerless_cases() -> QuerySet[Case]:
    """Open cases nobody owns (after an owner left), for the admins' review page."""
    return Case.objects.filter(owner__isnull=True).exclude(status__in=(Status.CLOSED, Status.ARRIVED)).select_related("team").order_by("created")
