"""Figures computed from the organisation's own applications, never typed in: per country
and per programme, in ONE SQL statement, on SQLite and PostgreSQL.

The statement reads the summary the domain functions keep in the same transaction as every
status move (models.FigureCell, tally.py): per programme and per country, counts and
histograms of whole days, a few hundred rows per programme however many applications there
are. The statement over the raw status history (_events_sql) is kept as the reference the
tests and the benchmark hold the summary's figures to, exactly.

PostgreSQL has percentile_cont and SQLite has none, so medians and 90th percentiles are
computed portably, interpolating between order statistics exactly as percentile_cont does
(stats.percentile is the reference): over the events with ROW_NUMBER()/COUNT() OVER
(PARTITION BY ...), over the summary with running sums of the histograms' counts.

Seen by a user (`viewer`), the figures count the applications of cases they may see, and
other teams' applications only in programmes with at least RELOCATION_MIN_CELL of them, so
no single application of another team can be read out of a cell, a total or a chart; where
other teams' applications are counted, pending times (today minus a submission date) are
coarsened to calendar months and durations drawn from fewer than RELOCATION_MIN_CELL
applications are not shown.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.accounts.models import User
from corridor.cases.access import cases_visible_to
from corridor.relocation import stats, tally
from corridor.relocation.models import FUNNEL, GRANTED_STATUSES, Application, ApplicationStatus

S = ApplicationStatus
# Rows with programme 0 are the country's totals (no programme has primary key 0).
COUNTRY_TOTAL = 0
# Pending times that include other teams' applications are shown in whole months of this many days.
MONTH_DAYS = 30


@dataclass
class Figures:
    country: str
    programme: int  # COUNTRY_TOTAL for the country as a whole
    applications: int = 0
    submitted: int = 0
    grants: int = 0
    refusals: int = 0
    withdrawn: int = 0
    pending: int = 0
    funnel: dict[str, int] = field(default_factory=dict)
    decision_median: float | None = None
    decision_p90: float | None = None
    arrival_median: float | None = None
    arrival_p90: float | None = None
    pending_median: float | None = None
    pending_max: float | None = None
    # True when other teams' applications are counted here: pending times are whole months then.
    pooled: bool = False

    @property
    def decisions(self) -> int:
        return self.grants + self.refusals

    @property
    def rate(self) -> stats.GrantRate:
        return stats.grant_rate(self.grants, self.decisions)

    @property
    def decision_times_known(self) -> bool:
        """Enough decisions for their durations to mean something (stats.MIN_DURATIONS)."""
        return self.decisions >= stats.MIN_DURATIONS and self.decision_median is not None

    @property
    def arrival_times_known(self) -> bool:
        return self.funnel.get(str(S.ARRIVED), 0) >= stats.MIN_DURATIONS and self.arrival_median is not None

    @property
    def too_few(self) -> str:
        """What the page says instead of a rate that rests on too little data ("" when enough)."""
        return too_few_decisions(self.decisions) if not self.rate.enough else ""


def too_few_decisions(decisions: int) -> str:
    if decisions == 0:
        return _("no decisions yet")
    return ngettext(
        "%(count)d decision — too few to compute a rate", "%(count)d decisions — too few to compute a rate", decisions
    ) % {"count": decisions}


def _days(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _today() -> str:
    return "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"


def _quantile(q_num: int, q_den: int) -> str:
    """SUM over ranked rows giving the interpolated q-quantile, q = q_num / q_den.

    Position (n - 1) * q splits into an integer part (integer division, the same on both
    databases for non-negative integers) and a fraction; the two order statistics around it
    are weighted by the fraction. When the fraction is 0 the second term adds nothing.
    """
    low = f"((n - 1) * {q_num} / {q_den})"
    # "%%" is a literal % for both drivers once parameters are bound.
    frac = f"(((n - 1) * {q_num} %% {q_den}) / {float(q_den)})"
    return f"SUM(CASE WHEN i = {low} THEN days * (1 - {frac}) WHEN i = {low} + 1 THEN days * {frac} ELSE 0 END)"


def _events_sql(country_filter: bool, population: str = "") -> str:
    """The figures straight from the status history (the reference for _tally_sql, see compute)."""
    granted = ", ".join(f"'{s}'" for s in GRANTED_STATUSES)  # our own constants, never input
    reached = ",\n".join(
        f"MAX(CASE WHEN e.status IN ({', '.join(repr(str(t)) for t in FUNNEL[FUNNEL.index(stage) :])}) THEN 1 ELSE 0 END) AS r_{stage}"
        for stage in FUNNEL
    )
    where = "WHERE p.country_id IN (SELECT value FROM json_each(%s))" if country_filter else ""
    if country_filter and connection.vendor == "postgresql":
        where = "WHERE p.country_id = ANY(%s)"
    if population:
        where = f"{where} AND {population}" if where else f"WHERE {population}"
    per_app_cols = """
        app, country, {programme} AS programme, submitted, granted, refused, withdrawn, {reached_cols},
        CASE WHEN submitted IS NOT NULL AND decided IS NOT NULL THEN {decision_days} END AS decision_days,
        CASE WHEN submitted IS NOT NULL AND arrived IS NOT NULL THEN {arrival_days} END AS arrival_days,
        CASE WHEN submitted IS NOT NULL AND decided IS NULL AND withdrawn = 0 THEN {pending_days} END AS pending_days
    """
    fmt = {
        "reached_cols": ", ".join(f"r_{stage}" for stage in FUNNEL),
        "decision_days": _days("decided", "submitted"),
        "arrival_days": _days("arrived", "submitted"),
        "pending_days": _days(_today(), "submitted"),
    }
    by_programme = per_app_cols.format(programme="programme", **fmt)
    by_country = per_app_cols.format(programme=str(COUNTRY_TOTAL), **fmt)
    ranked = "\n UNION ALL \n".join(
        f"""SELECT country, programme, '{m}' AS measure, {m}_days AS days,
               ROW_NUMBER() OVER (PARTITION BY country, programme ORDER BY {m}_days) - 1 AS i,
               COUNT(*) OVER (PARTITION BY country, programme) AS n
            FROM apps WHERE {m}_days IS NOT NULL"""  # noqa: S608 -- m is one of three constants below
        for m in ("decision", "arrival", "pending")
    )
    funnel_sums = ", ".join(f"SUM(r_{stage}) AS f_{stage}" for stage in FUNNEL)
    # noqa below: every interpolated piece is one of this module's constants; values are parameters.
    return f"""
