"""Relocation figures at scale: 200 countries x 1,000,000 application events, computed in one
query, timed as a ratio to a plain GROUP BY over the same events on the same database.

The figures read the summary per programme and country (models.FigureCell: counts and
histograms of days) that the domain functions keep, with the per-application tally, in the
same transaction as each event (corridor/relocation/tally.py); here the events are
bulk-inserted without the domain, so both are rebuilt once afterwards (timed and reported,
with the cost of one application's refresh, which is what each status move pays). The
figures from the raw events (the reference the tests hold the summary to) are timed too and
compared. Results are kept per database: a run on SQLite and one on PostgreSQL
(DATABASE_URL) each fill their own entry.

Synthetic rows are bulk-inserted with COPY on PostgreSQL and executemany on SQLite (no ORM,
no encryption: the figures read only clear workflow columns). If inserting would take much
longer than ~2 minutes the event count is scaled down, and the result says so.
"""

from __future__ import annotations

import datetime
import json
import random
import statistics
import time
import uuid
from typing import Any

from bench.common import median_of

GOAL = "<= 1.5x"

COUNTRIES = 200
EVENTS = 1_000_000
CASES = 1_000
INSERT_BUDGET_SECONDS = 120.0
APP_COLUMNS = "id, case_id, programme_id, status, last_moved, refusal_reason, created"
EVENT_COLUMNS = "id, application_id, old, status, happened_on, recorded"


def _paths(rng: random.Random) -> list[str]:
    """One application's statuses; about four events on average across the mix."""
    roll = rng.random()
    if roll < 0.35:
        return ["draft", "submitted", "decision", "visa_issued", "travel_booked", "departed", "arrived"][: rng.choice([3, 4, 7])]
    if roll < 0.65:
        return ["draft", "submitted", "interview", "refused"] if rng.random() < 0.4 else ["draft", "submitted", "refused"]
    if roll < 0.85:
        return ["draft", "submitted"]
    return ["draft", "withdrawn"]


def _setup_programmes_and_cases() -> tuple[list[int], list[Any]]:
    from corridor.accounts.models import Team
    from corridor.cases.models import Case
    from corridor.keys.models import DataKey
    from corridor.relocation.models import Country, Programme

    codes = list(Country.objects.order_by("code").values_list("code", flat=True)[:COUNTRIES])
    programmes = Programme.objects.bulk_create(
        Programme(country_id=code, name=f"Bench programme {code}", kind="national_visa", source_url="https://example.org/", checked=datetime.date(2024, 1, 1))
        for code in codes
    )
    team = Team.objects.create(name="Bench team")
    keys = DataKey.create_many("case", CASES)
    cases = Case.objects.bulk_create(Case(data_key=key, reference=f"B-{i:06d}", team=team) for i, key in enumerate(keys))
    return [p.pk for p in programmes], [c.pk for c in cases]


