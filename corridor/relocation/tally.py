"""The per-application tally the figures read (models.ApplicationTally): computed from the
application's events by one SQL statement, for one application or for all of them.

`refresh` is called by the domain functions after every event they write, inside their
transaction, so the tally can never disagree with the history it summarises; `rebuild` fills
the table from scratch (the migration that created it, and the benchmark after a bulk insert).
"""

from __future__ import annotations

import uuid

from django.db import connection

from corridor.relocation.models import FUNNEL, GRANTED_STATUSES

COLUMNS = "application_id, case_id, programme_id, submitted, granted, refused, withdrawn, furthest, decision_days, arrival_days"


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


def refresh(application_id: uuid.UUID) -> None:
    """Recompute one application's tally from its events; call inside the transaction that wrote them."""
    key = application_id if connection.vendor == "postgresql" else application_id.hex
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM relocation_applicationtally WHERE application_id = %s", [key])
        cursor.execute(
            f"INSERT INTO relocation_applicationtally ({COLUMNS}) {select_sql('WHERE e.application_id = %s')}",  # noqa: S608 -- constants
            [key],
        )


def rebuild() -> None:
    """Every application's tally from the events, replacing what was there."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM relocation_applicationtally")
        cursor.execute(f"INSERT INTO relocation_applicationtally ({COLUMNS}) {select_sql()}")  # noqa: S608 -- constants
