"""Admins change the intake page's name and look: the organisation's name per language or none,
introduction, page title, logo and quick-exit address. One audited action; admin only.

The look is not secret (the public page reads it while sealed); the audit entry names the
fields that changed, never their words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act
from corridor.intake import look
from corridor.intake.audit_names import IntakeAudit
from corridor.intake.models import IntakeLook

EDIT = "intake.edit_questionnaire"
TEXT_LIMITS = {"name": 120, "introduction": 2000, "page_title": 120}


@dataclass(frozen=True)
class LookChange:
    """The look as the admin's form left it; `logo` None keeps the stored one unless `remove_logo`."""

    no_name: bool = False
    name: Mapping[str, str] = field(default_factory=dict)
    introduction: Mapping[str, str] = field(default_factory=dict)
    page_title: Mapping[str, str] = field(default_factory=dict)
    quick_exit_url: str = ""
    logo: look.Logo | None = None
    remove_logo: bool = False


def _texts(values: Mapping[str, str], limit: int, what: str) -> dict[str, str]:
    kept = {str(code): str(text).strip() for code, text in values.items() if str(text).strip()}
    for text in kept.values():
        if len(text) > limit:
            raise ValidationError({what: _("At most %(limit)d characters.") % {"limit": limit}})
    return kept


def _stored(row: IntakeLook, name: str) -> object:
    value = getattr(row, name)
    # A BinaryField reads back as a memoryview on PostgreSQL: compare bytes with bytes.
    return bytes(value) if isinstance(value, memoryview) else value


def save_look(actor: User, change: LookChange) -> IntakeLook:
    """Store the look; audited with the names of the fields that changed."""
    with act(actor, EDIT) as action:
        row, _created = IntakeLook.objects.select_for_update().get_or_create(pk=1)
        values: dict[str, object] = {
            "no_name": bool(change.no_name),
            "name": _texts(change.name, TEXT_LIMITS["name"], "name"),
            "introduction": _texts(change.introduction, TEXT_LIMITS["introduction"], "introduction"),
            "page_title": _texts(change.page_title, TEXT_LIMITS["page_title"], "page_title"),
            "quick_exit_url": look.check_quick_exit(change.quick_exit_url),
        }
        if change.logo is not None:
            values["logo"], values["logo_type"] = change.logo.data, change.logo.content_type
        elif change.remove_logo:
            values["logo"], values["logo_type"] = None, ""
        changed = [name for name, value in values.items() if _stored(row, name) != value]
        if not changed:
            action.unchanged()
            return row
        for name in changed:
            setattr(row, name, values[name])
        if "logo" in changed:
            changed.append("logo_type")
        row.updated_at = timezone.now()
        row.save(update_fields=[*dict.fromkeys(changed), "updated_at"])
        action.record(IntakeAudit.LOOK_CHANGE, row, {"changed": sorted(set(changed) - {"logo_type"})})
    return row
