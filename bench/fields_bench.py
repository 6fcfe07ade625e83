"""Encrypted vs plaintext save + load of 10,000 records with 8 sensitive fields (goal <= 1.5x).

Both sides use the same rows, the same UUID primary key and the same data-key foreign key;
plain and encrypted runs alternate and the garbage collector is emptied before each timed
step, so neither side pays for the other's garbage. Figures are kept per database: a run on
SQLite fills the top level, a run with a PostgreSQL DATABASE_URL the "postgresql" entry, and
each keeps the other's figures from the last run.
"""

from __future__ import annotations

import gc
import json
import statistics
from collections.abc import Callable
from typing import Any

from bench.common import timed

FIELDS = [f"f{i}" for i in range(1, 9)]
GOAL = 1.5


def _values(i: int) -> dict[str, str]:
    # Realistic sizes: names, places, a few sentences of notes; Cyrillic and Latin.
    return {
        "f1": f"Магомед Хасанов {i}",
        "f2": f"Magomed Khasanov {i}",
        "f3": "1991-02-28",
        "f4": f"ул. Ленина, д. {i % 300}, кв. {i % 97}, Грозный",
        "f5": f"+7 928 {i:07d}",
        "f6": "Задержан в феврале, удерживался в Аргуне; " * 4,
        "f7": "internal passport; no international passport",
        "f8": f"contact via cousin, codename kestrel-{i}",
    }


def _clean_timed(fn: Callable[[], object]) -> float:
    gc.collect()
    return timed(fn)


def run(n: int = 10_000, repeats: int = 5, each: int = 1_000) -> dict[str, Any]:
    from django.db import transaction

    from bench.benchapp.models import BenchEncrypted, BenchPlain
    from corridor.keys.fields import preload_keys
    from corridor.keys.models import DataKey

    rows = [_values(i) for i in range(n)]
    samples: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        samples.setdefault(name, []).append(seconds)

    def read_all(objs: list[Any]) -> None:
        for obj in objs:
            for name in FIELDS:
                getattr(obj, name)

    keys: list[DataKey] = []  # this repetition's data keys, one per row
    for _ in range(repeats):
        keys.clear()

        def make_keys() -> None:
            with transaction.atomic():
                keys.extend(DataKey.create_many("bench", n))

        add("enc_keys", _clean_timed(make_keys))

        def save_plain() -> None:
            with transaction.atomic():
                BenchPlain.objects.bulk_create(
                    [BenchPlain(data_key=k, **r) for k, r in zip(keys, rows, strict=True)], batch_size=500
                )

        def save_encrypted() -> None:
            with transaction.atomic():
                BenchEncrypted.objects.bulk_create(
                    [BenchEncrypted(data_key=k, **r) for k, r in zip(keys, rows, strict=True)], batch_size=500
                )

        def load_plain() -> None:
            read_all(list(BenchPlain.objects.all()))

        def load_encrypted() -> None:
            # What a list view does: fetch the rows, unwrap all their keys at once (preload_keys
            # reads them by id: one more query), read every field.
            objs = list(BenchEncrypted.objects.all())
            preload_keys(objs)
            read_all(objs)

        def load_encrypted_joined() -> None:
            # The same with the keys joined in as DataKey objects (select_related), as most
            # views still fetch them: reported beside the figure, not in it.
            objs = list(BenchEncrypted.objects.select_related("data_key"))
            preload_keys(objs)
            read_all(objs)

        add("plain_save", _clean_timed(save_plain))
        add("enc_save", _clean_timed(save_encrypted))
        add("plain_load", _clean_timed(load_plain))
        add("enc_load", _clean_timed(load_encrypted))
        add("enc_load_joined", _clean_timed(load_encrypted_joined))
        with transaction.atomic():
            BenchEncrypted.objects.all().delete()
            BenchPlain.objects.all().delete()
            DataKey.objects.filter(purpose="bench").delete()

    # The web application's pattern: one save() per record, each in its own transaction.
    for _ in range(repeats):
        for label, model in (("plain_save_each", BenchPlain), ("enc_save_each", BenchEncrypted)):
            made = DataKey.create_many("bench", each)

            def save_each(model: Any = model, made: list[DataKey] = made) -> None:
                for k, r in zip(made, rows[:each], strict=True):
                    with transaction.atomic():
                        model(data_key=k, **r).save(force_insert=True)

            add(label, _clean_timed(save_each))
            with transaction.atomic():
                model.objects.all().delete()
                DataKey.objects.filter(purpose="bench").delete()

    from django.db import connection

    med = {name: statistics.median(values) for name, values in samples.items()}
    plain = med["plain_save"] + med["plain_load"]
    encrypted = med["enc_save"] + med["enc_load"]
    ratio = encrypted / plain
    figures = {
        "rows": n,
        "encrypted_fields": len(FIELDS),
        "repeats": repeats,
        "median_seconds": {name: round(value, 4) for name, value in med.items()},
        "ratio": round(ratio, 3),
        "goal": f"encrypted save+load <= {GOAL}x plaintext",
        "goal_met": ratio <= GOAL,
        "ratio_save": round(med["enc_save"] / med["plain_save"], 3),
        "ratio_load": round(med["enc_load"] / med["plain_load"], 3),
        "ratio_load_joined": round(med["enc_load_joined"] / med["plain_load"], 3),
        "ratio_with_key_creation": round((encrypted + med["enc_keys"]) / plain, 3),
        "save_each_rows": each,
        "ratio_save_each": round(med["enc_save_each"] / med["plain_save_each"], 3),
        "measures": (
            "save = build n model objects + bulk_create in one transaction; load = fetch all rows and read "
            "every field (encrypted: preload_keys, which reads the keys by id in one more query and unwraps "
            "them in one keyring call, + decrypt; enc_load_joined/ratio_load_joined: the same after "
            "select_related data_key); data keys are made outside the save timer (enc_keys, also in "
            "ratio_with_key_creation); in-process keyring; garbage collector on, emptied before each step"
        ),
        "database": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite",
    }
    return _by_database(figures, connection.vendor == "postgresql")


def _by_database(figures: dict[str, Any], postgres: bool) -> dict[str, Any]:
    """SQLite figures at the top level, PostgreSQL's under "postgresql"; the other database's
    figures are kept from the last run (bench/results.json), so one key holds both."""
    from bench.run import OUT

    previous: dict[str, Any] = {}
    if OUT.exists():
        previous = json.loads(OUT.read_text()).get("encrypted_fields", {})
    if postgres:
        kept = {k: v for k, v in previous.items() if k != "postgresql"}
        return {**kept, "postgresql": figures}
    return {**figures, **({"postgresql": previous["postgresql"]} if "postgresql" in previous else {})}
