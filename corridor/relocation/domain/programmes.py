"""Programmes: adding one and keeping it up to date (the relocation coordinators' work)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.relocation import tally
from corridor.relocation.audit_names import RelocationAudit
from corridor.relocation.domain.checks import check_not_future
from corridor.relocation.models import Programme, ProgrammeKind, Referral
from corridor.relocation.rules import MANAGE_PROGRAMMES

PROGRAMME_FIELDS = (
    "country",
    "name",
    "kind",
    "needs_international_passport",
    "referral",
    "needs_family_ties",
    "language",
    "is_open",
    "notes",
    "source_url",
    "checked",
    "published_days",
)


def _known_fields(values: dict[str, Any]) -> None:
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")


def _validate(values: dict[str, Any]) -> None:
    if values.get("kind") not in ProgrammeKind.values:
        raise ValidationError({"kind": _("Unknown kind of programme.")})
    if values.get("referral") not in Referral.values:
        raise ValidationError({"referral": _("Unknown referral requirement.")})
    url = str(values.get("source_url") or "").strip()
    if not url.startswith(("https://", "http://")):
        raise ValidationError({"source_url": _("Give the address of the public page, starting with https://.")})
    if not str(values.get("name") or "").strip():
        raise ValidationError({"name": _("Give the programme a name.")})
    checked = values.get("checked")
    # Empty means "not checked yet" (the starter programmes ship so); a date must be a real one.
    if checked is not None:
        if not isinstance(checked, datetime.date):
            raise ValidationError({"checked": _("Say when the source was checked.")})
        check_not_future(checked, "checked")


def create_programme(actor: User, **values: Any) -> Programme:
    with act(actor, MANAGE_PROGRAMMES) as action:
        _known_fields(values)
        values.setdefault("referral", Referral.NONE)
        _validate(values)
        programme = Programme.objects.create(**values)
        action.record(RelocationAudit.PROGRAMME_CREATE, programme)
    return programme


def update_programme(actor: User, programme: Programme, **values: Any) -> Programme:
    """The programme as changed; `values` are checked together with what it holds now (under the
    lock, not in the caller's copy), and the caller's copy is brought up to date."""
    with act(actor, MANAGE_PROGRAMMES, programme) as action:
        _known_fields(values)
        current = lock(programme)
        _validate({name: getattr(current, name) for name in PROGRAMME_FIELDS} | values)
        moved_from = current.country_id
        for name, value in values.items():
            setattr(current, name, value)
        current.save(update_fields=[*values, "updated"])
        # The figures' summary counts the programme in its country's totals: they move with it.
        tally.move_programme(current.pk, moved_from, current.country_id)
        action.record(RelocationAudit.PROGRAMME_UPDATE, current, details={"fields": sorted(values)})
    for field in Programme._meta.concrete_fields:
        setattr(programme, field.attname, getattr(current, field.attname))
    return programme
