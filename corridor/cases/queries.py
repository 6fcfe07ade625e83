"""Read-only questions about case work: what the pages and the API show, and what actions decide on.

Nothing here writes, audits or locks; the domain actions (corridor/cases/domain/) do that.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.accounts.roles import CASE_ROLES
from corridor.cases.models import (
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
    urgency_of_priority,
)

# -- urgency: the one order people must act in ---------------------------------------------------


def urgency_rank() -> models.Case:
    """Emergencies first, then urgent, then normal (PRIORITY_ORDER), computed from the priority.

    The lists read Case.urgency, the same expression stored by the database on every write;
    the tests compare the two after each kind of change.
    """
    return urgency_of_priority()


# Most urgent first, then the nearest review date (none last), then the newest; the id breaks
# ties, so the order is total and a page boundary is one exact position.
LIST_ORDER = ("urgency", "review_order", "-created", "pk")
_REVERSED_ORDER = ("-urgency", "-review_order", "created", "-pk")


def by_urgency(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Most urgent first, then the nearest review date, then the newest: sorted by the database
    from stored columns, so an index gives the order. The pages, the API and the dashboard all
    order with this."""
    return cases.order_by(*LIST_ORDER)


# -- the case list: keyset pages -----------------------------------------------------------------
# A page is "the next 50 after this position", never "rows 5,001-5,050": no OFFSET (which reads
# every row before it) and no COUNT over every visible case. Each team's cases are one index
# range in list order (Case.Meta index cases_case_list_order), so a page reads at most 51 index
# entries per team of the user, however many cases the organisation keeps.


class BadPosition(ValueError):
    """A page link's position that is not one this module wrote."""


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class ListPosition:
    """One case's place in the list order: what a "next"/"previous" link carries.

    Its rank, its review date, when it was opened and its id: nothing about the person, and
    nothing a forged one could reveal (it only says where a page starts among cases the
    reader may see anyway).
    """

    urgency: int
    review: datetime.date
    created: datetime.datetime
    pk: uuid.UUID

    def sort_key(self) -> tuple[int, int, int, int]:
        # created descending: the negated microseconds since 1970, exact in an int.
        return (self.urgency, self.review.toordinal(), -((self.created - _EPOCH) // _MICROSECOND), self.pk.int)

    def token(self) -> str:
        text = f"{self.urgency}~{self.review.isoformat()}~{self.created.astimezone(datetime.UTC).isoformat()}~{self.pk.hex}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str) -> ListPosition:
        """The position in a page link; BadPosition for anything else."""
        if not token or len(token) > 200:
            raise BadPosition("no position")
        try:
            text = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True).decode("ascii")
            urgency, review, created, pk = text.split("~")
            when = datetime.datetime.fromisoformat(created)
            if when.tzinfo is None or not urgency.isdigit() or len(urgency) > 2:
                raise BadPosition("not a position")
            # In UTC, as the database is asked: a time at the calendar's edge with an offset
            # has no UTC value (OverflowError from the adapter, a 500, before this).
            when = when.astimezone(datetime.UTC)
            return cls(int(urgency), datetime.date.fromisoformat(review), when, uuid.UUID(hex=pk))
        except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error) as exc:
            raise BadPosition("not a position") from exc


_MICROSECOND = datetime.timedelta(microseconds=1)