def _insert(programme_ids: list[int], case_ids: list[Any], events: int, rng: random.Random) -> tuple[int, int, float]:
    from django.db import connection, transaction

    postgres = connection.vendor == "postgresql"

    def key(value: uuid.UUID) -> Any:
        return value if postgres else value.hex

    # Time-ordered keys (as UUIDv7 would give): inserts append to the B-trees instead of
    # landing at random pages, which is what makes a million rows take minutes otherwise.
    counter = iter(range(1, 1 << 62))
    base = uuid.uuid4().int >> 64 << 64

    def ordered() -> uuid.UUID:
        return uuid.UUID(int=base | next(counter))

    app_sql = f"INSERT INTO relocation_application ({APP_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 -- constants
    event_sql = f"INSERT INTO relocation_applicationevent ({EVENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608 -- constants
    now = datetime.datetime.now(datetime.UTC)
    start = datetime.date(2020, 1, 1)
    made_events = made_apps = 0
    started = time.perf_counter()
    chunk = 50_000
    while made_events < events:
        apps: list[tuple[Any, ...]] = []
        rows: list[tuple[Any, ...]] = []
        while len(rows) < chunk and made_events + len(rows) < events:
            app_id = ordered()
            statuses = _paths(rng)
            day = start + datetime.timedelta(days=rng.randint(0, 1400))
            previous = ""
            for status in statuses:
                rows.append((key(ordered()), key(app_id), previous, status, day, now))
                previous = status
                day += datetime.timedelta(days=rng.randint(1, 90))
            apps.append((key(app_id), key(rng.choice(case_ids)), rng.choice(programme_ids), previous, day, "", now))
        with transaction.atomic(), connection.cursor() as cursor:
            if postgres:
                # COPY streams the rows in one round trip per table, as text we format ourselves
                # (none of the values needs escaping): executemany took the whole 120 s budget
                # for 450,000 events on a loaded machine.
                raw = cursor.cursor
                for table, columns, values in (
                    ("relocation_application", APP_COLUMNS, apps),
                    ("relocation_applicationevent", EVENT_COLUMNS, rows),
                ):
                    with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        copy.write("".join("\t".join(map(str, value)) + "\n" for value in values))
            else:
                cursor.executemany(app_sql, apps)
                cursor.executemany(event_sql, rows)
        made_events += len(rows)
        made_apps += len(apps)
        elapsed = time.perf_counter() - started
        # Stay within the budget: after the first chunks, stop early if the rest would overrun.
        if made_events < events and elapsed / made_events * events > INSERT_BUDGET_SECONDS * 1.5 and elapsed > INSERT_BUDGET_SECONDS:
            break
    return made_events, made_apps, time.perf_counter() - started


def _without_checks_and_indexes() -> list[str]:
    """PostgreSQL's recipe for a bulk load ("Populating a Database"): drop the two tables'
    foreign keys and secondary indexes, and return the statements that put them back exactly
    (their own definitions, read from the catalogue; on SQLite the indexes only). Each row
    otherwise queued a deferred foreign-key check and updated several B-trees, which on a
    loaded machine ran the insert past its budget at 600,000 events. Putting them back (one
    validating join per key, one sort per index) is timed as part of the insert."""
    from django.db import connection

    tables = ("relocation_application", "relocation_applicationevent")
    if connection.vendor == "sqlite":
        # SQLite's foreign keys live in the table definition; its secondary indexes can go.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN (%s, %s) ORDER BY name",
                list(tables),
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _name, definition in indexes]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conname",
            [list(tables)],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u')) ORDER BY indexname",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in keys
    ]


