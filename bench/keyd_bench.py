"""The real key service over its Unix socket: one unwrap, and a batch of 100, per round trip."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile


def run(samples: int = 3000) -> dict[str, Any]:
    from corridor.keys import service
    from corridor.keys.client import KeydClient

    data_dir = Path(tempfile.mkdtemp(prefix="corridor-bench-keyd-"))
    shares = service.initialize(data_dir, 3, 2)
    socket_path = data_dir / "run" / "keyd.sock"
    process = subprocess.Popen(  # noqa: S603 -- our own module
        [sys.executable, "-m", "corridor.keys.keyd", "--data-dir", str(data_dir), "--socket", str(socket_path)]
    )
    try:
        deadline = time.monotonic() + 15
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        client = KeydClient(socket_path)
        for share in shares[:2]:
            client.submit_share(share)
        pairs = client.generate_data_keys([f"bench|{i}" for i in range(100)])
        one = [(pairs[0][1], "bench|0")]
        batch = [(wrapped, f"bench|{i}") for i, (_plain, wrapped) in enumerate(pairs)]
        for _ in range(200):  # warm the connection and the interpreter
            client.unwrap(one)
        single: list[float] = []
        for _ in range(samples):
            started = time.perf_counter()
            client.unwrap(one)
            single.append(time.perf_counter() - started)
        batched: list[float] = []
        for _ in range(samples // 10):
            started = time.perf_counter()
            client.unwrap(batch)
            batched.append(time.perf_counter() - started)
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {
        "unwrap_single_median_us": round(statistics.median(single) * 1e6, 1),
        "unwrap_single_p95_us": round(percentile(single, 95) * 1e6, 1),
        "unwrap_batch100_median_ms": round(statistics.median(batched) * 1e3, 3),
        "unwrap_batch100_p95_ms": round(percentile(batched, 95) * 1e3, 3),
        "goal": "single <= 100 us median, batch of 100 <= 2 ms",
        "samples": samples,
    }
