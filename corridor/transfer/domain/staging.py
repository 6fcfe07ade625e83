"""Referral bundles between their preview and their import: kept here, sealed under their own
data key, so the confirming form carries an id instead of the bundle (a form's body is capped
at DATA_UPLOAD_MAX_MEMORY_SIZE, 2 MB; a bundle may weigh MAX_BUNDLE_BYTES, 10 MB).

A staged bundle is its stager's alone, lives STAGED_FOR at most, and is crypto-shredded
(key shredded, row deleted) once imported or expired.
"""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from corridor.accounts.models import User
from corridor.audit.actions import act
from corridor.keys.api import DataKey
from corridor.notifications import jobs
from corridor.transfer import rules
from corridor.transfer.audit_names import ReferralAudit
from corridor.transfer.models import StagedBundle

STAGED_FOR = datetime.timedelta(hours=1)


def _drop(staged: StagedBundle) -> None:
    DataKey.objects.get(pk=staged.data_key_id).shred(actor=None)
    StagedBundle.objects.filter(pk=staged.pk).delete()


def _drop_expired() -> None:
    for staged in StagedBundle.objects.filter(created__lt=timezone.now() - STAGED_FOR):
        _drop(staged)


# Without it a bundle previewed and never confirmed outlived its hour until someone else
# previewed one; the scheduler shreds it within this many seconds of its expiry.
EVERY_SECONDS = 600


def register() -> None:
    jobs.register("transfer.staged_bundles", EVERY_SECONDS, _drop_expired)


def stage_bundle(actor: User, blob: bytes) -> StagedBundle:
    """Keep `blob` for `actor`'s confirmation; the bundles nobody confirmed in time go first."""
    with act(actor, rules.IMPORT_REFERRAL) as action:
        _drop_expired()
        staged = StagedBundle(data_key=DataKey.create("staged-bundle"), actor=actor, blob=blob)
        staged.save()
        action.record(ReferralAudit.REFERRAL_STAGE, details={"staged": str(staged.pk), "bytes": len(blob)})
    return staged


def staged_bundle(actor: User, pk: uuid.UUID | str) -> bytes | None:
    """The bundle `actor` staged as `pk`, or None (someone else's, expired, imported, or no such id)."""
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        return None
    staged = StagedBundle.objects.filter(pk=key, actor=actor, created__gte=timezone.now() - STAGED_FOR).first()
    return None if staged is None else bytes(staged.blob)


def discard_staged(actor: User, pk: uuid.UUID | str) -> None:
    """Shred the bundle `actor` staged as `pk` (after its import); nothing when it is gone already."""
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        return
    with act(actor, rules.IMPORT_REFERRAL) as action:
        staged = StagedBundle.objects.filter(pk=key, actor=actor).first()
        if staged is None:
            action.unchanged()
            return
        _drop(staged)
        action.record(ReferralAudit.REFERRAL_UNSTAGE, details={"staged": str(key)})
