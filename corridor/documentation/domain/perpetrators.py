"""Perpetrators: a person, unit or institution that acts are attributed to (the organisation's list)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.domain.checks import apply, check_choice, check_seen, copy_back, optional_text, required_text
from corridor.documentation.models import Perpetrator, PerpetratorKind
from corridor.documentation.rules import MANAGE_EVENTS
from corridor.keys.api import DataKey

PERPETRATOR_FIELDS = ("kind", "name", "description", "part_of")


def _clean(values: dict[str, Any], perpetrator: Perpetrator | None) -> dict[str, Any]:
    unknown = set(values) - set(PERPETRATOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown perpetrator fields: {sorted(unknown)}")
    check_choice(values.get("kind"), PerpetratorKind, "kind")
    cleaned = dict(values)
    cleaned["name"] = required_text(values.get("name"), "name", _("Give the name of the person, unit or institution."))
    if len(cleaned["name"]) > 300:
        raise ValidationError({"name": _("Keep the name under 300 characters.")})
    cleaned["description"] = optional_text(values.get("description"))
    part_of = values.get("part_of")
    if part_of is not None and perpetrator is not None:
        # A unit cannot be part of itself, nor of anything that is part of it.
        current: Perpetrator | None = part_of
        visited: set[Any] = set()
        while current is not None and current.pk not in visited:
            if current.pk == perpetrator.pk:
                raise ValidationError({"part_of": _("A unit or institution cannot be part of itself.")})
            visited.add(current.pk)
            current = Perpetrator.objects.filter(pk=current.part_of_id).first() if current.part_of_id else None
    return cleaned


def create_perpetrator(
    actor: User, *, kind: str, name: str, description: str = "", part_of: Perpetrator | None = None
) -> Perpetrator:
    with act(actor, MANAGE_EVENTS) as action:
        values = _clean({"kind": kind, "name": name, "description": description, "part_of": part_of}, None)
        perpetrator = Perpetrator(data_key=DataKey.create("perpetrator"), **values)
        perpetrator.save()
        action.record(DocumentationAudit.PERPETRATOR_CREATE, perpetrator)
    return perpetrator


def update_perpetrator(
    actor: User, perpetrator: Perpetrator, *, seen: datetime.datetime | None = None, **values: Any
) -> Perpetrator:
    with act(actor, MANAGE_EVENTS, perpetrator) as action:
        locked = lock(perpetrator)
        check_seen(locked, seen)
        current = {name: getattr(locked, name) for name in PERPETRATOR_FIELDS}
        cleaned = _clean(current | values, locked)
        locked.save(update_fields=apply(locked, {name: cleaned[name] for name in values}))
        action.record(DocumentationAudit.PERPETRATOR_UPDATE, locked, details={"fields": sorted(values)})
    copy_back(perpetrator, locked)
    return perpetrator
