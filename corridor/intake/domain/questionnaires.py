"""Admins change the intake's questionnaire: a draft version is edited, sent for approval, and
goes live only when a second admin (neither its author nor who sent it) approves it.

Every change is audited. Only drafts are edited; a live or retired version never changes, so
a request answered under it still shows the questions as they were asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.audit.actions import act, lock
from corridor.intake import questionnaire
from corridor.intake.audit_names import IntakeAudit
from corridor.intake.models import (
    YESNO_VALUES,
    IntakeLook,
    MapsTo,
    Question,
    QuestionKind,
    QuestionnaireVersion,
    VersionState,
)
from corridor.intake.questionnaire import SHIPPED
from corridor.notifications import api as notifications

EDIT = "intake.edit_questionnaire"
CHOICE_KINDS = (QuestionKind.CHOICE, QuestionKind.MULTIPLE, QuestionKind.YESNO)
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def new_draft(actor: User, note: str = "") -> QuestionnaireVersion:
    """A draft copied from the live version (or empty), or the draft already being edited."""
    with act(actor, EDIT) as action:
        existing = QuestionnaireVersion.objects.select_for_update().filter(state=VersionState.DRAFT).first()
        if existing is not None:
            action.unchanged()
            return existing
        number = int(QuestionnaireVersion.objects.aggregate(Max("number"))["number__max"] or 0) + 1
        draft = QuestionnaireVersion.objects.create(number=number, author=actor, note=note[:500])
        # From the live version, or from the shipped defaults when none is live.
        for question in questionnaire.questions_of(questionnaire.live()):
            question.pk = None
            question.version = draft
            question.save()
        action.record(IntakeAudit.QUESTIONNAIRE_DRAFT, draft)
    return draft


def _editable(version: QuestionnaireVersion) -> QuestionnaireVersion:
    locked = lock(version)
    if locked.state != VersionState.DRAFT:
        raise ValidationError(_("Only a draft can be changed. Make a new draft from the live version."))
    return locked


def _clean_list(values: Sequence[Any]) -> list[str]:
    return [str(v).strip() for v in values if str(v).strip()]


def save_question(
    actor: User, version: QuestionnaireVersion, values: Mapping[str, Any], question: Question | None = None
) -> Question:
    """Add a question to a draft, or change one of its questions.

    `values`: key, kind, position, required, summary, wording {lang: {label, help}}, choices
    [{value, labels}], condition_key, condition_values, emergency_values, unsure_values, maps_to.
    """
    with act(actor, EDIT, version) as action:
        locked = _editable(version)
        if question is not None and question.version_id != locked.pk:
            raise PermissionDenied(EDIT)
        target = question or Question(version=locked)
        key = str(values.get("key", target.key) or "").strip()
        if not re.fullmatch(r"[a-z0-9_]{1,40}", key):
            raise ValidationError({"key": _("A key is 1 to 40 small Latin letters, digits or underscores.")})
        clash = Question.objects.filter(version=locked, key=key).exclude(pk=target.pk)
        if clash.exists():
            raise ValidationError({"key": _("Another question of this version has this key.")})
        kind = str(values.get("kind", target.kind))
        if kind not in QuestionKind.values:
            raise ValidationError({"kind": _("Unknown kind of question.")})
        wording = {str(lang): dict(w) for lang, w in dict(values.get("wording", target.wording) or {}).items()}
        if not any(str(w.get("label", "")).strip() for w in wording.values()):
            raise ValidationError({"wording": _("Write the question in at least one language.")})
        choices = list(values.get("choices", target.choices) or [])
        if kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE) and len(choices) < 2:
            raise ValidationError({"choices": _("A choice needs at least two answers.")})
        if kind not in (QuestionKind.CHOICE, QuestionKind.MULTIPLE):
            choices = []
        condition_key = str(values.get("condition_key", target.condition_key) or "")
        parent = None
        if condition_key:
            parent = Question.objects.filter(version=locked, key=condition_key).exclude(pk=target.pk).first()
            if parent is None or parent.kind not in CHOICE_KINDS or parent.condition_key:
                raise ValidationError(
                    {
                        "condition_key": _(
                            "A condition names a choice or yes/no question of this version that is asked to everyone."
                        )
                    }
                )
        own = _answer_values(kind, choices)
        for name in ("emergency_values", "unsure_values"):
            given = _clean_list(values.get(name, getattr(target, name)) or [])
            if given and not own:
                raise ValidationError({name: _("Only a choice or yes/no question has answers that can set the urgency.")})
            _known(name, given, own)
        if condition_key and parent is not None:
            condition_values = _clean_list(values.get("condition_values", target.condition_values) or [])
            if not condition_values:
                raise ValidationError(
                    {"condition_values": _("Write the answers after which this question is asked, for example yes.")}
                )
            _known("condition_values", condition_values, _answer_values(parent.kind, list(parent.choices or [])))
        maps_to = str(values.get("maps_to", target.maps_to) or "")
        if maps_to not in MapsTo.values:
            raise ValidationError({"maps_to": _("Unknown field.")})
        target.key = key
        target.kind = kind
        target.position = int(values.get("position", target.position) or 0)
        target.required = bool(values.get("required", target.required)) and kind != QuestionKind.SECTION
        target.summary = bool(values.get("summary", target.summary)) and kind != QuestionKind.SECTION
        target.wording = wording
        target.choices = choices
        target.condition_key = condition_key
        target.condition_values = (
            _clean_list(values.get("condition_values", target.condition_values) or []) if condition_key else []
        )
        target.emergency_values = _clean_list(values.get("emergency_values", target.emergency_values) or [])
        target.unsure_values = _clean_list(values.get("unsure_values", target.unsure_values) or [])
        target.maps_to = maps_to
        target.save()
        locked.author = actor  # the last to change it: they may not approve it
        locked.save(update_fields=["author"])
        action.record(IntakeAudit.QUESTIONNAIRE_EDIT, locked, {"question": key})
    return target


def _answer_values(kind: str, choices: Sequence[Any]) -> list[str]:
    """The stored values a question's answers can have (none for free text, dates and files)."""
    if kind == QuestionKind.YESNO:
        return list(YESNO_VALUES)
    if kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE):
        return [str(c.get("value", "")) for c in choices]
    return []


