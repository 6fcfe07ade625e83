"""The audit page's filters at scale: EXPLAIN and timings of its queries on a log of N entries.

Not a suite of bench.run (no figure is published): run by hand, on SQLite or PostgreSQL
(DATABASE_URL), to see which index each filter uses:
    python -m bench.audit_filters --entries 200000 --before 0001_initial
It makes a fresh instance in a temporary directory with the audit table as migration
BEFORE left it, bulk-inserts entries shaped like a busy instance's (reads are most of them,
60 staff and the system acting), and times each filter as the audit page runs it (the
paginator's count and the first page, newest first); then migrates audit to the newest
migration and times the same queries on the same rows again.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import tempfile
import time
from typing import Any

ACTORS = 60
REPEAT = 7


def _setup(before: str) -> None:
    os.environ["CORRIDOR_DATA_DIR"] = tempfile.mkdtemp(prefix="corridor-audit-filters-")
    os.environ.setdefault("CORRIDOR_INSECURE_HTTP", "1")
    os.environ["CORRIDOR_KEYRING"] = "inprocess"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", "audit", before, verbosity=0)


def _fill(count: int) -> None:
    """Rows straight into the table (the log's Merkle and encryption are not what is measured)."""
    import random

    from django.db import transaction

    from corridor.audit.models import AuditEntry
    from corridor.audit.names import registered

    rng = random.Random(7)
    others = sorted(str(name) for name in registered() if name not in ("read", "read.api"))
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    batch: list[AuditEntry] = []
    with transaction.atomic():
        for seq in range(count):
            roll = rng.random()
            action = "read" if roll < 0.55 else "read.api" if roll < 0.7 else rng.choice(others)
            actor = None if rng.random() < 0.05 else rng.randint(1, ACTORS)
            batch.append(
                AuditEntry(
                    seq=seq,
                    time=start + datetime.timedelta(seconds=seq * 60),
                    actor_id=actor,
                    action=action,
                    object_type="cases.case",
                    object_id=str(rng.randint(1, 20000)),
                    leaf_hash=seq.to_bytes(32, "big"),
                )
            )
            if len(batch) == 5000:
                AuditEntry.objects.bulk_create(batch)
                batch = []
        AuditEntry.objects.bulk_create(batch)
    _analyze()


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE audit_auditentry")


def _queries() -> dict[str, dict[str, Any]]:
    from corridor.audit.models import AuditEntry

    rare = AuditEntry.objects.exclude(action__in=("read", "read.api")).values_list("action", flat=True).first()
    return {
        "one actor": {"actor": "17"},
        "the system": {"actor": "system"},
        "one action (rare)": {"action": rare},
        "one action (read)": {"action": "read"},
        "any read": {"action": "reads"},
        "actor and action": {"actor": "17", "action": rare},
        "none (all entries)": {},
    }


def _explain(qs: Any, count: bool = False) -> str:
    from django.db import connection

    if not count:
        return str(qs.explain() if connection.vendor == "sqlite" else qs.explain(analyze=True))
    # What Paginator.count runs: COUNT(*) over the filtered rows, without the ordering.
    sql, params = qs.order_by().values("seq").query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN ANALYZE"
    with connection.cursor() as cursor:
        # The SQL is Django's own compiled query for our filters, its values passed as parameters.
        cursor.execute(f"{prefix} SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608 -- no outside text in it
        rows = cursor.fetchall()
    return "\n".join(" ".join(str(part) for part in row[-1:]) if connection.vendor == "sqlite" else str(row[0]) for row in rows)


def _measure(label: str) -> None:
    from django.core.paginator import Paginator

    from corridor.audit.models import AuditEntry
    from corridor.audit.views import PAGE_SIZE, filtered

    print(f"\n######## {label}")
    for name, data in _queries().items():
        entries = filtered(AuditEntry.objects.order_by("-seq").defer("details", "commitment", "leaf_hash"), data)
        timings = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            page = Paginator(entries, PAGE_SIZE).get_page(1)
            rows = list(page)
            timings.append(time.perf_counter() - began)
        median = statistics.median(timings) * 1000
        print(
            f"\n== {name}: {page.paginator.count} entries, {len(rows)} shown; median {median:.1f} ms (count + first page, {REPEAT} runs)"
        )
        print("-- count:", _explain(entries, count=True).replace("\n", "\n   "))
        print("-- page: ", _explain(entries[:PAGE_SIZE]).replace("\n", "\n   "))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--before", default="0001_initial", help="the audit migration to measure first")
    args = parser.parse_args()
    _setup(args.before)
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    _fill(args.entries)
    print(f"{connection.vendor}: {args.entries} entries in {time.perf_counter() - started:.1f} s")
    _measure(f"audit at {args.before}")
    began = time.perf_counter()
    call_command("migrate", "audit", verbosity=0)
    print(f"\nmigrated audit to the newest migration in {time.perf_counter() - began:.1f} s")
    _analyze()
    _measure("audit at the newest migration")


if __name__ == "__main__":
    main()
