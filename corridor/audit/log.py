"""Writing the audit log: record entries, append them to the Merkle tree, sign checkpoints.

Each write locks the one TreeState row, so seq is gapless and the tree grows in O(log n).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from corridor.audit import encoding, merkle
from corridor.audit.models import AuditEntry, Checkpoint, TreeState
from corridor.audit.names import AuditAction, LogAudit, registered
from corridor.keys import api as keys
from corridor.keys.api import DataKey, DecryptionError, KeyringError, SignedTreeHead, TreeHeadRefused

__all__ = [
    "AuditError",
    "checkpoint",
    "entries_for",
    "open_details",
    "record",
    "record_decision",
    "reading_through_api",
    "record_read",
]

log = logging.getLogger(__name__)

DEFAULT_CHECKPOINT_EVERY = 256
# Dotted slugs such as "user.create" or "instance.lockdown.duress"; nothing free-form,
# because actions are stored in the clear.
_ACTION = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")

# First byte of the details column: the format. The key is named inside: the subject's own
# DataKey (so shredding the subject shreds these too) or, for entries with no such subject,
# the DataKey of the month's audit period. Both are DataKey rows, so key rotation re-wraps
# them although the entries themselves can never be rewritten.
_SUBJECT_KEY = b"\x02"


class AuditError(Exception):
    """The log cannot be written or read consistently; nothing was written."""


# -- writing ------------------------------------------------------------------------------


def record(*, actor: Any, action: AuditAction, obj: Any = None, details: Mapping[str, Any] | None = None) -> AuditEntry:
    """Append one entry: who (`actor.pk` or None for the system) did `action` to `obj`.

    Works while sealed when there are no details. With details, the key service must
    be unsealed (they are encrypted before anything is written); a failure raises and
    writes nothing, so a caller's transaction rolls back with it.
    """
    if not isinstance(action, AuditAction) or not _ACTION.fullmatch(action) or action not in registered():
        raise ValueError(f"audit action must be a registered name (corridor/audit/names.py), got {action!r}")
    actor_id = _actor_id(actor)
    object_type, object_id = _describe(obj)
    commitment, sealed = _seal_details(obj, details)

    with transaction.atomic():
        state, tree = _lock_state()
        seq = tree.size
        time = timezone.now().replace(microsecond=0)
        leaf = merkle.leaf_hash(
            encoding.leaf_bytes(seq, encoding.iso_time(time), actor_id, action, object_type, object_id, commitment)
        )
        entry = AuditEntry.objects.create(
            seq=seq,
            time=time,
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            commitment=commitment,
            details=sealed,
            leaf_hash=leaf,
        )
        tree.append(leaf)
        _store_tree(state, tree)
        state.save(update_fields=["size", "frontier"])
        if tree.size - state.checkpointed_size >= _checkpoint_every():
            # Signed only once these entries are committed: keyd remembers every head it
            # signs, so a head covering entries that a rollback then removed could never
            # be extended again.
            transaction.on_commit(_checkpoint_quietly, robust=True)
    return entry


# True while a request to the API is served (corridor.audit.middleware): the auditor is told
# whether a record was read on a page or fetched through the API, without every caller saying.
_through_api: ContextVar[bool] = ContextVar("audit_read_through_api", default=False)


@contextmanager
def reading_through_api() -> Iterator[None]:
    """Reads recorded inside are READ_API entries instead of READ."""
    token = _through_api.set(True)
    try:
        yield
    finally:
        _through_api.reset(token)


def record_read(actor: Any, obj: Any) -> AuditEntry:
    """Audit that `actor` read `obj` (Invariant 6: every read of sensitive data), on a page or through the API."""
    return record(actor=actor, action=LogAudit.READ_API if _through_api.get() else LogAudit.READ, obj=obj)


def record_decision(actor: Any, obj: Any, allowed: bool, reason: str) -> AuditEntry:
    """Audit an authorisation decision; the reason may be personal, so it goes in the details."""
    return record(
        actor=actor,
        action=LogAudit.ACCESS_ALLOW if allowed else LogAudit.ACCESS_DENY,
        obj=obj,
        details={"reason": reason} if reason else None,
    )


def checkpoint() -> Checkpoint:
    """Sign a checkpoint of the whole log now; raises corridor.keys.errors.Sealed when sealed.

    If the newest checkpoint already covers every entry, it is returned unchanged. Call it
    outside any transaction that wrote audit entries (record() defers to on_commit): keyd
    will only ever extend the heads it signed. Raises TreeHeadRefused when the log is not
    a consistent extension of the last head keyd signed, i.e. when it was rewritten.
    """
    with transaction.atomic():
        state, tree = _lock_state()
        existing = Checkpoint.objects.filter(tree_size=tree.size).first()
        if existing is not None:
            return existing
        signed = _sign_checkpoint(state, tree)
        state.save(update_fields=["checkpointed_size"])
        return signed


# -- reading ------------------------------------------------------------------------------


def entries_for(obj: Any) -> models.QuerySet[AuditEntry]:
    """Every entry about `obj`, oldest first (for timelines)."""
    object_type, object_id = _describe(obj)
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("seq")


def open_details(entry: AuditEntry) -> dict[str, Any] | None:
    """Decrypt an entry's details and check them against its commitment.

    Raises DecryptionError if they cannot be opened or do not match, and whatever the
    data key raises once the subject has been erased.
    """
    box = bytes(entry.details)
    commitment = bytes(entry.commitment)
    if not box:
        if commitment:
            raise DecryptionError("the entry has a commitment but no details")
        return None
    context = _details_context(commitment)
    kind, body = box[:1], box[1:]
    if kind == _SUBJECT_KEY:
        size = body[0] if body else 0
        key_pk, blob = body[1 : 1 + size].decode("ascii"), body[1 + size :]
        payload = DataKey.objects.get(pk=key_pk).open(blob, context.encode())
    else:
        raise DecryptionError("the details are of an unknown format")
    salt, details_json = payload[: encoding.SALT_BYTES], payload[encoding.SALT_BYTES :]
    if encoding.commit(salt, details_json) != commitment:
        raise DecryptionError("the details do not match the entry's commitment")
    value = json.loads(details_json)
    if not isinstance(value, dict):
        raise DecryptionError("the details are not a JSON object")
    return value


# -- internals ------------------------------------------------------------------------------


def _checkpoint_every() -> int:
    every = int(getattr(settings, "AUDIT_CHECKPOINT_EVERY", DEFAULT_CHECKPOINT_EVERY))
    return max(every, 1)


def _actor_id(actor: Any) -> int | None:
    if actor is None:
        return None
    pk = getattr(actor, "pk", None)
    if pk is None:
        raise ValueError("the audit actor must be a saved user, or None for the system")
    return int(pk)


def _describe(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    meta = getattr(obj, "_meta", None)
    if meta is None:
        raise TypeError(f"audit objects must be model instances, got {type(obj).__name__}")
    if obj.pk is None:
        raise ValueError("an object must be saved before it is audited")
    return str(meta.label_lower), str(obj.pk)


def _details_context(commitment: bytes) -> str:
    # Binding the ciphertext to its commitment, which the leaf binds to its place in
    # the tree, stops details being moved to another entry without `verify` noticing.
    return f"audit|details|{commitment.hex()}"


def _subject_data_key(obj: Any) -> DataKey | None:
    data_key = getattr(obj, "data_key", None)
    return data_key if isinstance(data_key, DataKey) else None


# The month's key id, per process: finding the key by its purpose reads every DataKey row
# (one per person, case, house... and no index on purpose), which made each entry without a
# subject (a list viewed, a search) cost more the more people an instance holds. Only the id is
# kept; the row is read again each time, so a shredded key, or one whose transaction rolled
# back, is looked up afresh.
_period_key_ids: dict[str, Any] = {}


def _period_data_key() -> DataKey:
    """The data key for details with no subject of their own: one per calendar month."""
    purpose = "audit-" + timezone.now().strftime("%Y-%m")
    known = _period_key_ids.get(purpose)
    found = DataKey.objects.filter(pk=known, shredded__isnull=True).first() if known is not None else None
    if found is None:
        found = DataKey.objects.filter(purpose=purpose, shredded__isnull=True).order_by("created").first()
    if found is None:
        found = DataKey.create(purpose)
    _period_key_ids[purpose] = found.pk
    return found


def _seal_details(obj: Any, details: Mapping[str, Any] | None) -> tuple[bytes, bytes]:
    """(commitment, encrypted salt+JSON), both empty without details."""
    if details is None or len(details) == 0:
        return b"", b""
    if not isinstance(details, Mapping):
        raise TypeError(f"audit details must be a dict, got {type(details).__name__}")
    details_json = encoding.canonical_details(dict(details))
    salt = encoding.new_salt()
    commitment = encoding.commit(salt, details_json)
    context = _details_context(commitment)
    data_key = _subject_data_key(obj) or _period_data_key()
    key_pk = str(data_key.pk).encode("ascii")
    blob = data_key.seal(salt + details_json, context.encode())
    return commitment, _SUBJECT_KEY + bytes([len(key_pk)]) + key_pk + blob


def _lock_state() -> tuple[TreeState, merkle.CompactTree]:
    """Lock the tree-state row (creating it for an empty log) and load the tree."""
    rows = TreeState.objects.select_for_update()
    state = rows.filter(pk=TreeState.SINGLETON).first()
    if state is None:
        if AuditEntry.objects.exists():
            raise AuditError("the audit tree state is missing but entries exist; run `corridor audit verify`")
        # ignore_conflicts: a concurrent first write may create the row first.
        TreeState.objects.bulk_create([TreeState(pk=TreeState.SINGLETON)], ignore_conflicts=True)
        state = rows.get(pk=TreeState.SINGLETON)
    try:
        hashes = [base64.b64decode(value, validate=True) for value in json.loads(state.frontier)]
        tree = merkle.CompactTree.from_state(state.size, hashes)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise AuditError(f"the audit tree state is corrupt ({exc}); run `corridor audit verify`") from None
    return state, tree


def _store_tree(state: TreeState, tree: merkle.CompactTree) -> None:
    state.size = tree.size
    state.frontier = json.dumps([base64.b64encode(value).decode("ascii") for value in tree.to_state()])


def _checkpoint_quietly() -> None:
    try:
        checkpoint()
    except (KeyringError, AuditError) as exc:
        # Sealed (or keyd down): skip; the next checkpoint covers these entries. A refusal
        # means the log was rewritten: the user's action stands, `audit verify` names it.
        level = logging.CRITICAL if isinstance(exc, TreeHeadRefused | AuditError) else logging.INFO
        log.log(level, "audit checkpoint skipped: %s", type(exc).__name__)


def _sign_checkpoint(state: TreeState, tree: merkle.CompactTree) -> Checkpoint:
    """Have keyd sign the current tree head; call with the tree state locked. Raises KeyringError.

    keyd signs only a consistent extension of the last head it signed, so this proves
    consistency from that head: its subtree roots (kept by keyd) and the entries since.
    """
    last = keys.tree_head()
    if last is None:
        # keyd never signed (a new instance, or one from before keyd kept heads): extend
        # the newest checkpoint in the database, so the signed chain stays unbroken.
        previous = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", "root").first()
        old_size, old_root = (previous[0], bytes(previous[1])) if previous else (0, merkle.EMPTY_ROOT)
        old_frontier = _frontier_at(old_size) if 0 < old_size <= tree.size else []
    else:
        if last.size > tree.size:
            raise AuditError(
                f"the key service signed a log of {last.size} entries but the log has {tree.size}: "
                "entries were removed; run `corridor audit verify`"
            )
        if last.size == tree.size and last.root != tree.root():
            raise AuditError(f"the log's first {tree.size} entries are not those the key service signed: it was rewritten")
        # A head keyd signed whose row did not reach the database (a crash in between).
        known = _store_signed(last)
        if last.size == tree.size:
            state.checkpointed_size = tree.size
            return known
        old_size, old_root, old_frontier = last.size, last.root, list(last.frontier)
    if old_size > tree.size:
        old_size, old_root, old_frontier = 0, merkle.EMPTY_ROOT, []  # keyd refuses this unless it never signed
    proof: list[bytes] = []
    if old_size:
        leaves = AuditEntry.objects.filter(seq__gte=old_size, seq__lt=tree.size).order_by("seq")
        new_leaves = [bytes(value) for value in leaves.values_list("leaf_hash", flat=True)]
        try:
            proof = merkle.consistency_proof_from_frontier(old_size, old_frontier, new_leaves)
        except ValueError as exc:
            raise AuditError(f"no consistency proof can be built ({exc}); run `corridor audit verify`") from None
    signed = keys.sign_tree_head(old_size, old_root, tree.size, tree.root(), proof, tree.to_state())
    state.checkpointed_size = tree.size
    return _store_signed(signed)


def _frontier_at(size: int) -> list[bytes]:
    """Subtree roots of the first `size` entries, from their stored leaf hashes (once per instance)."""
    tree = merkle.CompactTree()
    for value in AuditEntry.objects.filter(seq__lt=size).order_by("seq").values_list("leaf_hash", flat=True).iterator():
        tree.append(bytes(value))
    return tree.to_state()


def _store_signed(head: SignedTreeHead) -> Checkpoint:
    """The Checkpoint row for a head keyd signed, inserted unless it is already there."""
    existing = Checkpoint.objects.filter(tree_size=head.size).first()
    if existing is not None:
        if bytes(existing.root) != head.root:
            raise AuditError(f"the stored checkpoint at size {head.size} is not the one the key service signed")
        return existing
    checkpoint = checkpoint_of(head)
    checkpoint.save(force_insert=True)
    return checkpoint


def checkpoint_of(head: SignedTreeHead) -> Checkpoint:
    """The (unsaved) Checkpoint row that records a tree head keyd signed."""
    return Checkpoint(
        tree_size=head.size,
        root=head.root,
        time=datetime.fromisoformat(head.time),
        previous_size=head.previous_size,
        previous_root=head.previous_root,
        key_fingerprint=head.fingerprint,
        signature=head.signature,
    )