class _RowAtLeast(models.Expression):
    """`(a, b) >= (x, y)` (or `<=`): a row-value comparison, which both SQLite and PostgreSQL
    turn into an index range start, where the equivalent OR of column comparisons is not."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, columns: tuple[str, ...], values: tuple[Any, ...], fields: tuple[models.Field[Any, Any], ...], op: str) -> None:
        super().__init__()
        self.columns: list[Any] = [models.F(column) for column in columns]
        self.values: list[Any] = [models.Value(value, output_field=field) for value, field in zip(values, fields, strict=True)]
        self.op = op

    def get_source_expressions(self) -> list[Any]:
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        half = len(exprs) // 2
        self.columns, self.values = list(exprs[:half]), list(exprs[half:])

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        sides: list[str] = []
        params: list[Any] = []
        for side in (self.columns, self.values):
            parts = []
            for expression in side:
                sql, more = compiler.compile(expression)
                parts.append(sql)
                params.extend(more)
            sides.append(f"({', '.join(parts)})")
        return f"{sides[0]} {self.op} {sides[1]}", tuple(params)


def _beyond(position: ListPosition, forward: bool) -> models.Q:
    """Cases strictly after `position` in list order (`forward`), or strictly before it."""
    later, earlier = ("gt", "lt") if forward else ("lt", "gt")
    u, r, c, pk = position.urgency, position.review, position.created, position.pk
    exact = models.Q(**{f"urgency__{later}": u})
    exact |= models.Q(urgency=u, **{f"review_order__{later}": r})
    exact |= models.Q(urgency=u, review_order=r, **{f"created__{earlier}": c})  # created runs newest first
    exact |= models.Q(urgency=u, review_order=r, created=c, **{f"pk__{later}": pk})
    start = _RowAtLeast(
        ("urgency", "review_order"), (u, r), (models.PositiveSmallIntegerField(), models.DateField()), ">=" if forward else "<="
    )
    return models.Q(start) & exact


def list_parts(user: User, cases: QuerySet[Case], open_states: Sequence[bool] = (True, False)) -> list[QuerySet[Case]]:
    """`cases` (already only those `user` may see, filtered) cut into pieces that are each one
    index range in list order: one per team of the user, one per open/closed state, and the
    cases reached by break-glass.

    Together they are exactly `cases` as long as a case is visible only through its team or a
    grant (access.cases_visible_to); were another way added, its cases would fall outside every
    piece, and test_the_list_shows_exactly_the_visible_cases would fail until one is added here.
    `open_states` says which of open (True) and closed (False) cases `cases` may hold: each
    is a separate range of the index.
    """
    teams = list(Team.objects.filter(members=user).values_list("pk", flat=True))
    grants = BreakGlass.objects.filter(user=user).values("case_id")
    pieces = [cases.filter(team_id=team) for team in teams]
    pieces.append(cases.exclude(team_id__in=teams).filter(pk__in=grants))
    return [piece.filter(closed=0 if state else 1) for piece in pieces for state in open_states]


@dataclass(frozen=True)
class CasePage:
    """One page of the case list: the cases' ids in list order, and where the links lead."""

    pks: list[uuid.UUID]
    next: ListPosition | None  # after the last row, when more follow
    previous: ListPosition | None  # before the first row, when this is not the first page


def case_page(
    parts: Sequence[QuerySet[Case]], *, size: int, after: ListPosition | None = None, before: ListPosition | None = None
) -> CasePage:
    """The `size` cases after `after` (or before `before`; the first page without either).

    Each part reads at most size + 1 index entries; the pieces are merged here. A previous
    page that comes up short, or a next page with nothing left (cases closed or reordered
    since the link was made), is the first page instead.
    """
    forward = before is None
    position = after if forward else before
    found: list[ListPosition] = []
    for part in parts:
        if position is not None:
            part = part.filter(_beyond(position, forward))
        ordered = part.order_by(*(LIST_ORDER if forward else _REVERSED_ORDER))
        found += [ListPosition(*row) for row in ordered.values_list("urgency", "review_order", "created", "pk")[: size + 1]]
    found.sort(key=ListPosition.sort_key, reverse=not forward)
    more = len(found) > size
    rows = found[:size]
    if position is not None and (not rows if forward else not more):
        return case_page(parts, size=size)
    if not forward:
        rows.reverse()
        return CasePage([row.pk for row in rows], next=rows[-1], previous=rows[0])
    return CasePage(
        [row.pk for row in rows],
        next=rows[-1] if more else None,
        previous=rows[0] if after is not None and rows else None,
    )


def count_up_to(parts: Sequence[QuerySet[Case]], limit: int) -> int:
    """How many cases the parts hold, counting no further than `limit` + 1 (shown as "more than
    `limit`"): each count stops inside its index range instead of reading every case."""
    total = 0
    for part in parts:
        total += part.order_by().values("pk")[: limit + 1 - total].count()
        if total > limit:
            break
    return total


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
