"""The outbox: notifications queued as Delivery rows by the recipient's preferences, the daily
summary, and the sending of due rows by e-mail — all without keys, so it works sealed.

What SMTP allows. A message handed to an SMTP server and a row marked sent cannot happen in one
transaction. Rows are claimed (state `sending`, a lease, a batch that is the message) and
committed before the conversation; marked sent after the server said 250. A worker killed
before the claim commits leaves the rows queued; killed after it, the rows wait until the lease
runs out and are sent again by any worker. So delivery is at least once, never lost: the only
duplicate possible is a message the server had accepted just before the crash, sent again with
the same Message-ID (mail.message_id), which mail programs use to show it once. At-most-once
would instead lose an emergency whenever the worker died mid-send; for alerts that is worse.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from corridor.keys.api import DecryptionError
from corridor.notifications import jobs, mail
from corridor.notifications.delivery_models import Channel, Delivery, DeliveryState, hour_now
from corridor.notifications.models import URGENT_KINDS, Batching, Notification, Preference

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
SEND_BATCH = 200  # rows claimed at once by one worker
# A row's exact times would date the event that made it (an emergency: when someone asked for
# help), so once finished it keeps only the hour, like the notifications; after a week it goes.
KEEP_FINISHED_DAYS = 7


# -- queueing -------------------------------------------------------------------------------------


def queue(notification: Notification, *, now: datetime.datetime | None = None) -> Delivery | None:
    """Queue the e-mail for a notification just made or raised (G's notify() calls this).

    Runs inside the notifying action's transaction, possibly sealed: it reads the preference
    row and writes a Delivery, and decrypts nothing. Emergencies go at once, whatever the
    preferences; others as the recipient chose (at once outside quiet hours, at the next hour,
    or only in the daily summary). A raised notification queues only its increase, merged into
    its row while that waits unclaimed.
    """
    preference = Preference.objects.filter(user_id=notification.user_id).first()
    if preference is None or preference.email_box is None or not preference.wants(notification.kind):
        return None
    now = now or timezone.now()
    due = due_time(preference, notification.kind, now)
    if due is None:
        return None
    covered = Delivery.objects.filter(notification=notification).aggregate(upto=Max("upto"))["upto"] or 0
    increase = notification.count - covered
    if increase <= 0:
        return None
    waiting = (
        Delivery.objects.select_for_update()
        .filter(notification=notification, state=DeliveryState.QUEUED, batch__isnull=True)
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        waiting.counts = {notification.kind: int(waiting.counts.get(notification.kind, 0)) + increase}
        waiting.upto = notification.count
        waiting.save(update_fields=["counts", "upto"])
        return waiting
    return Delivery.objects.create(
        key=f"n:{notification.pk}:{notification.count}",
        user_id=notification.user_id,
        channel=Channel.EMAIL,
        notification=notification,
        counts={notification.kind: increase},
        upto=notification.count,
        due=due,
    )


def due_time(preference: Preference, kind: str, now: datetime.datetime) -> datetime.datetime | None:
    """When a notification of `kind` is mailed to `preference`'s owner; None: only in the summary."""
    if kind in URGENT_KINDS:
        return now
    if preference.batching == Batching.DAILY:
        return None
    if preference.batching == Batching.HOURLY:
        now = now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    return after_quiet_hours(preference, now)


def after_quiet_hours(preference: Preference, at: datetime.datetime) -> datetime.datetime:
    """`at`, or the end of the quiet hours it falls in (wall-clock times in the instance's zone)."""
    start, end = preference.quiet_start, preference.quiet_end
    if start is None or end is None or start == end:
        return at
    local = timezone.localtime(at)
    clock = local.time()
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    if not quiet:
        return at
    day = local.date() if clock < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end))


# -- the daily summary ----------------------------------------------------------------------------


