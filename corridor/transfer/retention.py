"""Retention policies: how long each kind of record is kept once it stops changing, which
records are past it, and the periodic job that enforces them (`corridor purge` does the same).

Admins set the days per kind on a page (domain/retention.py, audited); a kind with no row uses
the default below. Everything here works while the instance is sealed: deleting rows and
shredding keys needs no key, and the audit entries carry ids only (no details, which would
need the key service).

| kind | default | what is deleted |
| --- | --- | --- |
| unanswered requests for help | INTAKE_PURGE_UNANSWERED_DAYS (60) | open requests never answered, idle that long |
| spam | INTAKE_PURGE_SPAM_DAYS (7) | requests marked spam, idle that long |
| closed cases | kept (no default) | cases closed and unchanged that long: key shredded, rows deleted, members in no other case erased |
| finished alerts | 90 | emergency alerts acknowledged or fully escalated |
| read notifications | 90 | in-app notifications read that long ago |
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import rules
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from corridor.accounts.rules import is_admin
from corridor.audit.names import AuditAction, label_names
from corridor.cases.models import Case, Status
from corridor.intake import conf as intake_conf
from corridor.intake.models import IntakeRequest, RequestState
from corridor.notifications.models import Alert, Notification
from corridor.transfer.models import RecordKind, RetentionPolicy

MANAGE_RETENTION = "transfer.manage_retention"
rules.add_perm(MANAGE_RETENTION, is_admin)


class RetentionAudit(AuditAction):
    POLICY_SET = "retention.policy_set"
    PURGED = "retention.delete"


label_names(
    RetentionAudit,
    {
        RetentionAudit.POLICY_SET: _("Retention policy changed"),
        RetentionAudit.PURGED: _("Record deleted by a retention policy"),
    },
)

# The scheduler runs the purge hourly; each run deletes only what is past its time.
EVERY_SECONDS = 3600
# An upper bound an admin can set: about 100 years.
MAX_DAYS = 36500


def defaults() -> dict[str, int | None]:
    """The days each kind is kept when no admin has set a policy (None: kept)."""
    spam, unanswered = intake_conf.purge_days()
    return {
        RecordKind.INTAKE_UNANSWERED: unanswered,
        RecordKind.INTAKE_SPAM: spam,
        RecordKind.CLOSED_CASES: None,
        RecordKind.CLOSED_ALERTS: 90,
        RecordKind.READ_NOTIFICATIONS: 90,
    }


@dataclass(frozen=True)
class Policy:
    kind: str
    label: str
    days: int | None
    configured: bool


def policies() -> list[Policy]:
    """Every kind with the days it is kept for now (an admin's row, else the default)."""
    rows = {row.kind: row for row in RetentionPolicy.objects.all()}
    out: list[Policy] = []
    for kind, default in defaults().items():
        row = rows.get(kind)
        days = (row.days if row.enabled else None) if row is not None else default
        out.append(Policy(kind=kind, label=str(RecordKind(kind).label), days=days, configured=row is not None))
    return out


def expired(kind: str, days: int, now: datetime.datetime) -> QuerySet[Model]:
    """The records of `kind` past `days` at `now` (not yet locked)."""
    cutoff = now - datetime.timedelta(days=days)
    query: QuerySet[Model]
    if kind == RecordKind.INTAKE_UNANSWERED:
        query = IntakeRequest.objects.filter(state=RequestState.OPEN, answered=False, activity_hour__lt=cutoff)
    elif kind == RecordKind.INTAKE_SPAM:
        query = IntakeRequest.objects.filter(state=RequestState.SPAM, activity_hour__lt=cutoff)
    elif kind == RecordKind.CLOSED_CASES:
        query = Case.objects.filter(status=Status.CLOSED, updated__lt=cutoff)
    elif kind == RecordKind.CLOSED_ALERTS:
        query = Alert.objects.filter(due__isnull=True, created__lt=cutoff)
    elif kind == RecordKind.READ_NOTIFICATIONS:
        query = Notification.objects.filter(read__isnull=False, read__lt=cutoff)
    else:
        raise ValueError(f"unknown record kind {kind!r}")
    return query.order_by("pk")


__all__ = ["MANAGE_RETENTION", "MAX_DAYS", "Policy", "RetentionAudit", "defaults", "expired", "policies"]
