"""Benchmark of the encrypted fields: save + load of N rows with 8 encrypted vs 8 plain text fields.

`bench_fields(n)` needs the tables of the test app (corridor.settings_test) and an unsealed
keyring; `main()` (python -m corridor.keys.benchmarks [N]) sets both up and prints JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIELDS = [f"f{i}" for i in range(1, 9)]


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


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_fields(n: int = 10_000, repeats: int = 3) -> dict[str, Any]:
    """Median seconds over `repeats` runs for saving (bulk_create) and loading+reading n rows."""
    from django.db import transaction

    from corridor.keys.fields import preload_keys
    from corridor.keys.models import DataKey
    from corridor.keys.tests.testapp.models import BenchEncrypted, BenchPlain

    rows = [_values(i) for i in range(n)]
    results: dict[str, list[float]] = {k: [] for k in ("plain_save", "plain_load", "enc_keys", "enc_save", "enc_load")}

    for _ in range(repeats):
        with transaction.atomic():
            results["plain_save"].append(
                _timed(lambda: BenchPlain.objects.bulk_create([BenchPlain(**r) for r in rows], batch_size=500))
            )

        def load_plain() -> None:
            for obj in BenchPlain.objects.all():
                for name in FIELDS:
                    getattr(obj, name)

        results["plain_load"].append(_timed(load_plain))

        keys: list[DataKey] = []

        def make_keys(keys: list[DataKey] = keys) -> None:
            with transaction.atomic():
                keys.extend(DataKey.create_many("bench", n))

        results["enc_keys"].append(_timed(make_keys))

        def save_encrypted(keys: list[DataKey] = keys) -> None:
            with transaction.atomic():
                BenchEncrypted.objects.bulk_create(
                    [BenchEncrypted(data_key=k, **r) for k, r in zip(keys, rows, strict=True)], batch_size=500
                )

        results["enc_save"].append(_timed(save_encrypted))

        def load_encrypted() -> None:
            objs = list(BenchEncrypted.objects.select_related("data_key"))
            preload_keys(objs)
            for obj in objs:
                for name in FIELDS:
                    getattr(obj, name)

        results["enc_load"].append(_timed(load_encrypted))

        with transaction.atomic():
            BenchEncrypted.objects.all().delete()
            BenchPlain.objects.all().delete()
            DataKey.objects.filter(purpose="bench").delete()

    # The web application's pattern: one save() per record, each in its own transaction.
    each = min(n, 1000)
    for _ in range(repeats):
        for label, model in (("plain_save_each", BenchPlain), ("enc_save_each", BenchEncrypted)):
            made = DataKey.create_many("bench", each)

            def save_each(model: Any = model, made: list[DataKey] = made) -> None:
                for k, r in zip(made, rows[:each], strict=True):
                    with transaction.atomic():
                        model(data_key=k, **r).save(force_insert=True)

            results.setdefault(label, []).append(_timed(save_each))
            with transaction.atomic():
                model.objects.all().delete()
                DataKey.objects.filter(purpose="bench").delete()

    med = {k: statistics.median(v) for k, v in results.items()}
    plain = med["plain_save"] + med["plain_load"]
    fields_only = med["enc_save"] + med["enc_load"]
    return {
        "rows": n,
        "encrypted_fields": len(FIELDS),
        "repeats": repeats,
        "median_seconds": {k: round(v, 4) for k, v in med.items()},
        # Same rows, same foreign key; the data keys are made outside the timer.
        "ratio_fields": round(fields_only / plain, 3),
        # Including one new data key per row (one keyring call per 2,000 keys).
        "ratio_with_key_creation": round((fields_only + med["enc_keys"]) / plain, 3),
        "save_each_rows": each,
        "ratio_save_each": round(med["enc_save_each"] / med["plain_save_each"], 3),
    }


def main(argv: list[str] | None = None) -> None:
    """Run under corridor.settings_test: a throw-away test database and keystore."""
    import os

    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 10_000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings_test")
    os.environ.setdefault("CORRIDOR_DATA_DIR", tempfile.mkdtemp(prefix="corridor-bench-"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from corridor.keys import service, vault

    shares = service.initialize(Path(settings.DATA_DIR), 5, 3)
    for share in shares[:3]:
        vault.keyring().submit_share(share)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(json.dumps(bench_fields(n), indent=2))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
