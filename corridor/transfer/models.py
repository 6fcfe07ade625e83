"""Records of moving data: partners and referral bundles (K), and the blocks of the other
parts of the transfer app (backups, spreadsheet imports, retention, erasure), each in its
own marked block below.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models import Case
from corridor.keys.fields import EncryptedBinaryField

# -- referrals (K) --


class Partner(models.Model):
    """A partner organisation: where referral bundles go, and whose bundles we accept.

    Its name is an organisation's, public knowledge, kept clear. The two public keys are
    what an admin checks out of band (by fingerprint) before anyone relies on them: the
    age recipient bundles are encrypted to, and the Ed25519 key its bundles are signed with.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=160, unique=True)
    age_recipient = models.CharField(_("age public key"), max_length=100)
    signing_key = models.CharField(_("Ed25519 signing public key"), max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # Set by a second admin after comparing the fingerprints with the partner by phone or in person.
    verified = models.DateTimeField(_("verified on"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    PREPARED = "prepared", _("waiting for approval")
    APPROVED = "approved", _("approved, ready to export")
    EXPORTED = "exported", _("exported")
    CANCELLED = "cancelled", _("cancelled")


class Referral(models.Model):
    """A case referred to a partner. Only the names of the chosen fields and the ids of the
    chosen documents are kept: the bundle itself is built when exported, streamed out and
    never stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="referrals")
    # The person whose data was chosen and approved: if the case's principal changes afterwards,
    # approval and export refuse rather than send someone else (review R2).
    person = models.ForeignKey("cases.Person", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    fields = models.JSONField(default=list)
    documents = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PREPARED)
    prepared = models.DateTimeField(default=timezone.now)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    approved = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    exported = models.DateTimeField(null=True, blank=True)
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # SHA-256 of the file handed out (ciphertext), so the partner can confirm what arrived.
    bundle_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-prepared"]


class ReferralImport(models.Model):
    """Provenance of a case created from a partner's bundle: who sent it, which of their
    referrals it was, when and by whom it was imported. A bundle is imported once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sender = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="imports")
    remote_id = models.UUIDField()
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, related_name="referral_imports")
    bundle_sha256 = models.CharField(max_length=64)
    created_at_sender = models.DateTimeField()
    imported = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-imported"]
        constraints = [models.UniqueConstraint(fields=["sender", "remote_id"], name="transfer_import_once")]


# -- end referrals (K) --


# -- retention and erasure (N) --


class RecordKind(models.TextChoices):
    """The kinds of record a retention policy can apply to (see transfer/retention.py)."""

    INTAKE_UNANSWERED = "intake_unanswered", _("unanswered requests for help")
    INTAKE_SPAM = "intake_spam", _("requests marked as spam")
    CLOSED_CASES = "closed_cases", _("closed cases")
    CLOSED_ALERTS = "closed_alerts", _("finished emergency alerts")
    READ_NOTIFICATIONS = "read_notifications", _("read notifications")


class RetentionPolicy(models.Model):
    """How long records of one kind are kept after they stop changing; enforced by `corridor purge`.

    `days` None (or `enabled` off) keeps them; the kinds and their defaults are in retention.py.
    """

    kind = models.CharField(_("records"), max_length=24, choices=RecordKind.choices, unique=True)
    days = models.PositiveIntegerField(_("kept for (days)"))
    enabled = models.BooleanField(_("enforced"), default=True)
    updated = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["kind"]
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return f"{self.kind}: {self.days} days"


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", _("waiting for a second person's approval")
    DONE = "done", _("erased")
    CANCELLED = "cancelled", _("cancelled")


class ErasureRequest(models.Model):
    """A request to erase a person, carried out only when a second person approves it.

    The person is named by id only (the tombstone Person row stays after erasure). `counts`
    is what the erasure removed, by kind: numbers, never content.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.REQUESTED)
    requested = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-requested"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="requested"), name="transfer_one_open_erasure_per_person"
            )
        ]


# -- end retention and erasure (N) --


# -- backups (L) --


class BackupRecipient(models.Model):
    """A trustee's age public key that every backup is encrypted to (`corridor backup keys add`).

    Only the public half is here; the identity that opens a backup stays with its trustee,
    off the server. The label says whose key it is (a role or a trustee's codename, not a name)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(max_length=80)
    recipient = models.CharField(max_length=100, unique=True)
    added = models.DateTimeField(default=timezone.now)
    removed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added"]


class Backup(models.Model):
    """One backup taken: when, to how many recipients, and (once written) the SHA-256 and size
    of the archive, so an operator can tell which file a restore came from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    started = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    size = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-started"]


# -- end backups (L) --

# -- legacy import (M) --


class ImportState(models.TextChoices):
    QUEUED = "queued", _("waiting to start")
    RUNNING = "running", _("importing")
    DONE = "done", _("done")
    FAILED = "failed", _("stopped")


class ImportJob(models.Model):
    """A checked spreadsheet waiting for, or being written by, the background import.

    The rows to write are kept only as ciphertext under the job's own data key, which is
    shredded as soon as the job ends (done or stopped): the file itself is never stored, and
    what was planned from it cannot be read back afterwards. Counts and times stay, for the
    progress page; `message` is the reason a job stopped, which names lines, never values.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey("keys.DataKey", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=ImportState.choices, default=ImportState.QUEUED)
    rows = EncryptedBinaryField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    heartbeat = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["state", "created"], name="transfer_importjob_state")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.state})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


# -- end legacy import (M) --

# -- staged referral bundles (between preview and import) --


class StagedBundle(models.Model):
    """A referral bundle between its preview and its import, so the confirming form carries
    only this id instead of megabytes of base64 (a form's body is capped at 2 MB).

    The bundle, already age-encrypted to this instance, is sealed again under the row's own
    data key; the key is shredded and the row deleted when the import is done, or after
    STAGED_HOURS when nobody confirms.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey("keys.DataKey", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    blob = EncryptedBinaryField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"staged bundle {self.pk}"


# -- end staged referral bundles --
