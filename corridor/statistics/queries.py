"""From a report definition to a count table: one SQL GROUP BY over clear columns, counting
only people whose consent covers anonymised statistics (and not withdrawn).

Which records of each measure are counted:
- people: each person's place on a case (a person on two cases counts on each); their own
  consent decides.
- acts: each documented act; the victim's consent decides.
- cases, applications: only when EVERY person on the case (on the application) consents;
  one member without consent keeps the whole record out.
- decisions: each first decision on an application (granted or refused) under the same rule.
Age band is not offered: a birth date is encrypted, and grouping by it would mean decrypting
every counted person's record for a statistic (left for later; see docs/users/statistics.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone

from corridor.cases.models import Case as CaseModel
from corridor.cases.models import CaseMember, Consent, ConsentScope, Person
from corridor.documentation.models import Act
from corridor.relocation.models import GRANTED_STATUSES, Application, ApplicationEvent, ApplicationStatus
from corridor.statistics import disclosure
from corridor.statistics.models import Dimension, Measure

UNKNOWN = "unknown"
GRANTED = "granted"
REFUSED = "refused"


def consenting_people() -> QuerySet[Person]:
    consents = Consent.objects.filter(person=OuterRef("pk"), scope=ConsentScope.STATISTICS, withdrawn__isnull=True)
    return Person.objects.filter(erased__isnull=True).filter(Exists(consents))


def _without_consent(person_path: str) -> Exists:
    """True for a row with a person (at `person_path`, relative to the row) lacking consent."""
    consents = Consent.objects.filter(person=OuterRef("person_id"), scope=ConsentScope.STATISTICS, withdrawn__isnull=True)
    return Exists(CaseMember.objects.filter(**{person_path: OuterRef("pk")}).exclude(Exists(consents)))


@dataclass(frozen=True)
class Source:
    """A measure: its base rows, how consent is decided, and the column of each dimension."""

    base: QuerySet[Any]
    counted: QuerySet[Any]
    date_field: str
    columns: Mapping[str, str]


def source(measure: str) -> Source:
    people = consenting_people().values("pk")
    if measure == Measure.PEOPLE:
        base: QuerySet[Any] = CaseMember.objects.all()
        return Source(
            base,
            base.filter(person__in=people),
            "case__created",
            {Dimension.STATUS: "case__status", Dimension.REGION: "person__region"},
        )
    if measure == Measure.CASES:
        base = CaseModel.objects.all()
        return Source(base, base.exclude(_without_consent("case")), "created", {Dimension.STATUS: "status"})
    if measure == Measure.ACTS:
        base = Act.objects.all()
        return Source(
            base,
            base.filter(victim__in=people),
            "start",
            {Dimension.ACT_TYPE: "act_type__code", Dimension.REGION: "event__region"},
        )
    if measure == Measure.APPLICATIONS:
        base = Application.objects.all()
        missing = Application.members.through.objects.filter(application=OuterRef("pk")).exclude(person__in=people)
        return Source(
            base,
            base.exclude(Exists(missing)),
            "created",
            {
                Dimension.COUNTRY: "programme__country_id",
                Dimension.PROGRAMME: "programme__name",
                Dimension.OUTCOME: "status",
            },
        )
    if measure == Measure.DECISIONS:
        base = ApplicationEvent.objects.filter(
            status__in=(ApplicationStatus.DECISION, ApplicationStatus.VISA_ISSUED, ApplicationStatus.REFUSED)
        ).exclude(old__in=GRANTED_STATUSES)
        missing = Application.members.through.objects.filter(application=OuterRef("application_id")).exclude(person__in=people)
        return Source(
            base,
            base.exclude(Exists(missing)),
            "happened_on",
            {
                Dimension.COUNTRY: "application__programme__country_id",
                Dimension.PROGRAMME: "application__programme__name",
                Dimension.OUTCOME: "status",
            },
        )
    raise ValueError(f"unknown measure {measure!r}")


def dimensions_for(measure: str) -> list[str]:
    return [Dimension.PERIOD, *source(measure).columns]


@dataclass(frozen=True)
class Counted:
    table: disclosure.Table
    counted: int
    left_out: int
    cutoff: datetime.date


def count(
    measure: str,
    dimensions: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    *,
    granularity: str,
    lag_days: int,
    today: datetime.date,
) -> Counted:
    """The table of counts, with how many records consent left out."""
    if not 1 <= len(dimensions) <= disclosure.MAX_DIMENSIONS or len(set(dimensions)) != len(dimensions):
        raise ValueError("choose one to three different dimensions")
    src = source(measure)
    allowed = {Dimension.PERIOD, *src.columns}
    for dimension in [*dimensions, *filters]:
        if dimension not in allowed:
            raise ValueError(f"{dimension!r} is not a dimension of {measure!r}")
    cutoff = disclosure.publication_cutoff(today, lag_days, granularity)
    trunc = TruncMonth if granularity == disclosure.MONTH else TruncQuarter
    date_field = src.date_field
    limit: datetime.date | datetime.datetime = cutoff
    if date_field.endswith("created"):
        # Creation times are moments: compare with the cutoff's midnight in the current zone.
        limit = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time()))

    def shape(rows: QuerySet[Any]) -> QuerySet[Any]:
        rows = rows.filter(**{f"{date_field}__lt": limit})
        for dimension, values in filters.items():
            if dimension == Dimension.PERIOD:
                continue  # periods are chosen by the cutoff and shown whole
            rows = rows.filter(**{f"{src.columns[dimension]}__in": list(values)})
        return rows

    counted_rows = shape(src.counted)
    annotations: dict[str, Any] = {}
    for index, dimension in enumerate(dimensions):
        if dimension == Dimension.PERIOD:
            annotations[f"d{index}"] = trunc(date_field)
        else:
            annotations[f"d{index}"] = F(src.columns[dimension])
    names = list(annotations)
    grouped = counted_rows.annotate(**annotations).values(*names).annotate(n=Count("pk")).order_by()
    counts: dict[tuple[str, ...], int] = {}
    for row in grouped:
        key = tuple(_label(row[name], dimension, measure, granularity) for name, dimension in zip(names, dimensions, strict=True))
        counts[key] = counts.get(key, 0) + int(row["n"])
    categories = tuple(tuple(sorted({key[axis] for key in counts})) for axis in range(len(dimensions)))
    categories = tuple(axis or (UNKNOWN,) for axis in categories)
    counted = sum(counts.values())
    left_out = shape(src.base).count() - counted
    return Counted(disclosure.Table(categories, counts), counted, left_out, cutoff)


def _label(value: Any, dimension: str, measure: str, granularity: str) -> str:
    if value is None or value == "":
        return UNKNOWN
    if dimension == Dimension.PERIOD:
        day = value.date() if isinstance(value, datetime.datetime) else value
        return disclosure.period(day, granularity)
    if measure == Measure.DECISIONS and dimension == Dimension.OUTCOME:
        # A grant whether the programme decides first or issues the visa directly.
        return REFUSED if value == ApplicationStatus.REFUSED else GRANTED
    return str(value)
