"""The per-application tally the figures read (models.ApplicationTally) and its summary per
programme (models.FigureCell): the tally is computed from the application's events by one SQL
statement; the summary counts tally rows per (programme, measure, value).

`refresh` is called by the domain functions after every event they write, inside their
transaction, so neither can disagree with the history they summarise: the application's old
tally row is taken out of the summary and its new one added. `forget` takes a deleted tally
row out (an erased application leaves no count behind). `rebuild` fills both from scratch
(the migrations that created them, and the benchmark after a bulk insert).
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection

from corridor.relocation.models import FUNNEL, GRANTED_STATUSES, ApplicationTally, Programme

COLUMNS = "application_id, case_id, programme_id, submitted, granted, refused, withdrawn, furthest, decision_days, arrival_days"
# What the summary needs of a tally row `t` and its programme `p`, in this order (_cells_of).
SUMMARISED = (
    "p.country_id, t.programme_id, t.submitted, t.granted, t.refused, t.withdrawn, t.furthest, t.decision_days, t.arrival_days"
)
# The country's total in the summary's programme column (figures.COUNTRY_TOTAL).
COUNTRY_TOTAL = 0

# Measures of the summary (FigureCell.measure). Counts have value 0; REACHED + k counts the
# applications that reached FUNNEL[k]; the last three are histograms (value: days, or for
# PENDING_SINCE the submission's day number, so that the pending time can be read on any day).
APPLICATIONS, SUBMITTED, GRANTED, REFUSED, WITHDRAWN = 0, 1, 2, 3, 4
REACHED = 5
DECISION_DAYS, ARRIVAL_DAYS, PENDING_SINCE = 20, 21, 22
HISTOGRAMS = (DECISION_DAYS, ARRIVAL_DAYS, PENDING_SINCE)
EPOCH = datetime.date(1970, 1, 1)

Cell = tuple[str, int, int, int]  # (country, programme id or COUNTRY_TOTAL, measure, value)


def _days(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def select_sql(where: str = "") -> str:
    """One row per application with events (restricted by `where` on `e`), in COLUMNS order.

    The same reduction as the figures made over the raw events before: first submission, first
    grant, first refusal, first arrival, any withdrawal, the furthest funnel stage; a decision is
    the grant when it came first (or alone), else the refusal.
    """
    granted = ", ".join(f"'{s}'" for s in GRANTED_STATUSES)  # our own constants, never input
    furthest = " ".join(f"WHEN e.status = '{stage}' THEN {index}" for index, stage in enumerate(FUNNEL))
    true, false = ("TRUE", "FALSE") if connection.vendor == "postgresql" else ("1", "0")
    return f"""
SELECT app, case_id, programme_id, submitted,
    CASE WHEN granted IS NOT NULL THEN {true} ELSE {false} END,
    CASE WHEN granted IS NULL AND refused IS NOT NULL THEN {true} ELSE {false} END,
    CASE WHEN withdrawn = 1 THEN {true} ELSE {false} END,
    furthest,
    CASE WHEN submitted IS NOT NULL AND decided IS NOT NULL THEN {_days("decided", "submitted")} END,
    CASE WHEN submitted IS NOT NULL AND arrived IS NOT NULL THEN {_days("arrived", "submitted")} END