WITH per_app AS (
    SELECT a.id AS app, p.country_id AS country, a.programme_id AS programme,
        MIN(CASE WHEN e.status = 'submitted' THEN e.happened_on END) AS submitted,
        MIN(CASE WHEN e.status IN ({granted}) THEN e.happened_on END) AS granted,
        MIN(CASE WHEN e.status = 'refused' THEN e.happened_on END) AS refused,
        MIN(CASE WHEN e.status = 'arrived' THEN e.happened_on END) AS arrived,
        MAX(CASE WHEN e.status = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn,
        {reached}
    FROM relocation_applicationevent e
    JOIN relocation_application a ON a.id = e.application_id
    JOIN relocation_programme p ON p.id = a.programme_id
    {where}
    GROUP BY a.id, p.country_id, a.programme_id
),
decided AS (
    SELECT per_app.*,
        CASE WHEN granted IS NOT NULL AND (refused IS NULL OR granted <= refused) THEN granted ELSE refused END AS decided
    FROM per_app
),
apps AS (
    SELECT {by_programme} FROM decided
    UNION ALL
    SELECT {by_country} FROM decided
),
ranked AS ({ranked}),
pct AS (
    SELECT country, programme, measure,
        {_quantile(1, 2)} AS p50, {_quantile(9, 10)} AS p90, MAX(days) AS top
    FROM ranked GROUP BY country, programme, measure
),
counts AS (
    SELECT country, programme, COUNT(*) AS applications,
        SUM(CASE WHEN submitted IS NOT NULL THEN 1 ELSE 0 END) AS submitted_n,
        SUM(CASE WHEN granted IS NOT NULL THEN 1 ELSE 0 END) AS grants,
        SUM(CASE WHEN granted IS NULL AND refused IS NOT NULL THEN 1 ELSE 0 END) AS refusals,
        SUM(withdrawn) AS withdrawn_n,
        SUM(CASE WHEN pending_days IS NOT NULL THEN 1 ELSE 0 END) AS pending_n,
        {funnel_sums}
    FROM apps GROUP BY country, programme
)
SELECT c.*, d.p50, d.p90, r.p50, r.p90, w.p50, w.top
FROM counts c
LEFT JOIN pct d ON d.country = c.country AND d.programme = c.programme AND d.measure = 'decision'
LEFT JOIN pct r ON r.country = c.country AND r.programme = c.programme AND r.measure = 'arrival'
LEFT JOIN pct w ON w.country = c.country AND w.programme = c.programme AND w.measure = 'pending'
ORDER BY c.country, c.programme
"""  # noqa: S608


def _window_quantile(q_num: int, q_den: int) -> str:
    """SUM over histogram rows giving the interpolated q-quantile, q = q_num / q_den: the same
    arithmetic as _quantile, where a row of `n` equal `days` holds the order statistics
    upto - n .. upto - 1 of the `total` in its group."""
    low = f"((total - 1) * {q_num} / {q_den})"
    frac = f"(((total - 1) * {q_num} %% {q_den}) / {float(q_den)})"
    return (
        f"SUM(CASE WHEN upto - n <= {low} AND {low} < upto THEN days * (1 - {frac}) ELSE 0 END"
        f" + CASE WHEN upto - n <= {low} + 1 AND {low} + 1 < upto THEN days * {frac} ELSE 0 END)"
    )


def _summary_sql(country_filter: bool, population: _Population | None) -> tuple[str, list[Any]]:
    """One statement over the summary (models.FigureCell, tally.py) giving the same columns as
    _events_sql: per programme and per country, the counts, and the quantiles from histograms
    of whole days with running sums. Returns the statement and the parameters before `today`.

    Without a viewer it reads the summary's rows as they are, in the order of its unique index
    (country, programme, measure, value), which is the order the running sums need: a few
    hundred rows per programme, however many applications, and nothing grouped but them.

    For a viewer, a programme where other teams' applications are counted is read from the
    summary (every application in it counts); elsewhere only the viewer's visible cases count,
    and their cells are counted from the per-application tally rows of those cases; the
    countries' totals are then added up from these programmes' cells.
    """
    params: list[Any] = []
    where = ""
    if country_filter:
        where = "WHERE country_id IN (SELECT value FROM json_each(%s))"
        if connection.vendor == "postgresql":
            where = "WHERE country_id = ANY(%s)"
    # noqa below: every interpolated piece is one of these modules' constants, placeholders, or
    # the subquery Django built for the visible cases; every value is a parameter.
    if population is None:
        # Not materialised: each reader scans the table itself, the histograms in index order.
        cells = f"cells AS NOT MATERIALIZED (SELECT country_id AS country, programme, measure, value, n FROM relocation_figurecell {where})"  # noqa: S608
    else:
        # Programme ids are our own integers; -1 keeps the list non-empty (no programme has it).
        pooled = sorted(population.pooled) or [-1]
        marks = ", ".join(["%s"] * len(pooled))
        sources = f"SELECT country_id, programme, measure, value, n FROM relocation_figurecell WHERE programme IN ({marks})"  # noqa: S608
        mine = ""
        if population.visible_sql is not None:
            mine = (
                "mine AS (SELECT * FROM relocation_applicationtally a "  # noqa: S608
                f"WHERE a.case_id IN ({population.visible_sql}) AND a.programme_id NOT IN ({marks})),"
            )
            params += [*population.visible_params, *pooled]
            sources = f"{sources}\n    UNION ALL {tally.cells_sql('mine', country_totals=False)}"
        params += pooled
        cells = f"""{mine}
programmes AS (
    SELECT country_id AS country, programme, measure, value, CAST(n AS INTEGER) AS n FROM ({sources}) s {where}
),
cells AS (
    SELECT country, programme, measure, value, n FROM programmes
    UNION ALL
    SELECT country, {COUNTRY_TOTAL}, measure, value, CAST(SUM(n) AS INTEGER) FROM programmes GROUP BY country, measure, value
)"""  # noqa: S608
    named = {
        "applications": tally.APPLICATIONS,
        "submitted": tally.SUBMITTED,
        "grants": tally.GRANTED,
        "refusals": tally.REFUSED,
        "withdrawn": tally.WITHDRAWN,
        **{f"f{k}": tally.REACHED + k for k in range(len(FUNNEL))},
    }
    counts = ",\n        ".join(
        f"SUM(CASE WHEN measure = {measure} THEN n ELSE 0 END) AS {name}" for name, measure in named.items()
    )
    pending = tally.PENDING_SINCE
    # A pending application's days count back from today: in ascending order of its submission
    # day number (`value`), the running sum counts from the longest pending, so its positions
    # in order of days are total - running .. total - running + n - 1.
    sql = f"""
WITH {cells},
running AS (
    SELECT country, programme, measure, n,
        CASE WHEN measure = {pending} THEN %s - value ELSE value END AS days,
        SUM(n) OVER (PARTITION BY country, programme, measure ORDER BY value ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS below,
        SUM(n) OVER (PARTITION BY country, programme, measure) AS total
    FROM cells WHERE measure IN ({", ".join(str(m) for m in tally.HISTOGRAMS)})
),
hist AS (
    SELECT country, programme, measure, n, days, total,
        CASE WHEN measure = {pending} THEN total - below + n ELSE below END AS upto
    FROM running
),
picked AS (
    -- The few rows a quantile or the longest time is read from: integer tests on every row,
    -- the arithmetic of the quantiles on these only. The row that ends the order holds the top.
    SELECT * FROM hist
    WHERE upto = total
        OR (upto - n <= (total - 1) * 1 / 2 + 1 AND (total - 1) * 1 / 2 < upto)
        OR (upto - n <= (total - 1) * 9 / 10 + 1 AND (total - 1) * 9 / 10 < upto)
),
pct AS (
    SELECT country, programme, measure, {_window_quantile(1, 2)} AS p50, {_window_quantile(9, 10)} AS p90,
        MAX(days) AS top, MAX(total) AS total
    FROM picked GROUP BY country, programme, measure
),
counts AS (
    SELECT country, programme,
        {counts}
    FROM cells WHERE measure < {tally.DECISION_DAYS} GROUP BY country, programme
)
SELECT c.country, c.programme, c.applications, c.submitted, c.grants, c.refusals, c.withdrawn, COALESCE(w.total, 0),
    {", ".join(f"c.f{k}" for k in range(len(FUNNEL)))},
    d.p50, d.p90, r.p50, r.p90, w.p50, w.top
FROM counts c
LEFT JOIN pct d ON d.country = c.country AND d.programme = c.programme AND d.measure = {tally.DECISION_DAYS}
LEFT JOIN pct r ON r.country = c.country AND r.programme = c.programme AND r.measure = {tally.ARRIVAL_DAYS}
LEFT JOIN pct w ON w.country = c.country AND w.programme = c.programme AND w.measure = {pending}
ORDER BY c.country, c.programme
"""  # noqa: S608
    return sql, params


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class _Population:
    """Which applications a viewer's figures count: those of the cases they may see (an SQL
    subquery of case ids and its parameters; None when they see none), and every application
    in the programmes where other teams' applications are counted (`pooled`)."""

    visible_sql: str | None
    visible_params: list[Any]
    pooled: frozenset[int]

    @property
    def condition(self) -> str:
        """The same as an SQL condition on `a` (an application or its tally row)."""
        # Programme ids are our own integers; -1 keeps the list non-empty (no programme has it).
        condition = f"a.programme_id IN ({', '.join(['%s'] * max(1, len(self.pooled)))})"
        if self.visible_sql is None:
            return f"({condition})"
        return f"(a.case_id IN ({self.visible_sql}) OR {condition})"

    @property
    def params(self) -> list[Any]:
        return [*self.visible_params, *(sorted(self.pooled) or [-1])]


def min_cell() -> int:
    return int(getattr(settings, "RELOCATION_MIN_CELL", 5))


def _population(viewer: User) -> _Population:
    visible = cases_visible_to(viewer).values("pk")
    others = (
        Application.objects.filter(events__isnull=False)
        .exclude(case__in=visible)
        .values("programme_id")
        .annotate(n=Count("pk", distinct=True))
    )
    pooled = frozenset(int(row["programme_id"]) for row in others if row["n"] >= min_cell())
    try:
        visible_sql, visible_params = visible.query.sql_with_params()
    except EmptyResultSet:  # a role that sees no case at all
        return _Population(None, [], pooled)
    return _Population(visible_sql, list(visible_params), pooled)


def _whole_months(days: float | None, day: datetime.date) -> float | None:
    """Calendar months from the month of submission (`day` minus `days`) to `day`'s month,
    as MONTH_DAYS each: the figure changes only when a month begins, so watching it day by
    day does not date an application (counted from today, it ticked over on the day an
    application reached 30, 60, 90… days)."""
    if days is None:
        return None
    since = day - datetime.timedelta(days=int(days))
    months = (day.year - since.year) * 12 + day.month - since.month
    return float(MONTH_DAYS * max(0, months))


def compute(
    countries: list[str] | None = None,
    today: datetime.date | None = None,
    *,
    viewer: User | None = None,
    from_events: bool = False,
) -> dict[tuple[str, int], Figures]:
    """Figures keyed by (country code, programme id or COUNTRY_TOTAL), in one query.

    Without a viewer, over every application (for reports and tests); every page and the
    API pass the user, whose figures follow the disclosure rule in the module docstring.
    Read from the summary (and, for a viewer, the tally rows of their cases); `from_events`
    reads the raw status history instead, which the tests and the benchmark use as the
    reference the summary must equal.
    """
    day = today or timezone.localdate()
    if countries is not None and not countries:
        return {}
    population = _population(viewer) if viewer is not None else None
    country_params: list[Any] = []
    if countries is not None:
        country_params.append(list(countries) if connection.vendor == "postgresql" else json.dumps(list(countries)))
    # The statements are built from our own constants only; every value goes in as a parameter.
    if from_events:
        sql = _events_sql(countries is not None, population.condition if population is not None else "")
        # "today" appears twice over the events (per-programme and per-country rows).
        params = [*country_params, *(population.params if population is not None else []), *[_sql_day(day)] * 2]
    else:
        sql, params = _summary_sql(countries is not None, population)
        params += [*country_params, tally.day_number(day)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = _from_event_rows(rows)
    if population is not None and population.pooled:
        _coarsen(result, population.pooled, day)
    return result


def _sql_day(day: datetime.date) -> Any:
    return day if connection.vendor == "postgresql" else day.isoformat()


def _from_event_rows(rows: list[tuple[Any, ...]]) -> dict[tuple[str, int], Figures]:
    result: dict[tuple[str, int], Figures] = {}
    stages = len(FUNNEL)
    for row in rows:
        country, programme, applications, submitted, grants, refusals, withdrawn, pending = row[:8]
        funnel_values = row[8 : 8 + stages]
        d50, d90, a50, a90, p50, pmax = row[8 + stages :]
        result[(country, int(programme))] = Figures(
            country=country,
            programme=int(programme),
            applications=int(applications),
            submitted=int(submitted or 0),
            grants=int(grants or 0),
            refusals=int(refusals or 0),
            withdrawn=int(withdrawn or 0),
            pending=int(pending or 0),
            funnel={str(stage): int(value or 0) for stage, value in zip(FUNNEL, funnel_values, strict=True)},
            decision_median=_num(d50),
            decision_p90=_num(d90),
            arrival_median=_num(a50),
            arrival_p90=_num(a90),
            pending_median=_num(p50),
            pending_max=_num(pmax),
        )
    return result


def _coarsen(result: dict[tuple[str, int], Figures], pooled: frozenset[int], day: datetime.date) -> None:
    """Where other teams' applications are counted, today minus a submission date is shown
    in whole months only: the longest pending application would otherwise date one of them;
    durations to decision and arrival are shown only when at least RELOCATION_MIN_CELL enter them."""
    pooled_countries = {country for country, programme in result if programme in pooled}
    for (country, programme), figs in result.items():
        if programme in pooled or (programme == COUNTRY_TOTAL and country in pooled_countries):
            figs.pooled = True
            figs.pending_median = _whole_months(figs.pending_median, day)
            figs.pending_max = _whole_months(figs.pending_max, day)
            # A median or 90th percentile of fewer than RELOCATION_MIN_CELL durations is close
            # to one application's own days (of one decision, exactly): not shown here.
            if figs.decisions < min_cell():
                figs.decision_median = figs.decision_p90 = None
            if figs.funnel.get(str(S.ARRIVED), 0) < min_cell():
                figs.arrival_median = figs.arrival_p90 = None


def programme_figures(
    programme_id: int, country: str, today: datetime.date | None = None, *, viewer: User | None = None
) -> Figures:
    return compute([country], today, viewer=viewer).get((country, programme_id)) or Figures(
        country=country, programme=programme_id
    )
