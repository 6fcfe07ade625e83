"""Documentation at scale: corroboration of 100,000 acts from 500,000 pieces of information, and
near-duplicate detection over 10,000 testimonies.

Corroboration reads the database as the event pages do (corroboration.for_acts): the acts'
information, the perpetrators each names and the sources' derivation graph, in chunks, then
computes in memory. The synthetic rows are bulk-inserted with executemany; the places the
sources give are left empty (a place is an encrypted value, decrypted per row: the figure
`places_sample` times that path on a sample instead). Time and peak memory (tracemalloc, in a
second run, since tracing slows Python down) are reported.

Near-duplicates: 10,000 testimonies of ~150 words, each an encrypted source, of which 1% are
planted retellings of another; signatures, LSH and the exact check run in memory
(nearduplicates.flags_among, decryption included). Recall of the planted pairs and the number
of pairs flagged that were not planted are reported with the time.
"""

from __future__ import annotations

import datetime
import random
import time
import tracemalloc
import uuid
from typing import Any

ACTS = 100_000
INFORMATION = 500_000
EVENTS = 10_000
SOURCES = 50_000
PEOPLE = 1_000
PERPETRATORS = 2_000
TESTIMONIES = 10_000
PLANTED = 100
WORDS = [f"w{i}" for i in range(5_000)]


def _key(value: uuid.UUID, postgres: bool) -> Any:
    return value if postgres else value.hex


def _setup_people_and_team() -> tuple[Any, Any, list[Any]]:
    from corridor.accounts.models import Team
    from corridor.cases.models import Person
    from corridor.keys.models import DataKey

    team = Team.objects.create(name="Bench documentation")
    key = DataKey.create("bench-person")  # one key for every synthetic row: the rows, not the keys, are measured
    people = Person.objects.bulk_create(Person(data_key=key, codename=f"bench-doc-{i:05d}") for i in range(PEOPLE))
    return team, key, people


