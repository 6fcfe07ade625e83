"""Retention actions: an admin sets how long a kind of record is kept; the purge deletes
what is past it (the scheduler hourly, `corridor purge`, or a systemd timer).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import Action, act
from corridor.cases.models import Case, CaseMember, Person
from corridor.notifications import jobs
from corridor.transfer import retention
from corridor.transfer.domain.erasure import erase_now
from corridor.transfer.models import RecordKind, RetentionPolicy
from corridor.transfer.retention import MANAGE_RETENTION, MAX_DAYS, RetentionAudit


def set_policy(actor: User, kind: str, days: int | None) -> RetentionPolicy:
    """Keep records of `kind` for `days` (None: keep them, the policy off)."""
    if kind not in RecordKind.values:
        raise ValidationError({"kind": _("Unknown kind of record.")})
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": _("Choose between 1 and %(max)d days.") % {"max": MAX_DAYS}})
    with act(actor, MANAGE_RETENTION) as action:
        policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(
            kind=kind, defaults={"days": days or 0, "enabled": days is not None, "updated_by": actor}
        )
        policy.days = days if days is not None else policy.days
        policy.enabled = days is not None
        policy.updated = timezone.now()
        policy.updated_by = actor
        policy.save()
        action.record(RetentionAudit.POLICY_SET, policy)
    return policy


@dataclass
class Purged:
    """What a purge deleted (or, dry, would delete): ids by kind."""

    dry_run: bool
    ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(ids) for kind, ids in self.ids.items()}

    @property
    def total(self) -> int:
        return sum(len(ids) for ids in self.ids.values())


def purge(now: datetime.datetime | None = None, *, dry_run: bool = False) -> Purged:
    """Delete every record past its kind's policy, one durable action per kind.

    Each deleted record gets an audit entry naming it by id (no content, no details: it works
    sealed). A dry run lists the same ids and deletes nothing, and writes nothing either.
    """
    now = now or timezone.now()
    result = Purged(dry_run=dry_run)
    for policy in retention.policies():
        if policy.days is None:
            continue
        if dry_run:
            result.ids[policy.kind] = [
                str(pk) for pk in retention.expired(policy.kind, policy.days, now).values_list("pk", flat=True)
            ]
            continue
        result.ids[policy.kind] = _purge_kind(policy.kind, policy.days, now)
    return result


def _purge_kind(kind: str, days: int, now: datetime.datetime) -> list[str]:
    with act(None, None) as action:
        # Locked, so a reply or a reopening arriving meanwhile waits and is decided on after.
        rows = list(retention.expired(kind, days, now).select_for_update())
        if not rows:
            action.unchanged()
            return []
        if kind == RecordKind.CLOSED_CASES:
            _purge_cases(action, rows)
        else:
            for row in rows:
                action.record(RetentionAudit.PURGED, row)
            type(rows[0])._default_manager.filter(pk__in=[row.pk for row in rows]).delete()
    return [str(row.pk) for row in rows]


def _purge_cases(action: Action, cases: list[Model]) -> None:
    """Closed cases past their time: members in no other case are erased whole (their
    documents, acts, testimonies …: transfer/erasure.py), then each case's key is shredded
    and its rows deleted."""
    case_ids = [case.pk for case in cases if isinstance(case, Case)]
    member_ids = set(CaseMember.objects.filter(case_id__in=case_ids).values_list("person_id", flat=True))
    elsewhere = set(
        CaseMember.objects.filter(person_id__in=member_ids).exclude(case_id__in=case_ids).values_list("person_id", flat=True)
    )
    for person in Person.objects.select_for_update().filter(pk__in=member_ids - elsewhere).order_by("pk"):
        erase_now(action, None, person)
    # Cases left (shared with a member still in another case): shredded and deleted here.
    for case in Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk"):
        action.record(RetentionAudit.PURGED, case)
        case.data_key.shred(actor=None)
        Case.objects.filter(pk=case.pk).delete()


def scheduled_purge() -> object:
    """The scheduler's job (`corridor serve` and `corridor worker`): enforce every policy now."""
    return purge()


def register() -> None:
    jobs.register("transfer.retention_purge", retention.EVERY_SECONDS, scheduled_purge)


__all__ = ["Purged", "purge", "register", "scheduled_purge", "set_policy"]
