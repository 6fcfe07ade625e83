"""`corridor audit verify` over 1,000,000 entries vs hashing the same bytes with hashlib (goal <= 2x).

The entries are bulk-inserted with correct leaf hashes and a signed checkpoint every 256
entries, as record() would leave them, but without calling record() a million times.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import timed

GOAL = 2.0
INSERT_BATCH = 20_000
ACTIONS = [
    ("read", "cases.person"),
    ("read", "cases.case"),
    ("person.create", "cases.person"),
    ("person.update", "cases.person"),
    ("case.open", "cases.case"),
    ("note.add", "cases.case"),
    ("task.add", "cases.case"),
    ("case.status.active", "cases.case"),
    ("access.allow", "cases.case"),
    ("person.search", ""),
]


def _insert(entries: int, seed: int) -> list[bytes]:
    """Append `entries` rows after whatever the log holds; returns their leaf bytes."""
    from django.conf import settings
    from django.db import connection, transaction

    from corridor.audit import encoding, log, merkle
    from corridor.audit.models import AuditEntry, Checkpoint, TreeState
    from corridor.keys import instance

    rng = random.Random(seed)
    ring = instance.keyring()
    every = int(getattr(settings, "AUDIT_CHECKPOINT_EVERY", log.DEFAULT_CHECKPOINT_EVERY))
    table = AuditEntry._meta.db_table
    columns = ["seq", "time", "actor_id", "action", "object_type", "object_id", "commitment", "details", "leaf_hash"]
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 -- fixed names
    objects = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(5_000)]
    leaves: list[bytes] = []
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        state, _created = TreeState.objects.select_for_update().get_or_create(pk=TreeState.SINGLETON)
        tree = merkle.CompactTree.from_state(state.size, [base64.b64decode(v) for v in json.loads(state.frontier)])
        # keyd signs only consistent extensions of the last head it signed: start from it.
        last = ring.tree_head()
        if last is not None:
            prev_size, prev_root, prev_frontier = last.size, last.root, list(last.frontier)
        else:
            previous = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", "root").first()
            prev_size, prev_root = (previous[0], bytes(previous[1])) if previous else (0, merkle.EMPTY_ROOT)
            prev_frontier = log._frontier_at(prev_size)
        since: list[bytes] = []
        first = tree.size
        with connection.cursor() as cursor:
            for start in range(first, first + entries, INSERT_BATCH):
                rows = []
                checkpoints = []
                for seq in range(start, min(start + INSERT_BATCH, first + entries)):
                    # About three entries a second, so neighbours often share a time, as in real use.
                    when = base + timedelta(seconds=seq // 3)
                    action, object_type = ACTIONS[rng.randrange(len(ACTIONS))]
                    object_id = objects[rng.randrange(len(objects))] if object_type else ""
                    with_details = rng.random() < 0.2
                    commitment = rng.randbytes(32) if with_details else b""
                    details = rng.randbytes(96) if with_details else b""
                    actor = rng.randrange(1, 40)
                    data = encoding.leaf_bytes(seq, encoding.iso_time(when), actor, action, object_type, object_id, commitment)
                    leaves.append(data)
                    leaf = merkle.leaf_hash(data)
                    tree.append(leaf)
                    rows.append(
                        (seq, connection.ops.adapt_datetimefield_value(when), actor, action, object_type, object_id, commitment, details, leaf)
                    )
                    since.append(leaf)
                    if tree.size % every == 0:
                        proof = merkle.consistency_proof_from_frontier(prev_size, prev_frontier, since) if prev_size else []
                        head = ring.sign_tree_head(prev_size, prev_root, tree.size, tree.root(), proof, tree.to_state())
                        checkpoints.append(log.checkpoint_of(head))
                        prev_size, prev_root, prev_frontier, since = tree.size, head.root, tree.to_state(), []
                cursor.executemany(sql, rows)
                Checkpoint.objects.bulk_create(checkpoints, batch_size=1_000)
        state.size = tree.size
        state.frontier = json.dumps([base64.b64encode(v).decode("ascii") for v in tree.to_state()])
        state.checkpointed_size = prev_size
        state.save(update_fields=["size", "frontier", "checkpointed_size"])
    log.checkpoint()  # the tail since the last checkpoint, the way an operator would ask for one
    return leaves


def run(entries: int = 1_000_000, repeats: int = 3, seed: int = 6962) -> dict[str, Any]:
    from django.db import connections

    from corridor.audit import encoding
    from corridor.audit import verify as audit_verify
    from corridor.audit.models import AuditEntry, Checkpoint

    started = time.perf_counter()
    leaves = _insert(entries, seed)
    insert_seconds = time.perf_counter() - started
    total = AuditEntry.objects.count()

    fields = ("seq", "time", "actor_id", "action", "object_type", "object_id", "commitment", "leaf_hash")
    query = AuditEntry.objects.order_by("seq").values_list(*fields)
    zone = connections[AuditEntry.objects.db].timezone or UTC

    def fetch_and_hash() -> None:
        # The baseline: read the same rows through the same server-side cursor as verify,
        # rebuild each leaf's bytes with the same encoding and SHA-256 them. No tree, no
        # comparison with the stored hash, no checkpoints.
        sha256 = hashlib.sha256
        leaf_bytes = encoding.leaf_bytes
        last_time = None
        last_iso = ""
        for seq, when, actor, action, object_type, object_id, commitment, _stored in audit_verify._stream(query, audit_verify.CHUNK_SIZE):
            if when != last_time:
                last_iso = audit_verify._time_text(when, zone)
                last_time = when
            sha256(b"\x00" + leaf_bytes(seq, last_iso, actor, action, object_type, object_id, bytes(commitment))).digest()

    def hash_only() -> None:
        sha256 = hashlib.sha256
        for data in leaves:
            sha256(b"\x00" + data).digest()

    reports = []

    def verify() -> None:
        reports.append(audit_verify.verify())

    samples: dict[str, list[float]] = {"verify": [], "fetch_and_hash": [], "hash_only": []}
    for _ in range(repeats):
        for label, fn in (("fetch_and_hash", fetch_and_hash), ("verify", verify), ("hash_only", hash_only)):
            gc.collect()
            samples[label].append(timed(fn))
    med = {label: statistics.median(values) for label, values in samples.items()}
    ratio = med["verify"] / med["fetch_and_hash"]
    report = reports[-1]
    return {
        "entries": total,
        "checkpoints": Checkpoint.objects.count(),
        "verify_ok": report.ok and report.entries == total,
        "repeats": repeats,
        "median_seconds": {label: round(value, 3) for label, value in med.items()},
        "verify_entries_per_second": round(total / med["verify"]),
        "ratio": round(ratio, 3),
        "goal": f"verify <= {GOAL}x hashing the same leaf bytes with hashlib",
        "goal_met": ratio <= GOAL,
        "ratio_to_hash_only": round(med["verify"] / (med["hash_only"] * total / len(leaves)), 3),
        "insert_seconds": round(insert_seconds, 1),
        "measures": (
            "verify = corridor.audit.verify.verify(): stream every entry, rebuild leaf bytes, SHA-256, compare "
            "with the stored hash, rebuild the Merkle tree, check every checkpoint (Ed25519, one per 256 entries) "
            "and the stored frontier. Baseline fetch_and_hash = the same rows through the same server-side cursor, "
            "the same leaf bytes, one SHA-256 each. hash_only = SHA-256 of the leaf bytes already in memory "
            "(no database), for reference"
        ),
    }
