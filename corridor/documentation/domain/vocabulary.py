"""The controlled vocabularies (types of act, methods), editable and translated by the team."""

from __future__ import annotations

import enum
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.domain.checks import check_choice, copy_back
from corridor.documentation.models import Term, Vocabulary
from corridor.documentation.rules import MANAGE_VOCABULARY


class Keep(enum.Enum):
    """An argument left as it is (a parent may be set to None, so None cannot mean "unchanged")."""

    KEEP = 0


KEEP = Keep.KEEP

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def _clean_labels(labels: Any) -> dict[str, str]:
    """One label per language the instance offers; English is required (codes are not words)."""
    if not isinstance(labels, dict):
        raise ValidationError({"labels": _("Give the words for each language.")})
    languages = {code for code, _name in settings.LANGUAGES}
    unknown = set(labels) - languages
    if unknown:
        raise ValidationError({"labels": _("Unknown language: %(codes)s.") % {"codes": ", ".join(sorted(map(str, unknown)))}})
    cleaned = {code: " ".join(str(text or "").split()) for code, text in labels.items()}
    cleaned = {code: text for code, text in cleaned.items() if text}
    if not cleaned.get("en"):
        raise ValidationError({"labels": _("Give at least the English words.")})
    if any(len(text) > 120 for text in cleaned.values()):
        raise ValidationError({"labels": _("Keep each label under 120 characters.")})
    return cleaned


def _check_parent(vocabulary: str, parent: Term | None) -> None:
    if parent is None:
        return
    if vocabulary != Vocabulary.METHOD or parent.vocabulary != Vocabulary.ACT_TYPE:
        raise ValidationError({"parent": _("Only a method belongs to a type of act.")})


def add_term(actor: User, *, vocabulary: str, code: str, labels: dict[str, str], parent: Term | None = None) -> Term:
    with act(actor, MANAGE_VOCABULARY) as action:
        check_choice(vocabulary, Vocabulary, "vocabulary")
        code = str(code or "").strip().lower()
        if not _CODE.match(code):
            raise ValidationError({"code": _("Use lower-case letters, digits, - and _ (at most 60).")})
        cleaned = _clean_labels(labels)
        _check_parent(vocabulary, parent)
        if Term.objects.filter(vocabulary=vocabulary, code=code).exists():
            raise ValidationError({"code": _("This vocabulary already has that code.")})
        term = Term.objects.create(vocabulary=vocabulary, code=code, labels=cleaned, parent=parent)
        action.record(DocumentationAudit.TERM_ADD, term)
    return term


def update_term(
    actor: User,
    term: Term,
    *,
    labels: dict[str, str] | None = None,
    active: bool | None = None,
    parent: Term | None | Keep = KEEP,
) -> Term:
    """New words, in use or not, another parent; the code never changes (exports rely on it)."""
    with act(actor, MANAGE_VOCABULARY, term) as action:
        locked = lock(term)
        fields: list[str] = []
        if labels is not None:
            locked.labels = _clean_labels(labels)
            fields.append("labels")
        if active is not None:
            locked.active = bool(active)
            fields.append("active")
        if not isinstance(parent, Keep):
            _check_parent(locked.vocabulary, parent)
            locked.parent = parent
            fields.append("parent")
        if not fields:
            action.unchanged()
        else:
            locked.save(update_fields=fields)
            action.record(DocumentationAudit.TERM_UPDATE, locked, details={"fields": fields})
    copy_back(term, locked)
    return term


def label(term: Term, language: str) -> str:
    """The term's words in `language`, falling back to English, then to its code."""
    labels = term.labels or {}
    return str(labels.get(language[:2]) or labels.get("en") or term.code)