def queue_daily_summaries(now: datetime.datetime | None = None) -> int:
    """From the summary hour on, one summary a day to every active staff member with an address.

    Sent when there is nothing too ("0 new notifications"), so that a mailbox watched by
    someone else looks the same on a quiet day and on a busy one. Idempotent: the key holds the
    date, so running it every few minutes (and in several workers) queues one per person per day.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if settings.NOTIFY_SUMMARY_HOUR is None or local.hour < settings.NOTIFY_SUMMARY_HOUR:
        return 0  # turned off, or before the hour
    users = list(Preference.objects.filter(email_box__isnull=False, user__is_active=True).values_list("user_id", flat=True))
    if not users:
        return 0
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {mail.SUMMARY: 1})
    since = now - datetime.timedelta(hours=24)
    rows = (
        Notification.objects.filter(user_id__in=users, created__gte=since).values("user_id", "kind").annotate(total=Sum("count"))
    )
    for row in rows:
        counts[row["user_id"]][row["kind"]] = int(row["total"])
    keys = {user_id: f"summary:{user_id}:{local.date().isoformat()}" for user_id in users}
    queued = set(Delivery.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    missing = [user_id for user_id in users if keys[user_id] not in queued]
    # ignore_conflicts: another worker may queue the same summaries at the same moment.
    Delivery.objects.bulk_create(
        [
            Delivery(key=keys[user_id], user_id=user_id, channel=Channel.EMAIL, counts=counts[user_id], due=now)
            for user_id in missing
        ],
        ignore_conflicts=True,
    )
    return len(missing)


# -- sending --------------------------------------------------------------------------------------


def claim(now: datetime.datetime, *, lease_seconds: int, limit: int = SEND_BATCH) -> dict[uuid.UUID, list[Delivery]]:
    """Take due rows (and rows whose lease ran out) for this worker, grouped into messages.

    On PostgreSQL rows another worker holds are skipped (FOR UPDATE SKIP LOCKED); SQLite has one
    writer at a time (transaction_mode IMMEDIATE). A row keeps its batch once it has one, so a
    message sent again after a crash is the same message with the same Message-ID.
    """
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(Q(state=DeliveryState.QUEUED, due__lte=now) | Q(state=DeliveryState.SENDING, lease_until__lte=now))
            .order_by("due", "pk")[:limit]
        )
        fresh: dict[int, uuid.UUID] = {}
        batches: dict[uuid.UUID, list[Delivery]] = defaultdict(list)
        for row in rows:
            batch = row.batch or fresh.setdefault(row.user_id, uuid.uuid4())
            row.batch = batch
            row.state = DeliveryState.SENDING
            row.lease_until = now + datetime.timedelta(seconds=lease_seconds)
            row.attempts += 1
            batches[batch].append(row)
        Delivery.objects.bulk_update(rows, ["batch", "state", "lease_until", "attempts"])
    return dict(batches)


def send_due(*, now: datetime.datetime | None = None, lease_seconds: int | None = None) -> int:
    """Send every message that is due; the number sent. Nothing is claimed without a mail server."""
    if not settings.EMAIL_HOST:
        return 0
    lease = lease_seconds or settings.NOTIFY_LEASE_SECONDS
    sent = 0
    while True:
        batches = claim(now or timezone.now(), lease_seconds=lease)
        if not batches:
            return sent
        sent += _send(batches, lease)
        if sum(len(rows) for rows in batches.values()) < SEND_BATCH:
            return sent


def _send(batches: dict[uuid.UUID, list[Delivery]], lease_seconds: int) -> int:
    users = {rows[0].user_id for rows in batches.values()}
    # Someone deactivated since the alert was queued is not mailed ("no address" below).
    preferences = {p.user_id: p for p in Preference.objects.filter(user_id__in=users, user__is_active=True)}
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        for rows in batches.values():
            _retry(rows, _reason(exc))
        log.warning("mail server unreachable (%s); %d messages wait", _reason(exc), len(batches))
        return 0
    sent = 0
    try:
        for batch, rows in batches.items():
            if not _renew(batch, rows, lease_seconds):
                continue  # our lease ran out while earlier messages went, and another worker took it
            preference = preferences.get(rows[0].user_id)
            try:
                address = preference.email if preference is not None else ""
            except DecryptionError:
                address = ""
            if preference is None or not address:
                _give_up(rows, "no address")
                continue
            message = mail.build(
                _merged(rows),
                to=address,
                language=preference.language or settings.LANGUAGE_CODE,
                batch=str(batch),
                age_recipient=preference.public_key,
                connection=connection,
            )
            try:
                accepted = message.send()
            except smtplib.SMTPRecipientsRefused as exc:
                _give_up(rows, _reason(exc))
                continue
            except smtplib.SMTPResponseException as exc:
                (_give_up if 500 <= exc.smtp_code < 600 else _retry)(rows, _reason(exc))
                continue
            except (smtplib.SMTPException, OSError) as exc:
                _retry(rows, _reason(exc))
                continue
            if not accepted:
                _retry(rows, "not accepted")
                continue
            Delivery.objects.filter(batch=batch, state=DeliveryState.SENDING).update(
                state=DeliveryState.SENT, sent_at=hour_now(), due=hour_now(), lease_until=None, error=""
            )
            sent += 1
    finally:
        connection.close()
    return sent


def _renew(batch: uuid.UUID, rows: list[Delivery], lease_seconds: int) -> bool:
    """Hold the batch for another lease just before it is sent, if this worker still holds it.

    A claim takes many messages at once; without this, the last of them could wait past the
    lease while the first go out, and a second worker would send them too. The lease is kept
    far above the SMTP timeout (settings), so half a lease left is enough for one message.
    """
    held = rows[0].lease_until
    now = timezone.now()
    if held is not None and held - now > datetime.timedelta(seconds=lease_seconds / 2):
        return True  # more than half the lease left: held, and no write (a commit per message is costly)
    renewed = now + datetime.timedelta(seconds=lease_seconds)
    taken = Delivery.objects.filter(batch=batch, state=DeliveryState.SENDING, lease_until=held).update(lease_until=renewed)
    for row in rows:
        row.lease_until = renewed
    return taken > 0


def _merged(rows: Iterable[Delivery]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        for kind, count in row.counts.items():
            counts[kind] += int(count)
    return dict(counts)


def _reason(exc: Exception) -> str:
    """Why sending failed, without the server's text (it may echo an address)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"smtp {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused"
    return type(exc).__name__


