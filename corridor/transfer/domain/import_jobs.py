"""Background imports: a checked spreadsheet queued by the import page and written by a thread
of the web process (or, when that process ended first, by the scheduler's job), with its
progress in the database for a page that refreshes itself.

The job keeps the planned rows encrypted under its own data key and shreds that key when it
ends, done or stopped; the file is never stored. A job whose worker died is marked stopped
with the number of rows already imported (each chunk commits with its count), never resumed:
the user sees exactly which lines went in.
"""

from __future__ import annotations

import datetime
import logging
import threading
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act
from corridor.keys import api as keys
from corridor.keys.api import DataKey
from corridor.notifications import jobs
from corridor.transfer.audit_names import LegacyImportAudit
from corridor.transfer.domain.legacy import ImportRefused, import_rows
from corridor.transfer.legacy import Plan, rows_from_json, rows_to_json
from corridor.transfer.models import ImportJob, ImportState
from corridor.transfer.rules import IMPORT_SPREADSHEET

log = logging.getLogger(__name__)

# A running job whose heartbeat is older than this is taken for dead (each chunk of 500 rows
# beats; one takes a few seconds even on a busy machine).
STALE_AFTER = datetime.timedelta(minutes=10)
# How often the scheduler looks for queued and dead jobs (the page's own thread starts at once).
EVERY_SECONDS = 30


def queue_import(actor: User, plan: Plan, *, valid_only: bool = False) -> ImportJob:
    """Keep the plan's rows encrypted for the background import; refuses as import_rows does."""
    with act(actor, IMPORT_SPREADSHEET) as action:
        if plan.errors and not valid_only:
            raise ImportRefused(_("The file has rows with errors; nothing was imported."))
        if not plan.rows:
            raise ImportRefused(_("There is no valid row to import."))
        job = ImportJob(
            data_key=DataKey.create("import"),
            actor=actor,
            rows=rows_to_json(plan.rows),
            total=len(plan.rows),
            skipped=len(plan.bad_lines()),
        )
        job.save()
        action.record(LegacyImportAudit.QUEUE, details={"job": str(job.pk), "rows": job.total, "skipped_rows": job.skipped})
    if getattr(settings, "CORRIDOR_IMPORT_THREAD", True):
        transaction.on_commit(start_thread)
    return job


def start_thread() -> None:
    threading.Thread(target=_thread_main, name="corridor-import", daemon=True).start()


def _thread_main() -> None:
    try:
        run_queued()
    except Exception as error:  # noqa: BLE001 -- a thread's exception would only reach stderr; the job says it stopped
        log.error("background import failed: %s", type(error).__name__)
    finally:
        connections.close_all()  # this thread's own connections


def _claim() -> ImportJob | None:
    """The oldest queued job, now running, or None; two workers never claim the same one."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(skip_locked=True).filter(state=ImportState.QUEUED).order_by("created").first()
        if job is None:
            return None
        now = timezone.now()
        # The state in the WHERE clause claims it where SELECT ... FOR UPDATE does nothing (SQLite).
        if not ImportJob.objects.filter(pk=job.pk, state=ImportState.QUEUED).update(state=ImportState.RUNNING, heartbeat=now):
            return None
        job.state, job.heartbeat = ImportState.RUNNING, now
        return job


def _end(job: ImportJob, state: str, message: str = "") -> None:
    """Mark the job ended and crypto-shred what it kept of the file."""
    ImportJob.objects.filter(pk=job.pk).update(state=state, message=message[:500], rows=None, finished=timezone.now())
    DataKey.objects.get(pk=job.data_key_id).shred(actor=None)


def run_queued() -> int:
    """Import every queued job, oldest first; how many ran. Nothing while sealed."""
    ran = 0
    while not keys.is_sealed():
        job = _claim()
        if job is None:
            break
        _run(job)
        ran += 1
    return ran


def _run(job: ImportJob) -> None:
    def beat(done: int, _total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(done=done, heartbeat=timezone.now())

    try:
        rows = rows_from_json(bytes(ImportJob.objects.get(pk=job.pk).rows or b""))
        plan = Plan(rows=rows, total=job.total + job.skipped)
        cases = import_rows(job.actor, plan, progress=beat)
    except ValidationError as error:
        _end(job, ImportState.FAILED, "; ".join(error.messages))
        return
    except PermissionDenied:
        _end(job, ImportState.FAILED, _("The person who started this import may no longer import."))
        return
    except Exception:
        _end(job, ImportState.FAILED, _("The import stopped because of an error on the server."))
        raise
    ImportJob.objects.filter(pk=job.pk).update(done=len(cases))
    _end(job, ImportState.DONE)


def reap_stale(now: datetime.datetime | None = None) -> int:
    """Running jobs whose worker stopped beating: marked stopped with what went in; how many."""
    limit = (now or timezone.now()) - STALE_AFTER
    reaped = 0
    for job in ImportJob.objects.filter(state=ImportState.RUNNING, heartbeat__lt=limit):
        _end(
            job,
            ImportState.FAILED,
            _("The import was interrupted after %(done)d of %(total)d people; import the rest again.")
            % {"done": job.done, "total": job.total},
        )
        reaped += 1
    return reaped


def tick() -> None:
    """The scheduler's job: end the dead ones, then run what waits (a web process that queued
    a job may have ended before its thread started)."""
    reap_stale()
    run_queued()


def register() -> None:
    jobs.register("transfer.imports", EVERY_SECONDS, tick)


def job_for(user: User, pk: uuid.UUID) -> ImportJob:
    """The user's own job, or ImportJob.DoesNotExist for anyone else's (the view's 404)."""
    return ImportJob.objects.get(pk=pk, actor=user)
