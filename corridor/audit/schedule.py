"""The daily verification of the whole audit log, run by the scheduler of `corridor serve` and
`corridor worker` (corridor/notifications registers it), and the record of each day's run.

A failing run alerts through the same path as every failed verification: verify() sounds
Alarm.VERIFY_FAILED, and notifications tells every administrator and trustee.
"""

from __future__ import annotations

import datetime
import logging
import sys
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.audit import alarms
from corridor.audit.models import AuditEntry, ScheduledVerification
from corridor.audit.verify import verify
from corridor.keys import api as keys

log = logging.getLogger(__name__)

# The job is looked at this often; it verifies only when today's run has not been claimed, so
# a new day's run starts within a quarter of an hour of midnight (UTC), or of a start.
CHECK_EVERY_SECONDS = 15 * 60
JOB_NAME = "audit.verify_daily"


def verify_if_due(now: datetime.datetime | None = None) -> ScheduledVerification | None:
    """Verify the log unless today's run was claimed already (here or by another scheduler).

    Returns the finished run, or None when there was nothing to do. A tampered log is found by
    verify(), which raises the alarm itself; the run records what it found for the status.
    """
    now = now or timezone.now()
    if _not_now():
        return None
    today = now.astimezone(datetime.UTC).date()
    _refuse_claims_ahead(today)
    try:
        # Claimed by inserting the day's row: the unique day makes two schedulers at once
        # verify once, and a restart during the day does not verify again.
        with transaction.atomic():
            run = ScheduledVerification.objects.create(day=today, started=now)
    except IntegrityError:
        return None
    try:
        report = verify()
    except Exception:
        # A row of the log's tables holding a value of the wrong type (SQLite keeps whatever a
        # database writer puts there: text in a checkpoint's size or root) makes verify() raise
        # instead of report. Unattended, that must not pass for "did not finish": it fails
        # closed, alerts like any failed verification, and records only the error's type (its
        # message may quote the forged value). A database gone mid-scan alerts too; the
        # scheduler still logs the error.
        alarms.sound(alarms.Alarm.VERIFY_FAILED)
        _record_error(run)
        raise
    run.finished = timezone.now()
    run.ok = report.ok
    run.entries = report.entries
    run.checkpoints = report.checkpoints
    run.problem = report.first_problem or ""
    run.save(update_fields=["finished", "ok", "entries", "checkpoints", "problem"])
    return run


# A scheduler whose clock runs ahead may claim tomorrow a little early; no scheduler claims later.
CLAIM_AHEAD_DAYS = 1


def _refuse_claims_ahead(today: datetime.date) -> None:
    """Delete rows claiming days that have not come yet, and alert: only a hand can write them.

    Nothing signs these rows. Someone who can rewrite the log can write a "passed" row for
    each coming day too; each would then be taken as that day's claim and the job would never
    verify again, while `corridor doctor` showed the newest as passed. Deleted here, they block
    no day's run; the alarm (once, as they are gone after) says the table was written by hand.
    """
    ahead = ScheduledVerification.objects.filter(day__gt=today + datetime.timedelta(days=CLAIM_AHEAD_DAYS))
    removed, _by_model = ahead.delete()
    if removed:
        log.warning("daily audit verification: %d runs dated ahead of today were removed", removed)
        alarms.sound(alarms.Alarm.VERIFY_FAILED)


def _record_error(run: ScheduledVerification) -> None:
    """Mark `run` failed after verify() raised; a database that cannot take it leaves it unfinished."""
    error = sys.exc_info()[0]
    run.finished = timezone.now()
    run.ok = False
    run.problem = _("the verification stopped with an error (%(error)s); run `corridor audit verify`") % {
        "error": error.__name__ if error else "unknown"
    }
    try:
        with transaction.atomic():
            run.save(update_fields=["finished", "ok", "problem"])
    except Exception:  # the error being handled is the one to raise
        log.warning("daily audit verification: its failure could not be recorded")


def _not_now() -> bool:
    """True when today's run should wait: before `corridor init`, or while the key is unreadable.

    The signing public key is read from the keystore file, else asked of keyd. With no keystore
    and no entry the instance was never initialised: nothing to verify. With keyd not
    answering (restarting, or the keys folder is keyd's own), the run waits for the next look
    instead of reporting a failure that is no tampering; a day without a run shows in
    `corridor doctor`. Any other reason verify itself reports, and alerts on: entries without
    the key that signed them are what it must catch.
    """
    try:
        keys.signing_public_key(Path(settings.DATA_DIR))
    except keys.NotInitialized:
        return not AuditEntry.objects.exists()
    except keys.KeyServiceUnavailable:
        log.warning("daily audit verification postponed: the key service does not answer")
        return True
    except (OSError, keys.KeyringError):
        return False
    return False


def latest() -> ScheduledVerification | None:
    """The newest day's run, finished or not."""
    return ScheduledVerification.objects.order_by("-day").first()
