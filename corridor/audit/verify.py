"""Checking the whole audit log: entries, leaf hashes, tree roots and checkpoint signatures.

Streams entries in seq order, so memory stays flat however long the log is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time as clock
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from corridor.audit import alarms, encoding, log, merkle
from corridor.audit.models import AuditEntry, Checkpoint, TreeState
from corridor.keys import api as keys
from corridor.keys.api import KeyringError, KeystoreTampered

__all__ = ["VerifyReport", "verify"]

Progress = Callable[[int, int], None]

CHUNK_SIZE = 5_000
_ENTRY_FIELDS = ("seq", "time", "actor_id", "action", "object_type", "object_id", "commitment", "leaf_hash")
_CHECKPOINT_FIELDS = ("tree_size", "root", "time", "previous_size", "previous_root", "key_fingerprint", "signature")
_CheckpointRow = tuple[int, bytes, datetime, int, bytes, str, bytes]


@dataclass
class VerifyReport:
    """What `verify` found. `problems` is in log order; the first is the one to act on."""

    entries: int = 0
    checkpoints: int = 0
    # Entries after the newest checkpoint: in the tree, but not yet under any signature.
    uncovered: int = 0
    problems: list[str] = field(default_factory=list)
    # The first entry found bad, when one entry can be named (a checkpoint mismatch
    # after a consistent rewrite can only name a range; see the problem text).
    first_bad_seq: int | None = None
    seconds: float = 0.0
    # The key the checkpoint signatures were checked with, and whether it is pinned.
    key_fingerprint: str | None = None
    key_pinned: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> str | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        if self.ok:
            return _("audit log OK: %(entries)d entries, %(checkpoints)d checkpoints") % {
                "entries": self.entries,
                "checkpoints": self.checkpoints,
            }
        return _("audit log FAILED: %(problem)s") % {"problem": self.first_problem}

    def coverage(self) -> str:
        return _("%(uncovered)d entries after the last checkpoint are not yet covered by a signature") % {
            "uncovered": self.uncovered
        }


class _Stop(Exception):
    """Raised inside the scan when later checks would only repeat the first problem."""


def verify(progress: Progress | None = None, *, chunk_size: int = CHUNK_SIZE) -> VerifyReport:
    """Check every entry and checkpoint; works while sealed (it needs only the public key).

    Reads checkpoints, then the tree state, then the entries below the state's size, so
    entries appended meanwhile by other processes never look like tampering.
    """
    started = clock.monotonic()
    report = VerifyReport()
    public_key, signed_head = _signing_key(report)
    checkpoints: list[_CheckpointRow] = [
        (size, bytes(root), when, prev_size, bytes(prev_root), fingerprint, bytes(signature))
        for size, root, when, prev_size, prev_root, fingerprint, signature in Checkpoint.objects.order_by(
            "tree_size"
        ).values_list(*_CHECKPOINT_FIELDS)
    ]
    report.checkpoints = len(checkpoints)
    state = TreeState.objects.filter(pk=TreeState.SINGLETON).values_list("size", "frontier").first()
    rows = AuditEntry.objects.order_by("seq")
    if state is not None:
        rows = rows.filter(seq__lt=state[0])
        total = state[0]
    else:
        total = AuditEntry.objects.count()
        if total:
            report.problems.append(_("the tree state is missing although the log has entries"))

    scan = _Scan(report, checkpoints, public_key)
    try:
        scan.run(_stream(rows.values_list(*_ENTRY_FIELDS), chunk_size), total, progress, chunk_size)
        scan.finish(state)
    except _Stop:
        pass
    report.entries = scan.tree.size
    report.uncovered = scan.tree.size - scan.covered
    # Without this, deleting the checkpoints first would let any rewrite pass: entries
    # are checkpointed every AUDIT_CHECKPOINT_EVERY and at every unseal, so a long
    # unsigned tail means checkpoints were removed (or the instance stayed sealed while
    # very many requests arrived — then sign one with `corridor audit checkpoint`).
    limit = int(getattr(settings, "AUDIT_MAX_UNCOVERED", 2 * log._checkpoint_every() + 64))
    if report.uncovered > limit:
        report.problems.append(
            _(
                "%(count)d entries are not covered by any signed checkpoint (at most %(limit)d expected): checkpoints were removed or never made"
            )
            % {"count": report.uncovered, "limit": limit}
        )
    pinned = getattr(settings, "AUDIT_KEY_FINGERPRINT", None)
    if pinned and scan.fingerprint is not None and scan.fingerprint != pinned:
        report.problems.append(_("the audit signing key on this server is not the pinned one (AUDIT_KEY_FINGERPRINT)"))
    report.key_fingerprint, report.key_pinned = scan.fingerprint, bool(pinned)
    if signed_head is not None and not report.problems and signed_head not in {(row[0], row[1]) for row in checkpoints}:
        # The key service's own record, which workers cannot write: deleting entries
        # together with every checkpoint that covered them does not get past it. When the
        # head is one of the checkpoints, the scan has already matched its root.
        probe = VerifyReport(entries=report.entries)
        check_tree_heads(probe, [signed_head], chunk_size=chunk_size)
        if probe.problems:
            report.problems.append(
                _(
                    "the log does not contain the last tree head the key service signed (size %(size)d): entries were removed or rewritten"
                )
                % {"size": signed_head[0]}
            )
    report.seconds = clock.monotonic() - started
    if report.problems:
        alarms.sound(alarms.Alarm.VERIFY_FAILED)
    return report


def _stream(rows: QuerySet[AuditEntry, Any], chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """The rows of `rows`, fetched `chunk_size` at a time through a server-side cursor.

    This is what QuerySet.iterator(chunk_size=...) does, minus Django's per-row value
    converters, which took half of verify's time; the one column that needs converting,
    the time, goes through _time_text, which caches by raw value.
    """
    connection = connections[rows.db]
    sql, params = rows.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(chunk_size):
            yield from chunk


def _time_text(raw: object, default_zone: tzinfo) -> str:
    """encoding.iso_time of a time as the driver returns it: SQLite gives Django's text
    form in the connection's time zone, PostgreSQL an aware datetime."""
    value = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    if not isinstance(value, datetime):
        raise TypeError(f"unexpected time value {raw!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_zone)
    return encoding.iso_time(value)


def _signing_key(report: VerifyReport) -> tuple[bytes | None, tuple[int, bytes] | None]:
    """The checkpoint signing public key and the last tree head the key service signed.

    Both come from the keys folder of the data directory when it can be read, so that
    verify needs no key service: an auditor verifies a copy on their own machine. The key
    is then checked against AUDIT_KEY_FINGERPRINT like any other. When the folder belongs
    to keyd's own user, the running key service is asked instead.
    """
    data_dir = Path(settings.DATA_DIR)
    try:
        public_key = keys.signing_public_key(data_dir)
    except KeyringError as exc:
        report.problems.append(
            _("cannot read the signing public key (%(error)s): checkpoint signatures were not checked")
            % {"error": type(exc).__name__}
        )
        return None, None
    try:
        head = keys.last_signed_head(data_dir, public_key)
    except KeystoreTampered:
        report.problems.append(_("the last tree head the key service signed is damaged or not signed by this key"))
        return public_key, None
    except (OSError, KeyringError):
        return public_key, None  # no key service running and no readable file: nothing to add
    return public_key, None if head is None else (head.size, head.root)


class _Scan:
    """The state of one pass over the log."""

    def __init__(self, report: VerifyReport, checkpoints: list[_CheckpointRow], public_key: bytes | None) -> None:
        self.report = report
        self.checkpoints = checkpoints
        self.public_key = public_key
        self.fingerprint = encoding.key_fingerprint(public_key) if public_key is not None else None
        self.tree = merkle.CompactTree()
        self.next_checkpoint = 0  # index into checkpoints
        self.covered = 0  # size of the newest checkpoint whose root matched
        self.previous: tuple[int, bytes] = (0, merkle.EMPTY_ROOT)
        self.zone: tzinfo = connections[AuditEntry.objects.db].timezone or UTC

    def problem(self, message: str, *, seq: int | None = None, stop: bool = False) -> None:
        self.report.problems.append(message)
        if seq is not None and self.report.first_bad_seq is None:
            self.report.first_bad_seq = seq
        if stop:
            raise _Stop

    def run(self, rows: Iterator[tuple[Any, ...]], total: int, progress: Progress | None, every: int) -> None:
        self._checkpoints_at(0)
        tree = self.tree
        append = tree.append
        sha256 = hashlib.sha256
        leaf_bytes = encoding.leaf_bytes
        time_text = _time_text
        zone = self.zone
        checkpoints = self.checkpoints
        next_size = checkpoints[0][0] if checkpoints else -1
        expected = 0
        last_time = None
        last_iso = ""
        if progress is not None:
            progress(0, total)
        # The hot loop: one tuple unpack, one f-string, one SHA-256 and one tree append
        # per entry. The ISO time is cached because neighbouring entries share a second.
        for seq, time, actor_id, action, object_type, object_id, commitment, stored in rows:
            if seq != expected:
                if expected == 0:
                    message = _("entry 0 is missing (the log starts at seq %(seq)d)") % {"seq": seq}
                else:
                    message = _("entry %(expected)d is missing (seq jumps from %(before)d to %(after)d)") % {
                        "expected": expected,
                        "before": expected - 1,
                        "after": seq,
                    }
                self.problem(message, seq=expected, stop=True)
            try:
                if time != last_time:
                    last_iso = time_text(time, zone)
                    last_time = time
                leaf = sha256(
                    b"\x00" + leaf_bytes(seq, last_iso, actor_id, action, object_type, object_id, bytes(commitment))
                ).digest()
            except (TypeError, ValueError):
                # SQLite keeps whatever type is written: a forged row may hold text where
                # bytes or a time belong. Report it like any other altered entry.
                self.problem(_("entry %(seq)d: a field has a value of the wrong type") % {"seq": seq}, seq=seq, stop=True)
            if leaf != stored:
                self.problem(_("entry %(seq)d: stored leaf hash does not match its contents") % {"seq": seq}, seq=seq, stop=True)
            append(leaf)
            expected += 1
            if expected == next_size:
                self._checkpoints_at(expected)
                index = self.next_checkpoint
                next_size = checkpoints[index][0] if index < len(checkpoints) else -1
            if progress is not None and expected % every == 0:
                progress(expected, total)
        if progress is not None:
            progress(expected, total)

    def _checkpoints_at(self, size: int) -> None:
        """Check the checkpoint at `size`, now that the tree has exactly `size` leaves."""
        checkpoints = self.checkpoints
        while self.next_checkpoint < len(checkpoints) and checkpoints[self.next_checkpoint][0] == size:
            self._check_checkpoint(checkpoints[self.next_checkpoint])
            self.next_checkpoint += 1

    def _check_checkpoint(self, row: _CheckpointRow) -> None:
        size, root, when, previous_size, previous_root, fingerprint, signature = row
        problems_before = len(self.report.problems)
        if self.public_key is not None:
            if fingerprint != self.fingerprint:
                self.problem(
                    _("checkpoint at size %(size)d was signed by another key (%(fingerprint)s)")
                    % {"size": size, "fingerprint": fingerprint[:16]}
                )
            else:
                message = encoding.checkpoint_message(
                    size,
                    root,
                    encoding.iso_time(when),
                    previous_size,
                    previous_root,
                    fingerprint,
                )
                if not keys.signature_valid(self.public_key, signature, message):
                    self.problem(_("checkpoint at size %(size)d: signature does not verify") % {"size": size})
        if (previous_size, previous_root) != self.previous:
            self.problem(
                _(
                    "checkpoint at size %(size)d: it was signed after a checkpoint at size %(previous)d, "
                    "which is missing or differs"
                )
                % {"size": size, "previous": previous_size}
            )
        if root != self.tree.root():
            if size == 0:
                self.problem(_("checkpoint at size 0: root is not the empty tree's root"), stop=True)
            if self.covered:
                where = _(
                    "entries 0..%(good)d match the checkpoint at size %(covered)d, "
                    "so the change is among entries %(first)d..%(last)d"
                ) % {"good": self.covered - 1, "covered": self.covered, "first": self.covered, "last": size - 1}
            else:
                where = _("no earlier checkpoint narrows it down")
            self.problem(
                _("checkpoint at size %(size)d: root does not match entries 0..%(last)d (%(where)s)")
                % {"size": size, "last": size - 1, "where": where},
                stop=True,
            )
        if len(self.report.problems) == problems_before:
            self.covered = size
        self.previous = (size, root)

    def finish(self, state: tuple[int, str] | None) -> None:
        size = self.tree.size
        for row in self.checkpoints[self.next_checkpoint :]:
            self.problem(
                _("checkpoint at size %(size)d: the log has only %(count)d entries, so entries %(count)d..%(last)d were removed")
                % {"size": row[0], "count": size, "last": row[0] - 1},
                seq=size,
                stop=True,
            )
        if state is None:
            return
        state_size, frontier = state
        if size < state_size:
            self.problem(
                _("entries %(first)d..%(last)d are missing (the tree state records %(count)d entries)")
                % {"first": size, "last": state_size - 1, "count": state_size},
                seq=size,
                stop=True,
            )
        try:
            stored = [base64.b64decode(value, validate=True) for value in json.loads(frontier)]
        except (ValueError, TypeError, binascii.Error):
            self.problem(_("the tree state is corrupt"), stop=True)
        self._compare_frontier(stored)
        beyond = AuditEntry.objects.filter(seq__gte=state_size).count()
        if beyond and TreeState.objects.filter(pk=TreeState.SINGLETON, size=state_size).exists():
            # Entries beyond a tree state that has not moved were not written by record().
            self.problem(
                _("%(count)d entries lie beyond the tree state's size %(size)d") % {"count": beyond, "size": state_size},
                seq=state_size,
            )

    def _compare_frontier(self, stored: list[bytes]) -> None:
        """Compare subtree roots with the stored frontier, naming the first range that differs."""
        computed = self.tree.to_state()
        if stored == computed:
            return
        size = self.tree.size
        start = 0
        for bit in range(size.bit_length() - 1, -1, -1):
            if not size >> bit & 1:
                continue
            index = bin(size >> bit).count("1") - 1
            width = 1 << bit
            if index >= len(stored) or stored[index] != computed[index]:
                self.problem(
                    _("the stored tree state does not match entries %(first)d..%(last)d")
                    % {"first": start, "last": start + width - 1},
                    stop=True,
                )
            start += width
        self.problem(_("the stored tree state does not match the entries"), stop=True)


def check_tree_heads(report: VerifyReport, heads: Sequence[tuple[int, bytes]], *, chunk_size: int = CHUNK_SIZE) -> None:
    """Compare the log with tree heads saved off this server (`corridor audit head`).

    Signed checkpoints live in the same database as the entries, so someone who can
    rewrite the database can also drop recent checkpoints together with the entries they
    cover. A tree head copied elsewhere cannot be taken back: the log must still contain
    exactly that prefix. Run after verify(): it trusts the stored leaf hashes only because
    verify() has just recomputed every one of them.
    """
    wanted = sorted(heads)
    if not wanted:
        return
    largest = wanted[-1][0]
    if largest > report.entries:
        report.problems.append(
            _("the log has %(entries)d entries, but a tree head saved off this server has size %(size)d: entries were removed")
            % {"entries": report.entries, "size": largest}
        )
    tree = merkle.CompactTree()
    index = 0
    while index < len(wanted) and wanted[index][0] == 0:
        if wanted[index][1] != merkle.EMPTY_ROOT:
            report.problems.append(_("a saved tree head of size 0 has a wrong root"))
        index += 1
    leaves = AuditEntry.objects.filter(seq__lt=largest).order_by("seq").values_list("leaf_hash", flat=True)
    for leaf in leaves.iterator(chunk_size=chunk_size):
        tree.append(bytes(leaf))
        while index < len(wanted) and wanted[index][0] == tree.size:
            if tree.root() != wanted[index][1]:
                report.problems.append(
                    _("entries 0..%(last)d do not match the tree head saved off this server at size %(size)d")
                    % {"last": tree.size - 1, "size": tree.size}
                )
            index += 1


def parse_tree_head(text: str) -> tuple[int, bytes]:
    """`SIZE:ROOTHEX`, as `corridor audit head` prints it."""
    size_text, _sep, root_text = text.strip().partition(":")
    try:
        size = int(size_text)
        root = bytes.fromhex(root_text)
    except ValueError:
        raise ValueError(f"a tree head looks like SIZE:ROOTHEX, not {text!r}") from None
    if size < 0 or len(root) != merkle.HASH_SIZE:
        raise ValueError(f"a tree head looks like SIZE:ROOTHEX with a 64-digit root, not {text!r}")
    return size, root