def _known(field: str, given: Sequence[str], allowed: Sequence[str]) -> None:
    # A value typed in the wrong words ("нет" for "no") would silently never match an answer.
    unknown = [value for value in given if value not in allowed]
    if unknown:
        raise ValidationError(
            {
                field: _("Not an answer of the question: %(unknown)s. Its answers are: %(allowed)s.")
                % {"unknown": ", ".join(unknown), "allowed": ", ".join(allowed)}
            }
        )


def delete_question(actor: User, question: Question) -> None:
    with act(actor, EDIT, question.version) as action:
        locked = _editable(question.version)
        if Question.objects.filter(version=locked, condition_key=question.key).exists():
            raise ValidationError(_("Another question is asked only after this one's answer; change that one first."))
        key = question.key
        question.delete()
        locked.author = actor
        locked.save(update_fields=["author"])
        action.record(IntakeAudit.QUESTIONNAIRE_EDIT, locked, {"deleted": key})


def submit_for_approval(actor: User, version: QuestionnaireVersion) -> None:
    with act(actor, EDIT, version) as action:
        locked = _editable(version)
        if not locked.questions.exclude(kind=QuestionKind.SECTION).exists():
            raise ValidationError(_("A questionnaire needs at least one question."))
        locked.state = VersionState.PENDING
        locked.submitted_by = actor
        locked.save(update_fields=["state", "submitted_by"])
        action.record(IntakeAudit.QUESTIONNAIRE_SUBMIT, locked)
        # Every admin who may approve it is told; the text is the kind and a count, nothing of it.
        notifications.notify(_second_admins(locked), notifications.Kind.QUESTIONNAIRE_APPROVAL, link=_link(locked))


def _second_admins(version: QuestionnaireVersion) -> list[User]:
    """Active staff who may approve `version` (may_approve): holding the permission, no part in it."""
    return [user for user in User.objects.filter(is_active=True).order_by("pk") if may_approve(user, version)]


def _link(version: QuestionnaireVersion) -> str:
    return reverse("intake:version", kwargs={"number": version.number})


def approve(actor: User, version: QuestionnaireVersion) -> None:
    """A second admin publishes a version waiting for approval; the live one retires."""
    with act(actor, EDIT, version) as action:
        locked = lock(version)
        if locked.state != VersionState.PENDING:
            raise ValidationError(_("Only a version waiting for approval can be approved."))
        if actor.pk in (locked.author_id, locked.submitted_by_id) or _took_part(actor, locked):
            raise ValidationError(_("A second admin must approve this: you wrote or sent this version."))
        for live in QuestionnaireVersion.objects.select_for_update().filter(state=VersionState.LIVE):
            live.state = VersionState.RETIRED
            live.save(update_fields=["state"])
        locked.state = VersionState.LIVE
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.save(update_fields=["state", "approved_by", "approved_at"])
        action.record(IntakeAudit.QUESTIONNAIRE_APPROVE, locked)
        notifications.settle(notifications.Kind.QUESTIONNAIRE_APPROVAL, link=_link(locked))


