"""Read-only questions about case work: what the pages and the API show, and what actions decide on.

Nothing here writes, audits or locks; the domain actions (corridor/cases/domain/) do that.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.accounts.roles import CASE_ROLES
from corridor.cases.models import (
    PRIORITY_ORDER,
    TRANSITIONS,
    BreakGlass,
    Case,
    CaseMember,
    ConsentScope,
    DatePrecision,
    DuplicateReview,
    Person,
    Placement,
    Priority,
    SafeHouse,
    Status,
    Task,
)

# -- urgency: the one order people must act in ---------------------------------------------------


def urgency_rank() -> models.Case:
    """Emergencies first, then urgent, then normal (PRIORITY_ORDER), as a database expression."""
    return models.Case(
        *(models.When(priority=priority, then=rank) for priority, rank in PRIORITY_ORDER.items()),
        default=len(PRIORITY_ORDER),
        output_field=models.IntegerField(),
    )


def by_urgency(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Most urgent first, then the nearest review date, then the newest: sorted by the database,
    so only the page shown is read. The pages, the API and the dashboard all order with this."""
    return cases.annotate(urgency=urgency_rank()).order_by(
        "urgency", models.F("priority_review").asc(nulls_last=True), "-created", "pk"
    )


# -- workflow ------------------------------------------------------------------------------------


def allowed_transitions(case: Case) -> list[str]:
    """The statuses `transition` accepts next for this case, in workflow order."""
    allowed = set(TRANSITIONS[Status(case.status)])
    if case.status == Status.ON_HOLD and case.status_before_hold:
        allowed = {Status(case.status_before_hold), Status.CLOSED}
    return [value for value in Status.values if value in allowed]


def members_lacking_consent(case: Case, scope: str = ConsentScope.STORE) -> list[Person]:
    """Members of the case without a standing consent of this scope, for a warning on the case page."""
    consenting = set(case.consents.filter(scope=scope, withdrawn__isnull=True).values_list("person_id", flat=True))
    members = case.members.select_related("person").order_by("person__codename")
    return [member.person for member in members if member.person_id not in consenting]


def birth_year_from(value: datetime.date | None, precision: str) -> int | None:
    return value.year if value and precision in (DatePrecision.EXACT, DatePrecision.YEAR) else None


# -- safe houses ---------------------------------------------------------------------------------


# A stay's end date is the day the person moved out: on that day they sleep in the next house,
# so a stay is open on a day when it has no end or ends after that day. Every count of who lives
# where (occupancy, "living here now", the compromise list, the dashboard) follows this one rule;
# counting the last day too put a person who moved today in both houses.


def not_ended(placements: QuerySet[Placement], day: datetime.date | None = None) -> QuerySet[Placement]:
    """Placements not ended by `day` (today by default): no end, or an end after it. Planned stays
    (a start after `day`) are included: a compromised house must move those people too."""
    on = day or timezone.localdate()
    return placements.filter(models.Q(end__isnull=True) | models.Q(end__gt=on))


def living_in(placements: QuerySet[Placement], day: datetime.date | None = None) -> QuerySet[Placement]:
    """Placements of the people living there on `day` (today by default): started, not ended."""
    on = day or timezone.localdate()
    return not_ended(placements, on).filter(start__lte=on)


def occupancy(house: SafeHouse, on: datetime.date | None = None) -> int:
    """People living in `house` on a day (today by default).

    For a decision (place()), ask inside the action, after the house is locked: only then does
    no other placement come in between.
    """
    return living_in(house.placements.all(), on).count()


def in_compromised_houses(visible_cases: QuerySet[Case]) -> QuerySet[Placement]:
    """People living now in a house marked compromised, through the cases given (those a user
    may see): on the dashboard, the first thing to act on after an emergency request."""
    placements = Placement.objects.filter(case__in=visible_cases, safe_house__compromised__isnull=False)
    return living_in(placements).select_related("person", "case", "safe_house").order_by("safe_house__label", "person__codename")


# -- tasks ---------------------------------------------------------------------------------------


def due_tasks(user: User, cases: QuerySet[Case], today: datetime.date | None = None) -> QuerySet[Task]:
    """Open tasks due today or earlier in `cases` (those the user may see) that are the user's:
    assigned to them, in a case they own, or urgent and held by nobody (a compromise's re-housing
    task in a case without an owner must not wait unseen). Urgent first, then the oldest due."""
    day = today or timezone.localdate()
    mine = models.Q(assignee=user) | models.Q(case__owner=user) | models.Q(urgent=True, assignee__isnull=True)
    return Task.objects.filter(case__in=cases, done__isnull=True, due__lte=day).filter(mine).order_by("-urgent", "due", "pk")


# -- break glass, duplicates, ownership: what the admins review ----------------------------------


def find_case_for_break_glass(reference: str) -> Case | None:
    return Case.objects.filter(reference__iexact=reference.strip()).first()


def pending_break_glass() -> QuerySet[BreakGlass]:
    """Grants no admin has looked at yet, oldest first: the alert of Invariant 5."""
    return BreakGlass.objects.filter(reviewed__isnull=True).select_related("case", "case__data_key", "user").order_by("at")


def pending_duplicate_reviews() -> list[tuple[Any, list[Case]]]:
    """Open reviews, oldest first, each with the cases (reference and team) of the matched person."""
    reviews = list(DuplicateReview.objects.filter(reviewed__isnull=True).select_related("user", "person"))
    members = CaseMember.objects.filter(person__in=[r.person_id for r in reviews]).select_related("case", "case__team")
    cases: dict[Any, list[Case]] = {}
    for member in members:
        cases.setdefault(member.person_id, []).append(member.case)
    return [(review, cases.get(review.person_id, [])) for review in reviews]


def pending_duplicate_count() -> int:
    return DuplicateReview.objects.filter(reviewed__isnull=True).count()


def owner_candidates(case: Case) -> QuerySet[User]:
    """Who may own the case: active members of its team in a role that works cases."""
    return User.objects.filter(teams=case.team_id, is_active=True, role__in=CASE_ROLES).order_by("username")


def ownerless_cases() -> QuerySet[Case]:
    """Open cases nobody owns (after an owner left), for the admins' review page."""
    return (
        Case.objects.filter(owner__isnull=True)
        .exclude(status__in=(Status.CLOSED, Status.ARRIVED))
        .select_related("team")
        .order_by("created")
    )


# -- timeline ------------------------------------------------------------------------------------


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
