"""Run the benchmarks on a fresh instance in a temporary directory; write bench/results.json.

`python -m bench.run` runs every suite; `python -m bench.run NAME...` runs those only and
merges their figures into the existing results.json. Figures that depend on the machine
are reported as ratios to a baseline measured in the same process, with medians, so two
runs on a noisy machine can be compared.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "results.json"

# Suite name -> module with `run() -> dict`. Add a suite with one line here; order is run order.
SUITES: dict[str, str] = {
    "keyd_unwrap": "bench.keyd_bench",
    "encrypted_fields": "bench.fields_bench",
    "blind_index_lookup": "bench.blind_bench",
    "audit_verify": "bench.audit_bench",
    "cases": "bench.cases_bench",
    "intake_submissions": "bench.intake_bench",
    "intake_questionnaire": "bench.intake_questionnaire_bench",
    "relocation_figures": "bench.relocation_bench",
    "documentation": "bench.documentation_bench",
    "notifications_delivery": "bench.notifications_bench",
    "legacy_import": "bench.import_bench",
    "backup_restore": "bench.backup_bench",
    "statistics_reports": "bench.statistics_bench",
}

# The benchmark-only models (bench/benchapp); installed here, never in corridor.settings.
BENCH_APP = "bench.benchapp"


def _setup() -> list[str]:
    """A fresh instance in a temporary directory, unsealed in process; removed by main() at the end."""
    os.environ["CORRIDOR_DATA_DIR"] = tempfile.mkdtemp(prefix="corridor-bench-")
    os.environ.setdefault("CORRIDOR_INSECURE_HTTP", "1")
    os.environ["CORRIDOR_KEYRING"] = "inprocess"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    import django
    from django.conf import settings

    # Production settings plus the bench app, for this process only.
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, BENCH_APP]
    django.setup()
    from django.core.management import call_command

    from bench.benchapp.models import create_tables
    from corridor.keys import instance, service

    call_command("migrate", verbosity=0)
    create_tables()
    shares = service.initialize(Path(settings.DATA_DIR), 3, 2)
    for share in shares[:2]:
        instance.keyring().submit_share(share)
    return shares


def main(argv: list[str]) -> int:
    unknown = [name for name in argv if name not in SUITES]
    if unknown:
        print(f"unknown suite(s): {', '.join(unknown)}; known: {', '.join(SUITES)}", file=sys.stderr)
        return 2
    chosen = [name for name in SUITES if not argv or name in argv]
    _setup()
    results: dict[str, Any] = {}
    if argv and OUT.exists():
        results = json.loads(OUT.read_text())  # a subset updates its own figures only
    results["machine"] = {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()}
    results["started"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for name in chosen:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        figures: dict[str, Any] = importlib.import_module(SUITES[name]).run()
        figures["seconds"] = round(time.perf_counter() - started, 1)
        results[name] = figures
        print(f"bench: {name}: {json.dumps(figures, ensure_ascii=False)}", file=sys.stderr, flush=True)
        # Written after every suite, so a long run that fails late keeps what it measured; a
        # subset re-reads the file first, so figures another run wrote meanwhile are kept.
        if argv and OUT.exists():
            results = json.loads(OUT.read_text()) | {key: results[key] for key in ("machine", "started", *chosen) if key in results}
        OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")
    from bench import report

    report.write()  # docs/performance.md follows the figures
    from django.db import connections

    connections.close_all()
    shutil.rmtree(os.environ["CORRIDOR_DATA_DIR"], ignore_errors=True)  # a million audit rows and more
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