FROM (
    SELECT per_app.*,
        CASE WHEN granted IS NOT NULL AND (refused IS NULL OR granted <= refused) THEN granted ELSE refused END AS decided
    FROM (
        SELECT a.id AS app, a.case_id, a.programme_id,
            MIN(CASE WHEN e.status = 'submitted' THEN e.happened_on END) AS submitted,
            MIN(CASE WHEN e.status IN ({granted}) THEN e.happened_on END) AS granted,
            MIN(CASE WHEN e.status = 'refused' THEN e.happened_on END) AS refused,
            MIN(CASE WHEN e.status = 'arrived' THEN e.happened_on END) AS arrived,
            MAX(CASE WHEN e.status = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn,
            MAX(CASE {furthest} ELSE -1 END) AS furthest
        FROM relocation_applicationevent e
        JOIN relocation_application a ON a.id = e.application_id
        {where}
        GROUP BY a.id, a.case_id, a.programme_id
    ) per_app
) decided
"""  # noqa: S608 -- every interpolated piece is one of this module's constants


def day_number_sql(column: str) -> str:
    """The date in `column` as days since EPOCH, as day_number does in Python."""
    if connection.vendor == "postgresql":
        return f"({column} - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - julianday('1970-01-01') AS INTEGER)"


def day_number(day: datetime.date | str) -> int:
    # A raw cursor may give a date or its ISO text, depending on the driver.
    return (day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day)).toordinal() - EPOCH.toordinal()


def cells_sql(source: str, *, country_totals: bool = True) -> str:
    """(country_id, programme, measure, value, n) for the tally rows in `source` (a table or a CTE
    with the tally's columns): what the summary holds for them, per programme and, unless told
    otherwise, per country (programme COUNTRY_TOTAL). The same counting as _cells_of."""
    # (measure, value, condition): a tally row counts in the cell when the condition holds.
    counted = [
        (APPLICATIONS, "0", "1 = 1"),
        (SUBMITTED, "0", "t.submitted IS NOT NULL"),
        (GRANTED, "0", "t.granted"),
        (REFUSED, "0", "t.refused"),
        (WITHDRAWN, "0", "t.withdrawn"),
        *((REACHED + k, "0", f"t.furthest >= {k}") for k in range(len(FUNNEL))),
        (DECISION_DAYS, "t.decision_days", "t.decision_days IS NOT NULL"),
        (ARRIVAL_DAYS, "t.arrival_days", "t.arrival_days IS NOT NULL"),
        (PENDING_SINCE, day_number_sql("t.submitted"), "t.submitted IS NOT NULL AND NOT (t.granted OR t.refused OR t.withdrawn)"),
    ]
    union = "\n    UNION ALL ".join(
        f"SELECT p.country_id, t.programme_id, {measure} AS measure, {value} AS value "  # noqa: S608 -- constants
        f"FROM {source} t JOIN relocation_programme p ON p.id = t.programme_id WHERE {condition}"
        for measure, value, condition in counted
    )
    per_programme = (
        f"SELECT country_id, programme_id, measure, value, COUNT(*) AS n FROM (\n    {union}\n) cells "  # noqa: S608 -- constants
        "GROUP BY country_id, programme_id, measure, value"
    )
    if not country_totals:
        return per_programme
    return (
        f"{per_programme}\nUNION ALL\nSELECT country_id, {COUNTRY_TOTAL}, measure, value, COUNT(*) FROM (\n    {union}\n) cells "  # noqa: S608
        "GROUP BY country_id, measure, value"
    )


def _cells_of(row: Sequence[Any] | None) -> list[Cell]:
    """The summary cells one tally row (SUMMARISED columns) counts in, for its programme and its
    country; none for no row."""
    if row is None:
        return []
    country, programme, submitted, granted, refused, withdrawn, furthest, decision_days, arrival_days = row
    flags = (
        (True, APPLICATIONS),
        (submitted is not None, SUBMITTED),
        (granted, GRANTED),
        (refused, REFUSED),
        (withdrawn, WITHDRAWN),
    )
    measures = [(measure, 0) for counted, measure in flags if counted]
    measures += [(REACHED + k, 0) for k in range(int(furthest) + 1)]
    if decision_days is not None:
        measures.append((DECISION_DAYS, int(decision_days)))
    if arrival_days is not None:
        measures.append((ARRIVAL_DAYS, int(arrival_days)))
    if submitted is not None and not (granted or refused or withdrawn):
        measures.append((PENDING_SINCE, day_number(submitted)))
    return [(country, where, measure, value) for where in (int(programme), COUNTRY_TOTAL) for measure, value in measures]


def _apply(delta: Counter[Cell]) -> None:
    """Add `delta` to the summary; cells that fall to zero are deleted.

    Cells are written in sorted order: two transactions touching the same cells lock them in
    the same order, so they wait for each other instead of deadlocking.
    """
    changes = sorted((cell, n) for cell, n in delta.items() if n)
    if not changes:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(changes))
    params = [v for cell, n in changes for v in (*cell, n)]
    falling = [cell for cell, n in changes if n < 0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO relocation_figurecell (country_id, programme, measure, value, n) VALUES {values} "  # noqa: S608 -- placeholders only
            "ON CONFLICT (country_id, programme, measure, value) DO UPDATE SET n = relocation_figurecell.n + excluded.n",
            params,
        )
        if falling:
            which = " OR ".join(["(country_id = %s AND programme = %s AND measure = %s AND value = %s)"] * len(falling))
            cursor.execute(
                f"DELETE FROM relocation_figurecell WHERE n = 0 AND ({which})",  # noqa: S608 -- placeholders only
                [v for cell in falling for v in cell],
            )


def refresh(application_id: uuid.UUID) -> None:
    """Recompute one application's tally from its events, and move its counts in the summary
    from its old row to its new one; call inside the transaction that wrote the events."""
    key = application_id if connection.vendor == "postgresql" else application_id.hex
    read = (
        f"SELECT {SUMMARISED} FROM relocation_applicationtally t "  # noqa: S608 -- constants
        "JOIN relocation_programme p ON p.id = t.programme_id WHERE t.application_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(read, [key])
        old = cursor.fetchone()
        cursor.execute("DELETE FROM relocation_applicationtally WHERE application_id = %s", [key])
        cursor.execute(
            f"INSERT INTO relocation_applicationtally ({COLUMNS}) {select_sql('WHERE e.application_id = %s')}",  # noqa: S608 -- constants
            [key],
        )
        cursor.execute(read, [key])
        new = cursor.fetchone()
    delta: Counter[Cell] = Counter(_cells_of(new))
    delta.subtract(_cells_of(old))
    _apply(delta)


def forget(sender: type, instance: ApplicationTally, **kwargs: Any) -> None:
    """pre_delete of a tally row (its application or case is deleted, as erasure does): its
    counts leave the summary in the same transaction, as if the application had never been."""
    country = Programme.objects.values_list("country_id", flat=True).get(pk=instance.programme_id)
    row = [country, instance.programme_id, instance.submitted, instance.granted, instance.refused, instance.withdrawn]
    row += [instance.furthest, instance.decision_days, instance.arrival_days]
    delta: Counter[Cell] = Counter()
    delta.subtract(_cells_of(row))
    _apply(delta)


def move_programme(programme_id: int, old_country: str, new_country: str) -> None:
    """A programme now belongs to another country: its cells move with it, out of the old
    country's totals and into the new one's; call inside the transaction that moves it."""
    if old_country == new_country:
        return
    delta: Counter[Cell] = Counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT measure, value, n FROM relocation_figurecell WHERE country_id = %s AND programme = %s",
            [old_country, programme_id],
        )
        for measure, value, n in cursor.fetchall():
            for where in (programme_id, COUNTRY_TOTAL):
                delta[(old_country, where, measure, value)] -= n
                delta[(new_country, where, measure, value)] += n
    _apply(delta)


def rebuild() -> None:
    """Every application's tally from the events, and the summary from the tally, replacing what was there."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM relocation_applicationtally")
        cursor.execute(f"INSERT INTO relocation_applicationtally ({COLUMNS}) {select_sql()}")  # noqa: S608 -- constants
        cursor.execute("DELETE FROM relocation_figurecell")
        # In the order of the unique index, which is the order the figures read the cells in:
        # the rows of one programme's histogram then sit together on disk.
        cells = cells_sql("relocation_applicationtally")
        insert = f"INSERT INTO relocation_figurecell (country_id, programme, measure, value, n) SELECT * FROM ({cells}) cells ORDER BY 1, 2, 3, 4"  # noqa: S608 -- constants
        cursor.execute(insert)