def _retry(rows: list[Delivery], reason: str) -> None:
    """Back to the queue with exponential backoff, or failed after MAX_ATTEMPTS."""
    attempts = max(row.attempts for row in rows)
    if attempts >= MAX_ATTEMPTS:
        _give_up(rows, reason)
        return
    wait = min(BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS)
    Delivery.objects.filter(pk__in=[row.pk for row in rows], state=DeliveryState.SENDING).update(
        state=DeliveryState.QUEUED, due=timezone.now() + datetime.timedelta(seconds=wait), lease_until=None, error=reason
    )


def _give_up(rows: list[Delivery], reason: str) -> None:
    Delivery.objects.filter(pk__in=[row.pk for row in rows], state=DeliveryState.SENDING).update(
        state=DeliveryState.FAILED, due=hour_now(), lease_until=None, error=reason
    )
    log.warning("a message could not be delivered (%s)", reason)


def purge_finished(now: datetime.datetime | None = None) -> int:
    """Forget sent and failed rows after KEEP_FINISHED_DAYS; the number forgotten."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=KEEP_FINISHED_DAYS)
    deleted, _by_model = Delivery.objects.filter(
        state__in=[DeliveryState.SENT, DeliveryState.FAILED], created__lt=cutoff
    ).delete()
    return deleted


jobs.register("notifications.daily_summary", 300, queue_daily_summaries)
jobs.register("notifications.outbox_purge", 3600, purge_finished)
