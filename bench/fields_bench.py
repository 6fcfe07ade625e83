"""Encrypted vs plaintext save + load of 10,000 records with 8 sensitive fields (goal <= 1.5x).

Both sides use the same rows, the same UUID primary key and the same data-key foreign key;
plain and encrypted runs alternate and the garbage collector is emptied before each timed
step, so neither side pays for the other's garbage.
"""

from __future__ import annotations

import gc
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
            # What a list view does: fetch rows with their keys, unwrap all keys at once, read.
            objs = list(BenchEncrypted.objects.select_related("data_key"))
            preload_keys(objs)
            read_all(objs)

        add("plain_save", _clean_timed(save_plain))
        add("enc_save", _clean_timed(save_encrypted))
        add("plain_load", _clean_timed(load_plain))
        add("enc_load", _clean_timed(load_encrypted))
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

    med = {name: statistics.median(values) for name, values in samples.items()}
    plain = med["plain_save"] + med["plain_load"]
    encrypted = med["enc_save"] + med["enc_load"]
    ratio = encrypted / plain
    return {
        "rows": n,
        "encrypted_fields": len(FIELDS),
        "repeats": repeats,
        "median_seconds": {name: round(value, 4) for name, value in med.items()},
        "ratio": round(ratio, 3),
        "goal": f"encrypted save+load <= {GOAL}x plaintext",
        "goal_met": ratio <= GOAL,
        "ratio_save": round(med["enc_save"] / med["plain_save"], 3),
        "ratio_load": round(med["enc_load"] / med["plain_load"], 3),
        "ratio_with_key_creation": round((encrypted + med["enc_keys"]) / plain, 3),
        "save_each_rows": each,
        "ratio_save_each": round(med["enc_save_each"] / med["plain_save_each"], 3),
        "measures": (
            "save = build n model objects + bulk_create in one transaction; load = fetch all rows and read "
            "every field (encrypted: select_related data_key + preload_keys + decrypt); data keys are made "
            "outside the save timer (enc_keys, also in ratio_with_key_creation); in-process keyring"
        ),
    }