def run(events: int = EVENTS) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from corridor.relocation import figures

    rng = random.Random(2017)
    programme_ids, case_ids = _setup_programmes_and_cases()
    restore = _without_checks_and_indexes()
    made_events, made_apps, insert_seconds = _insert(programme_ids, case_ids, events, rng)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in restore:
            cursor.execute(statement)
    insert_seconds += time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    today = datetime.date(2024, 6, 1)

    def plain_group_by() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.country_id, e.status, COUNT(*) FROM relocation_applicationevent e "
                "JOIN relocation_application a ON a.id = e.application_id "
                "JOIN relocation_programme p ON p.id = a.programme_id GROUP BY p.country_id, e.status"
            )
            cursor.fetchall()

    def single_table_group_by() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status, COUNT(*) FROM relocation_applicationevent GROUP BY status")
            cursor.fetchall()

    from corridor.relocation import tally

    started = time.perf_counter()
    with transaction.atomic():
        tally.rebuild()
    tally_rebuild_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        result = figures.compute(today=today)
    first_seconds = time.perf_counter() - started
    assert len(captured.captured_queries) == 1, "figures must be one query"
    countries = {code for code, _p in result}
    # Interleaved rounds, so that load from others on a shared machine falls on both alike.
    figure_times, baseline_times = [first_seconds], []
    for _round in range(3):
        baseline_times.append(median_of(plain_group_by, runs=1))
        figure_times.append(median_of(lambda: figures.compute(today=today), runs=1))
    figures_seconds = statistics.median(figure_times)
    baseline_seconds = statistics.median(baseline_times)
    single_seconds = median_of(single_table_group_by, runs=3)
    started = time.perf_counter()
    reference = figures.compute(today=today, from_events=True)
    from_events_seconds = time.perf_counter() - started
    same = _rounded(reference) == _rounded(result)
    refresh_ms = _refresh_ms(rng)
    from corridor.relocation.models import FigureCell

    summary_cells = FigureCell.objects.count()
    started = time.perf_counter()
    for row in result.values():
        _ = row.rate.interval  # the Beta intervals are computed in Python, after the query
    interval_seconds = time.perf_counter() - started
    ratio = figures_seconds / baseline_seconds
    return _by_database(
        {
            "database": connection.vendor,
            "countries": len(countries),
            "events": made_events,
            "applications": made_apps,
            "scaled_down": made_events < events,
            "queries": 1,
            "insert_seconds": round(insert_seconds, 1),
            "tally_rebuild_seconds": round(tally_rebuild_seconds, 1),
            "tally_refresh_ms_per_status_move_median": refresh_ms,
            "summary_cells": summary_cells,
            "figures_seconds": round(figures_seconds, 3),
            "group_by_joined_seconds": round(baseline_seconds, 3),
            "group_by_single_table_seconds": round(single_seconds, 3),
            "ratio_to_joined_group_by": round(ratio, 2),
            "goal": GOAL,
            "goal_met": ratio <= 1.5,
            "ratio_to_single_table_group_by": round(figures_seconds / single_seconds, 2),
            "figures_from_events_seconds": round(from_events_seconds, 3),
            "ratio_from_events_to_joined_group_by": round(from_events_seconds / baseline_seconds, 2),
            "tally_figures_equal_event_figures": same,
            "beta_intervals_seconds": round(interval_seconds, 2),
        }
    )


def _rounded(figs: dict[Any, Any]) -> dict[Any, Any]:
    return {key: {k: round(v, 9) if isinstance(v, float) else v for k, v in vars(f).items()} for key, f in figs.items()}


def _refresh_ms(rng: random.Random) -> float:
    """Median cost of one application's tally and summary refresh after a status move (what
    each move adds), 200 samples: a withdrawal event is written, the refresh timed, and the
    transaction rolled back. (Refreshing an unchanged application, as this measured before the
    summary, changes no cell and so leaves the summary's writes out.)"""
    from django.db import connection, transaction

    from corridor.relocation import tally
    from corridor.relocation.models import Application

    postgres = connection.vendor == "postgresql"
    chosen = list(Application.objects.values_list("pk", "last_moved")[:5000])
    samples = []
    for app_id, last_moved in rng.sample(chosen, min(200, len(chosen))):
        with transaction.atomic():
            with connection.cursor() as cursor:
                event = uuid.uuid4()
                cursor.execute(
                    f"INSERT INTO relocation_applicationevent ({EVENT_COLUMNS}) VALUES (%s, %s, '', 'withdrawn', %s, %s)",  # noqa: S608 -- constants
                    [
                        event if postgres else event.hex,
                        app_id if postgres else app_id.hex,
                        last_moved,
                        datetime.datetime.now(datetime.UTC),
                    ],
                )
            started = time.perf_counter()
            tally.refresh(app_id)
            samples.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return round(statistics.median(samples) * 1000, 3)


def _by_database(figures: dict[str, Any]) -> dict[str, Any]:
    """This run's figures under its database's name, next to the other database's from the last run."""
    from bench.run import OUT

    kept: dict[str, Any] = {}
    if OUT.exists():
        previous = json.loads(OUT.read_text()).get("relocation_figures", {})
        kept = {k: v for k, v in previous.items() if k in ("sqlite", "postgresql")}
    kept[figures["database"]] = figures
    return {"goal": GOAL, **kept}