def may_approve(actor: User, version: QuestionnaireVersion) -> bool:
    """Whether `actor` is a second admin for this version: it waits, and they took no part in it."""
    return (
        version.state == VersionState.PENDING
        and actor.has_perm(EDIT)
        and actor.pk not in (version.author_id, version.submitted_by_id)
        and not _took_part(actor, version)
    )


def _took_part(actor: User, version: QuestionnaireVersion) -> bool:
    """Whether the audit log shows `actor` making this version, changing it, or sending it."""
    made = (IntakeAudit.QUESTIONNAIRE_DRAFT, IntakeAudit.QUESTIONNAIRE_EDIT, IntakeAudit.QUESTIONNAIRE_SUBMIT)
    return audit.entries_for(version).filter(actor_id=actor.pk, action__in=[str(name) for name in made]).exists()


def send_back(actor: User, version: QuestionnaireVersion) -> None:
    """A version waiting for approval goes back to being a draft (refused, or to change it)."""
    with act(actor, EDIT, version) as action:
        locked = lock(version)
        if locked.state != VersionState.PENDING:
            raise ValidationError(_("Only a version waiting for approval can be sent back."))
        if QuestionnaireVersion.objects.filter(state=VersionState.DRAFT).exists():
            raise ValidationError(_("Another draft is being edited; finish or discard it first."))
        locked.state = VersionState.DRAFT
        locked.save(update_fields=["state"])
        action.record(IntakeAudit.QUESTIONNAIRE_SEND_BACK, locked)
        notifications.settle(notifications.Kind.QUESTIONNAIRE_APPROVAL, link=_link(locked))


def discard(actor: User, version: QuestionnaireVersion) -> None:
    """Throw a draft away (no request was ever answered under a draft); its number is not reused."""
    with act(actor, EDIT, version) as action:
        locked = _editable(version)
        action.record(IntakeAudit.QUESTIONNAIRE_DISCARD, locked, {"number": locked.number})
        locked.questions.all().delete()
        locked.state = VersionState.RETIRED
        locked.note = "discarded"
        locked.save(update_fields=["state", "note"])


# -- languages ---------------------------------------------------------------------------------


def _look_row() -> IntakeLook:
    row, _created = IntakeLook.objects.select_for_update().get_or_create(pk=1)
    return row


def set_languages(actor: User, codes: Sequence[str]) -> list[str]:
    """The languages the intake offers, in order; each shipped or added. Returns them."""
    with act(actor, EDIT) as action:
        row = _look_row()
        known = set(SHIPPED) | set(row.added_languages or {})
        chosen = [c for c in dict.fromkeys(str(c) for c in codes) if c]
        if not chosen:
            raise ValidationError(_("Choose at least one language."))
        unknown = [c for c in chosen if c not in known]
        if unknown:
            raise ValidationError(_("Unknown language: %(code)s.") % {"code": ", ".join(unknown)})
        if chosen == list(row.languages or []):
            action.unchanged()
            return chosen
        row.languages = chosen
        row.updated_at = timezone.now()
        row.save(update_fields=["languages", "updated_at"])
        action.record(IntakeAudit.LOOK_LANGUAGES, row, {"languages": chosen})
    return chosen


def save_language(actor: User, code: str, name: str, texts: Mapping[str, str]) -> str:
    """Add a language (or change one an admin added): its own name and the page's fixed texts."""
    code = code.strip().lower()
    with act(actor, EDIT) as action:
        if code in SHIPPED:
            raise ValidationError({"code": _("This language ships with Corridor; its texts are translated in the catalogue.")})
        if not LANGUAGE_CODE.fullmatch(code):
            raise ValidationError({"code": _("A language code such as uk or ce.")})
        if not name.strip():
            raise ValidationError({"name": _("Write the language's name in the language itself.")})
        row = _look_row()
        added = dict(row.added_languages or {})
        added[code] = name.strip()[:60]
        fixed = dict(row.fixed_texts or {})
        fixed[code] = {str(k): str(v).strip() for k, v in texts.items() if str(v).strip()}
        row.added_languages = added
        row.fixed_texts = fixed
        row.updated_at = timezone.now()
        row.save(update_fields=["added_languages", "fixed_texts", "updated_at"])
        action.record(IntakeAudit.LOOK_LANGUAGES, row, {"added": code})
    return code
