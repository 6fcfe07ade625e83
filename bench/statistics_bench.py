"""A three-dimension statistics report over 1,000,000 records: the GROUP BY plus disclosure
control (primary and complementary suppression, the exact derivability check) vs the plain
SQL aggregation of the same table (goal <= 1.5x). Written per database under
results.json "statistics_reports": run once on SQLite and once with DATABASE_URL on PostgreSQL.

The records are a plain table of three clear columns (region, month, act type) with a skewed
distribution, so the table has small cells to protect; the report's own cost past the
GROUP BY depends on the number of cells, not records.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from typing import Any

from bench.common import timed

GOAL = 1.5
RECORDS = 1_000_000
BATCH = 50_000
TABLE = "statistics_bench_record"


def run(records: int = RECORDS) -> dict[str, Any]:
    from django.db import connection, transaction

    from corridor.statistics import disclosure

    rng = random.Random(16)
    regions = [f"region-{i:02d}" for i in range(8)]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    types = [f"type-{i:02d}" for i in range(10)]
    # Skewed weights: a few categories hold most records, the tail holds few.
    region_w = [1 / (i + 1) ** 2.0 for i in range(len(regions))]
    type_w = [1 / (i + 1) ** 3.0 for i in range(len(types))]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"CREATE TABLE {TABLE} (region varchar(20), month varchar(7), act_type varchar(20))")
    started = time.perf_counter()
    made = 0
    while made < records:
        size = min(BATCH, records - made)
        rows = list(
            zip(
                rng.choices(regions, region_w, k=size),
                rng.choices(months, k=size),
                rng.choices(types, type_w, k=size),
                strict=True,
            )
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {TABLE} (region, month, act_type) VALUES (%s, %s, %s)", rows)  # noqa: S608 -- constant table name
        made += size
    insert_seconds = time.perf_counter() - started
    sql = f"SELECT region, month, act_type, COUNT(*) FROM {TABLE} GROUP BY region, month, act_type"  # noqa: S608 -- constant table name

    def plain() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    def protect(rows: list[tuple[Any, ...]]) -> disclosure.Release:
        counts = {(r, m, t): int(n) for r, m, t, n in rows}
        dims = tuple(tuple(sorted({key[axis] for key in counts})) for axis in range(3))
        return disclosure.suppress(disclosure.Table(dims, counts))

    # Interleaved, so that load from others on a shared machine falls on both alike: each
    # round runs the GROUP BY, then the report (the same GROUP BY, then the protection).
    plain_times, report_times, protect_times = [], [], []
    release = None
    for _round in range(3):
        plain_times.append(timed(plain))
        started = time.perf_counter()
        rows = plain()
        middle = time.perf_counter()
        release = protect(rows)
        ended = time.perf_counter()
        report_times.append(ended - started)
        protect_times.append(ended - middle)
    assert release is not None  # noqa: S101 -- three rounds ran
    plain_seconds = statistics.median(plain_times)
    protected_seconds = statistics.median(report_times)
    protect_seconds = statistics.median(protect_times)
    report = {
        "cells": len(release.cells),
        "primary": len(release.primary),
        "complementary": len(release.complementary),
        "suppression_seconds": round(protect_seconds, 3),
        "ratio_group_by_plus_suppression_medians": round((plain_seconds + protect_seconds) / plain_seconds, 2),
    }
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")
    ratio = protected_seconds / plain_seconds
    return _by_database(
        {
            "database": connection.vendor,
            "records": records,
            "insert_seconds": round(insert_seconds, 1),
            "group_by_seconds": round(plain_seconds, 3),
            "report_with_suppression_seconds": round(protected_seconds, 3),
            "ratio": round(ratio, 2),
            "goal": GOAL,
            "met": ratio <= GOAL,
            **report,
        }
    )


def _by_database(figures: dict[str, Any]) -> dict[str, Any]:
    """This run's figures under its database's name, next to the other database's from the last
    run (one run on SQLite, one with DATABASE_URL on PostgreSQL)."""
    from bench.run import OUT

    kept: dict[str, Any] = {}
    if OUT.exists():
        previous = json.loads(OUT.read_text()).get("statistics_reports", {})
        kept = {k: v for k, v in previous.items() if k in ("sqlite", "postgresql")}
    kept[figures["database"]] = figures
    return {"goal": f"<= {GOAL}x", **kept}
