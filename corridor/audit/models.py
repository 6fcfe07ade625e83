"""Audit entries, signed checkpoints and the tree state that makes appending O(log n).

Clear columns hold only metadata: seq, time, the acting staff user's id, the action
slug and the object's type and id. Never put personal data in an action or id; the
details of an entry are encrypted, and only their salted commitment is in the clear.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One leaf of the Merkle tree. INSERT-only: database triggers refuse UPDATE and DELETE."""

    # The leaf index: gapless from 0, so the row order is the tree order.
    seq = models.BigIntegerField(primary_key=True)
    # UTC, truncated to the second: finer times would only help correlate entries.
    time = models.DateTimeField(_("time"))
    # A plain integer, not a foreign key: deleting a user must never touch the log.
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # SHA-256(salt || canonical JSON details), or empty when there are no details.
    commitment = models.BinaryField(max_length=32, blank=True, default=b"")
    # Encrypted salt and JSON (see corridor.audit.log), or empty when there are none.
    details = models.BinaryField(blank=True, default=b"")
    leaf_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_entry_object"),
            # The audit page filters by action and by who acted, newest first, 50 a page
            # (audit/views.filtered). With seq second, the database reads one action's or one
            # actor's entries in log order straight from the index and stops after a page,
            # and counts them from the index alone, instead of scanning the whole log.
            models.Index(fields=["action", "seq"], name="audit_entry_action"),
            models.Index(fields=["actor_id", "seq"], name="audit_entry_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class Checkpoint(models.Model):
    """A signed tree head: the root of the first `tree_size` entries. INSERT-only."""

    tree_size = models.BigIntegerField(_("tree size"), primary_key=True)
    root = models.BinaryField(max_length=32)
    time = models.DateTimeField(_("time"))
    # The checkpoint before this one, inside the signed message: a chain of checkpoints.
    previous_size = models.BigIntegerField()
    previous_root = models.BinaryField(max_length=32)
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64)
    signature = models.BinaryField(max_length=64)

    class Meta:
        ordering = ["tree_size"]
        verbose_name = _("checkpoint")

    def __str__(self) -> str:
        return f"checkpoint at size {self.tree_size}"


class TreeState(models.Model):
    """The one row holding the tree's size and frontier, locked by every append.

    `frontier` is the JSON list of base64 subtree roots of merkle.CompactTree.
    It is an optimisation, not a source of truth: verify recomputes it from the entries.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    size = models.BigIntegerField(default=0)
    frontier = models.TextField(default="[]")
    # Size of the newest checkpoint, so record() knows when the next one is due.
    checkpointed_size = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("tree state")


class ScheduledVerification(models.Model):
    """One day's run of the daily verification (corridor/audit/schedule.py) and what it found.

    `day` is unique so that the schedulers of several processes (serve on two hosts, a worker)
    verify once a day between them: the one whose row for the day is inserted runs it. Not part
    of the log (nothing signs it): the alert is what tells admins at once; this row is what
    `corridor doctor` and the audit page show afterwards. No personal data: counts, times and
    verify's first problem, which names entries by number only.
    """

    day = models.DateField(_("day"), unique=True)
    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    # None while it runs, and for good when the process ended before it finished.
    ok = models.BooleanField(_("passed"), null=True)
    entries = models.BigIntegerField(default=0)
    checkpoints = models.BigIntegerField(default=0)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("scheduled verification")

    def __str__(self) -> str:
        return f"verification of {self.day}"
