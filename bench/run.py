"""Run every benchmark on a fresh instance in a temporary directory; write bench/results.json.

Figures that depend on the machine are reported as ratios to a baseline measured in the
same process, with medians, so two runs on a noisy machine can be compared.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "results.json"


def _setup() -> list[str]:
    os.environ["CORRIDOR_DATA_DIR"] = tempfile.mkdtemp(prefix="corridor-bench-")
    os.environ.setdefault("CORRIDOR_INSECURE_HTTP", "1")
    os.environ["CORRIDOR_KEYRING"] = "inprocess"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from corridor.keys import service, vault

    call_command("migrate", verbosity=0)
    shares = service.initialize(Path(settings.DATA_DIR), 3, 2)
    for share in shares[:2]:
        vault.keyring().submit_share(share)
    return shares


def main(argv: list[str]) -> int:
    only = set(argv)
    _setup()
    from bench import audit_bench, blind_bench, fields_bench, keyd_bench

    suites = {
        "keyd_unwrap": keyd_bench.run,
        "encrypted_fields": fields_bench.run,
        "blind_index_lookup": blind_bench.run,
        "audit_verify": audit_bench.run,
    }
    results: dict[str, Any] = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for name, fn in suites.items():
        if only and name not in only:
            continue
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        results[name] = fn()
        results[name]["seconds"] = round(time.perf_counter() - started, 1)
        print(f"bench: {name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    OUT.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
