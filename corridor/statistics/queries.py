"""From a report definition to a count table: one SQL GROUP BY over clear columns, counting
only people whose consent covers anonymised statistics (and not withdrawn).

Which records of each measure are counted:
- people: each person's place on a case (a person on two cases counts on each); their own
  consent decides.
- acts: each documented act; the victim's consent decides.
- cases, applications: only when EVERY person on the case (on the application) consents;
  one member without consent keeps the whole record out.
- decisions: each first decision on an application (granted or refused) under the same rule.
- arrival_time: each application that arrived, under the same rule; its duration is the days
  from first contact (the day its case was opened) to the arrival.

Age band (people, acts): a birth date is encrypted, so the band is computed during the run,
in memory: the counted people's birth dates are decrypted in batches under the keyring (one
unwrap call per batch) and never stored; nothing about a birth date is kept in clear. The age
is at the record's date (the case's opening, the act's start); a birth date known only
approximately, or not at all, goes to "unknown". Those reports group in Python, not in SQL.

Filters: a list of allowed values per dimension column, and a first and last month
(PERIOD_FROM, PERIOD_TO, "YYYY-MM") on the measure's date.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import get_language

from corridor.cases.models import Case as CaseModel
from corridor.cases.models import CaseMember, Consent, ConsentScope, Person, Status
from corridor.cases.queries import birth_year_from
from corridor.documentation.models import Act, Term, Vocabulary
from corridor.keys.fields import preload_keys
from corridor.relocation.models import GRANTED_STATUSES, Application, ApplicationEvent, ApplicationStatus, Country, Programme
from corridor.statistics import disclosure
from corridor.statistics.models import Dimension, Measure

UNKNOWN = "unknown"
PERIOD_FROM = "period_from"
PERIOD_TO = "period_to"
# Age bands: (code, lowest age in it); the code is what the tables store and sort by.
AGE_BANDS = (("00-17", 0), ("18-24", 18), ("25-34", 25), ("35-44", 35), ("45-59", 45), ("60+", 60))
DECRYPT_BATCH = 500
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
    # The path to the person whose age band a row has (None: no age band for this measure).
    person: str | None = None
    # For a duration measure, the path to the moment the duration starts (first contact).
    contact: str | None = None


def source(measure: str) -> Source:
    people = consenting_people().values("pk")
    if measure == Measure.PEOPLE:
        base: QuerySet[Any] = CaseMember.objects.all()
        return Source(
            base,
            base.filter(person__in=people),
            "case__created",
            {Dimension.STATUS: "case__status", Dimension.REGION: "person__region"},
            person="person_id",
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
            person="victim_id",
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
    if measure == Measure.ARRIVAL_TIME:
        base = ApplicationEvent.objects.filter(status=ApplicationStatus.ARRIVED)
        missing = Application.members.through.objects.filter(application=OuterRef("application_id")).exclude(person__in=people)
        return Source(
            base,
            base.exclude(Exists(missing)),
            "happened_on",
            {Dimension.COUNTRY: "application__programme__country_id", Dimension.PROGRAMME: "application__programme__name"},
            contact="application__case__created",
        )
    raise ValueError(f"unknown measure {measure!r}")


def dimensions_for(measure: str) -> list[str]:
    src = source(measure)
    return [Dimension.PERIOD, *src.columns, *([Dimension.AGE_BAND] if src.person else [])]


def filters_for(measure: str) -> list[str]:
    """The filter keys a measure takes: the first and last month, and its dimension columns."""
    return [PERIOD_FROM, PERIOD_TO, *source(measure).columns]


def filter_values(key: str) -> list[tuple[str, str]]:
    """The values a filter on this dimension may take, as (value, label) pairs; a region is
    free text and takes any (an empty list)."""
    if key == Dimension.COUNTRY:
        return [(c.code, c.name) for c in Country.objects.order_by("code")]
    if key == Dimension.PROGRAMME:
        names = Programme.objects.order_by("name").values_list("name", flat=True).distinct()
        return [(name, name) for name in names]
    if key == Dimension.STATUS:
        return [(str(value), str(label)) for value, label in Status.choices]
    if key == Dimension.OUTCOME:
        return [(str(value), str(label)) for value, label in ApplicationStatus.choices]
    if key == Dimension.ACT_TYPE:
        language = (get_language() or "en")[:2]
        terms = Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE).order_by("code")
        return [(t.code, str(t.labels.get(language) or t.labels.get("en") or t.code)) for t in terms]
    return []


def month_start(value: str) -> datetime.date:
    """'YYYY-MM' as the first day of that month (ValueError for anything else)."""
    year, _sep, month = value.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
        raise ValueError(value)
    return datetime.date(int(year), int(month), 1)


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def age_band(birth: datetime.date | None, precision: str, on: datetime.date) -> str:
    """The band of someone born on `birth` (of `precision`) at the date `on`; UNKNOWN without a year."""
    year = birth_year_from(birth, precision)
    if year is None or birth is None:
        return UNKNOWN
    age = on.year - year
    if precision == "exact" and (on.month, on.day) < (birth.month, birth.day):
        age -= 1
    code = UNKNOWN
    for band, lowest in AGE_BANDS:
        if age >= lowest:
            code = band
    return code


def birth_dates(person_ids: Sequence[Any]) -> dict[Any, tuple[datetime.date | None, str]]:
    """Birth dates and their precision, decrypted in batches (one keyring call each), kept in
    memory for this run only."""
    found: dict[Any, tuple[datetime.date | None, str]] = {}
    ids = sorted(set(person_ids), key=str)
    for start in range(0, len(ids), DECRYPT_BATCH):
        people = list(Person.objects.filter(pk__in=ids[start : start + DECRYPT_BATCH]).select_related("data_key"))
        preload_keys(people)
        for person in people:
            found[person.pk] = (person.birth_date, person.birth_precision)
    return found


@dataclass(frozen=True)
class Counted:
    table: disclosure.Table
    counted: int
    left_out: int
    cutoff: datetime.date
    # For a duration measure: each inner cell's durations in days (never published as such).
    durations: Mapping[tuple[str, ...], list[int]] = field(default_factory=dict)


def count(
    measure: str,
    dimensions: Sequence[str],
    filters: Mapping[str, Any],
    *,
    granularity: str,
    lag_days: int,
    today: datetime.date,
) -> Counted:
    """The table of counts, with how many records consent left out."""
    if not 1 <= len(dimensions) <= disclosure.MAX_DIMENSIONS or len(set(dimensions)) != len(dimensions):
        raise ValueError("choose one to three different dimensions")
    src = source(measure)
    for dimension in dimensions:
        if dimension not in dimensions_for(measure):
            raise ValueError(f"{dimension!r} is not a dimension of {measure!r}")
    for name in filters:
        if name not in filters_for(measure):
            raise ValueError(f"{name!r} is not a filter of {measure!r}")
    cutoff = disclosure.publication_cutoff(today, lag_days, granularity)
    trunc = TruncMonth if granularity == disclosure.MONTH else TruncQuarter
    date_field = src.date_field

    def moment(day: datetime.date) -> datetime.date | datetime.datetime:
        # Creation times are moments: compare with the day's midnight in the current zone.
        if date_field.endswith("created"):
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        return day

    def shape(rows: QuerySet[Any]) -> QuerySet[Any]:
        rows = rows.filter(**{f"{date_field}__lt": moment(cutoff)})
        if filters.get(PERIOD_FROM):
            rows = rows.filter(**{f"{date_field}__gte": moment(month_start(filters[PERIOD_FROM]))})
        if filters.get(PERIOD_TO):
            rows = rows.filter(**{f"{date_field}__lt": moment(_next_month(month_start(filters[PERIOD_TO])))})
        for dimension, values in filters.items():
            if dimension in src.columns:
                rows = rows.filter(**{f"{src.columns[dimension]}__in": list(values)})
        return rows

    counted_rows = shape(src.counted)
    annotations: dict[str, Any] = {}
    for index, dimension in enumerate(dimensions):
        if dimension == Dimension.PERIOD:
            annotations[f"d{index}"] = trunc(date_field)
        elif dimension != Dimension.AGE_BAND:
            annotations[f"d{index}"] = F(src.columns[dimension])
    names = list(annotations)
    counts: dict[tuple[str, ...], int] = {}
    durations: dict[tuple[str, ...], list[int]] = {}
    if Dimension.AGE_BAND in dimensions or src.contact:
        # Grouped here, record by record: an age band needs the decrypted birth date, a duration its two dates.
        # Aliases prefixed so they never meet a model field's name (a member row has a `person`).
        extra: dict[str, Any] = {"s_day": F(date_field)}
        if src.person:
            extra["s_person"] = F(src.person)
        if src.contact:
            extra["s_contact"] = F(src.contact)
        rows = list(counted_rows.annotate(**annotations, **extra).values(*names, *extra))
        births = birth_dates([row["s_person"] for row in rows]) if Dimension.AGE_BAND in dimensions else {}
        for row in rows:
            day = row["s_day"].date() if isinstance(row["s_day"], datetime.datetime) else row["s_day"]
            parts: list[str] = []
            for index, dimension in enumerate(dimensions):
                if dimension == Dimension.AGE_BAND:
                    birth, precision = births.get(row["s_person"], (None, ""))
                    parts.append(age_band(birth, precision, day))
                else:
                    parts.append(_label(row[f"d{index}"], dimension, measure, granularity))
            cell = tuple(parts)
            counts[cell] = counts.get(cell, 0) + 1
            if src.contact:
                started = timezone.localdate(row["s_contact"]) if row["s_contact"] else day
                durations.setdefault(cell, []).append(max(0, (day - started).days))
    else:
        grouped = counted_rows.annotate(**annotations).values(*names).annotate(n=Count("pk")).order_by()
        for row in grouped:
            key = tuple(_label(row[name], dimension, measure, granularity) for name, dimension in zip(names, dimensions, strict=True))
            counts[key] = counts.get(key, 0) + int(row["n"])
    categories = tuple(tuple(sorted({key[axis] for key in counts})) for axis in range(len(dimensions)))
    categories = tuple(axis or (UNKNOWN,) for axis in categories)
    counted = sum(counts.values())
    left_out = shape(src.base).count() - counted
    return Counted(disclosure.Table(categories, counts), counted, left_out, cutoff, durations)


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