def _fill(rng: random.Random) -> dict[str, Any]:
    """Events, acts, perpetrators, sources (30% derived, chains up to three deep) and information."""
    from django.db import connection, transaction

    from corridor.documentation.models import Event, Perpetrator, Source, Term
    from corridor.keys.models import DataKey

    postgres = connection.vendor == "postgresql"
    team, _key_unused, people = _setup_people_and_team()
    started = time.perf_counter()
    key = DataKey.create("bench-documentation")
    events = Event.objects.bulk_create(
        (
            Event(
                data_key=key, team=team, title="bench event", start=datetime.date(2017, 1, 1) + datetime.timedelta(days=i % 900)
            )
            for i in range(EVENTS)
        ),
        batch_size=2_000,
    )
    perpetrators = Perpetrator.objects.bulk_create(
        (Perpetrator(data_key=key, kind="unit", name="bench unit") for _ in range(PERPETRATORS)), batch_size=2_000
    )
    sources: list[Source] = []
    for i in range(SOURCES):
        testimony = i % 10 < 3
        parent = sources[rng.randrange(len(sources))] if sources and rng.random() < 0.3 else None
        sources.append(
            Source(
                data_key=key,
                team=team,
                kind="testimony" if testimony else "media",
                person=rng.choice(people) if testimony else None,
                title="bench source",
                derived_from=parent,
            )
        )
    with transaction.atomic():
        Source.objects.bulk_create(sources, batch_size=2_000)
    act_type = Term.objects.get(vocabulary="act_type", code="torture").pk
    now = datetime.datetime.now(datetime.UTC)
    act_ids = [uuid.uuid4() for _ in range(ACTS)]
    act_rows = []
    for i, act_id in enumerate(act_ids):
        event = events[i % EVENTS]
        act_rows.append(
            (
                _key(act_id, postgres),
                _key(event.pk, postgres),
                _key(rng.choice(people).pk, postgres),
                act_type,
                event.start,
                "exact",
                None,
                "exact",
                "unknown",
                now,
                now,
            )
        )
    act_sql = (
        'INSERT INTO documentation_act (id, event_id, victim_id, act_type_id, start, start_precision, "end", end_precision, '
        "end_status, created, updated) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    info_sql = (
        "INSERT INTO documentation_information (id, source_id, event_id, act_id, how_known, reliability, reported_start, "
        "reported_end, created) VALUES (%s, %s, NULL, %s, %s, %s, %s, NULL, %s)"
    )
    m2m_sql = "INSERT INTO documentation_information_reported_perpetrators (information_id, perpetrator_id) VALUES (%s, %s)"
    how = ["victim", "witness", "hearsay", "documentary"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(act_sql, act_rows)
        made = 0
        while made < INFORMATION:
            info_rows, m2m_rows = [], []
            for _ in range(min(50_000, INFORMATION - made)):
                info_id = uuid.uuid4()
                act_index = made % ACTS  # five pieces of information per act
                day = events[act_index % EVENTS].start + datetime.timedelta(days=rng.choice([0, 0, 0, 1, 2, 21, 90]))
                info_rows.append(
                    (
                        _key(info_id, postgres),
                        _key(rng.choice(sources).pk, postgres),
                        _key(act_ids[act_index], postgres),
                        rng.choice(how),
                        "medium",
                        day,
                        now,
                    )
                )
                if rng.random() < 0.4:
                    m2m_rows.append((_key(info_id, postgres), _key(perpetrators[act_index % PERPETRATORS].pk, postgres)))
                made += 1
            cursor.executemany(info_sql, info_rows)
            cursor.executemany(m2m_sql, m2m_rows)
        cursor.execute("ANALYZE")
    return {"act_ids": act_ids, "insert_seconds": round(time.perf_counter() - started, 1), "team": team, "people": people}


def _corroboration(act_ids: list[uuid.UUID]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from corridor.documentation import corroboration

    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as captured:
        results = corroboration.for_acts(act_ids, places=False)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    corroboration.for_acts(act_ids, places=False)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    independent = sorted(r.independent for r in results.values())
    scored = [r.score for r in results.values() if r.score is not None]
    return {
        "acts": len(results),
        "information": INFORMATION,
        "sources": SOURCES,
        "seconds": round(seconds, 2),
        # This process's CPU time: the machine is shared, so wall time depends on the neighbours.
        "cpu_seconds": round(cpu_seconds, 2),
        "acts_per_second": round(len(results) / seconds),
        "queries": len(captured.captured_queries),
        "peak_mib_traced": round(peak / 2**20, 1),
        "median_independent_sources": independent[len(independent) // 2],
        "mean_consistency": round(sum(scored) / len(scored), 3) if scored else None,
    }


def _places_sample(act_ids: list[uuid.UUID]) -> dict[str, Any]:
    """The decrypting path on 1,000 acts with a place on every piece of their information."""
    from corridor.documentation import corroboration
    from corridor.documentation.models import Information

    sample = act_ids[:1_000]
    rows = list(Information.objects.filter(act__in=sample).select_related("source__data_key"))
    for row in rows:
        row.reported_place = "Argun, the former military building"
    for row in rows:  # each place encrypted under its source's key, as an action would
        row.save(update_fields=["reported_place"])
    started = time.perf_counter()
    corroboration.for_acts(sample, places=True)
    return {"acts": len(sample), "information": len(rows), "seconds": round(time.perf_counter() - started, 2)}


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _near_duplicates(rng: random.Random, team: Any, people: list[Any]) -> dict[str, Any]:
    from corridor.documentation import nearduplicates
    from corridor.documentation.models import Source
    from corridor.keys.models import DataKey

    texts = [_sentence(rng, 150) for _ in range(TESTIMONIES)]
    planted: set[frozenset[int]] = set()
    for copy in rng.sample(range(TESTIMONIES), PLANTED):
        original = rng.randrange(TESTIMONIES)
        if original == copy:
            continue
        words = texts[original].split()
        # A retelling: a few words changed and a sentence added, the rest the same.
        for _ in range(8):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        texts[copy] = "I was told that " + " ".join(words)
        planted.add(frozenset({original, copy}))
    key = DataKey.create("bench-testimony")
    sources = Source.objects.bulk_create(
        (
            Source(data_key=key, team=team, kind="testimony", person=people[i % len(people)], title="bench testimony", text=text)
            for i, text in enumerate(texts)
        ),
        batch_size=1_000,
    )
    index_of = {source.pk: i for i, source in enumerate(sources)}
    fresh = Source.objects.filter(pk__in=[s.pk for s in sources]).select_related("data_key")
    started, cpu = time.perf_counter(), time.process_time()
    pairs = nearduplicates.near_duplicates({s.pk: s.text or "" for s in fresh})
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    found = {frozenset({index_of[p.a], index_of[p.b]}) for p in pairs}
    in_memory_started = time.perf_counter()
    nearduplicates.near_duplicates(dict(enumerate(texts)))
    in_memory_seconds = time.perf_counter() - in_memory_started
    return {
        "testimonies": TESTIMONIES,
        "words_each": 150,
        "planted_pairs": len(planted),
        "found_planted": len(found & planted),
        "recall": round(len(found & planted) / len(planted), 3),
        "flagged_not_planted": len(found - planted),
        "seconds_with_decryption": round(seconds, 2),
        "cpu_seconds_with_decryption": round(cpu_seconds, 2),
        "seconds_in_memory": round(in_memory_seconds, 2),
        "num_perm": nearduplicates.NUM_PERM,
        "bands": nearduplicates.BANDS,
        "threshold": nearduplicates.THRESHOLD,
    }


def run() -> dict[str, Any]:
    from django.db import connection

    rng = random.Random(2017)
    filled = _fill(rng)
    figures: dict[str, Any] = {"database": connection.vendor, "insert_seconds": filled["insert_seconds"]}
    figures["corroboration"] = _corroboration(filled["act_ids"])
    figures["corroboration_with_places_sample"] = _places_sample(filled["act_ids"])
    figures["near_duplicates"] = _near_duplicates(rng, filled["team"], filled["people"])
    figures["measures"] = (
        "corroboration: for_acts over every act from the database (places off), time and tracemalloc peak of a second run; "
        "places: the decrypting path on 1,000 acts; near-duplicates: 10,000 encrypted testimonies read and compared in memory"
    )
    return figures
