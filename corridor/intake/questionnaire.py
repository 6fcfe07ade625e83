"""Reading the intake's questionnaire and look: the live version, wording in a language,
who is asked what (conditions), the urgency an answer gives, the languages offered.

Read-only; every change is an action in domain/questionnaires.py. Nothing here is secret:
the public page reads it while the instance is sealed.
"""

from __future__ import annotations

import copy
import datetime
import gettext as gettext_module
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import trans_real

from corridor.intake import conf, defaults
from corridor.intake.models import (
    URGENCY_ORDER,
    YESNO_VALUES,
    IntakeLook,
    Question,
    QuestionKind,
    QuestionnaireVersion,
    Urgency,
    VersionState,
)

# The languages whose fixed texts ship in the gettext catalogue, by their own names.
SHIPPED = {"ru": "Русский", "en": "English"}


# -- look and languages ------------------------------------------------------------------------


def look() -> IntakeLook:
    """The one look row, or an unsaved default one (the page's defaults) when none was saved."""
    return IntakeLook.objects.filter(pk=1).first() or IntakeLook(pk=1)


# -- the public page's look and live version, kept per process -------------------------------
#
# Every public request needs the look row and the live version; reading both through the ORM
# cost about a millisecond of CPU per request (and the whole logo each time). Here one small
# query reads what says whether they changed -- the look's updated_at (every write of the look
# sets it: domain/look.py, domain/questionnaires.py) and the live version's id and creation time
# -- and the rows themselves are read again only when that changed. The check is in the
# database, so a version approved or a look saved in another worker is served by this one at
# its next request. Nothing from a request is kept; nothing here is secret (read while sealed).


@dataclass(frozen=True)
class _Page:
    stamp: tuple[Any, ...]
    look: IntakeLook
    live: QuestionnaireVersion | None


_page: _Page | None = None


def _stamp() -> tuple[Any, ...]:
    """(look's updated_at, live version's id, its created_at): None where there is no such row."""
    quote = connection.ops.quote_name
    look_table, version_table = quote(IntakeLook._meta.db_table), quote(QuestionnaireVersion._meta.db_table)
    sql = (
        f"SELECT (SELECT updated_at FROM {look_table} WHERE id = 1),"  # noqa: S608 -- our own table names, quoted; values are parameters
        f" (SELECT id FROM {version_table} WHERE state = %s),"
        f" (SELECT created_at FROM {version_table} WHERE state = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [VersionState.LIVE.value, VersionState.LIVE.value])
        row = cursor.fetchone()
    return tuple(row) if row else (None, None, None)


def public_page() -> tuple[IntakeLook, QuestionnaireVersion | None]:
    """The look and the live version for a public request: as look() and live() answer now,
    re-read only when they changed. Shallow copies: a caller may set their attributes without
    touching other requests' (the public pages only read them); none changes a JSON value in place."""
    global _page
    stamp = _stamp()
    page = _page
    if page is None or page.stamp != stamp:
        # Read after the stamp: if they change in between, the next request's stamp differs.
        version = QuestionnaireVersion.objects.filter(pk=stamp[1]).first() if stamp[1] is not None else None
        page = _Page(stamp, look(), version)
        _page = page
    return copy.copy(page.look), copy.copy(page.live)


def languages(row: IntakeLook | None = None) -> list[str]:
    """The intake's languages in order (the first is the default); Russian and English unless chosen."""
    row = row or look()
    known = set(SHIPPED) | set(row.added_languages or {})
    chosen = [str(code) for code in (row.languages or []) if str(code) in known]
    return chosen or ["ru", "en"]


def language_name(code: str, row: IntakeLook | None = None) -> str:
    """A language's name in its own script, as the page offers it."""
    if code in SHIPPED:
        return SHIPPED[code]
    row = row or look()
    return str((row.added_languages or {}).get(code) or code)


class FixedTexts(gettext_module.NullTranslations):
    """An added language's page sentences from the database, English where one is missing.

    Activated for one intake request instead of a gettext catalogue, so `{% translate %}` in the
    intake templates speaks the added language without a compiled catalogue.
    """

    def __init__(self, code: str, texts: Mapping[str, str]) -> None:
        super().__init__()
        self._code = code
        self._texts = {str(k): str(v) for k, v in texts.items() if v}
        self._english = trans_real.translation("en")

    def gettext(self, message: str) -> str:
        return self._texts.get(message) or self._english.gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        key = msgid1 if n == 1 else msgid2
        return self._texts.get(key) or self._english.ngettext(msgid1, msgid2, n)

    def language(self) -> str:
        return self._code

    def to_language(self) -> str:
        return self._code


def activate(code: str, row: IntakeLook | None = None) -> None:
    """Activate an intake language: gettext for ru/en, the fixed texts for an added one."""
    row = row or look()
    if code in SHIPPED:
        trans_real.activate(code)
        return
    texts = (row.fixed_texts or {}).get(code) or {}
    # Django has no public way to activate a catalogue that is not on disk; this is the one
    # trans_real.activate() itself sets, for this thread and this request only.
    active: Any = getattr(trans_real, "_active")  # noqa: B009  # private in django-stubs
    active.value = FixedTexts(code, texts)


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Within the block, the intake language `code` is active (the editor's preview)."""
    previous = trans_real.get_language()
    activate(code)
    try:
        yield
    finally:
        trans_real.activate(previous)


# -- versions and questions --------------------------------------------------------------------


def live() -> QuestionnaireVersion | None:
    return QuestionnaireVersion.objects.filter(state=VersionState.LIVE).first()


class UnknownVersion(Exception):
    """A help form names a questionnaire version that is not live and was not live recently."""


DEFAULTS_MARKER = "0"  # no version was live: the page asked the shipped defaults


def version_marker(version: QuestionnaireVersion | None) -> str:
    """What a help form carries to say which version it showed: its number, or the defaults'."""
    return str(version.number) if version is not None else DEFAULTS_MARKER


def shown_version(
    marker: str | None, current: QuestionnaireVersion | None, now: datetime.datetime | None = None
) -> QuestionnaireVersion | None:
    """The version a posted help form was shown with, for its answers to be checked against.

    The live one; or one retired while the form could still be open (the next version went
    live less than the form's lifetime ago: an older form is refused for its age anyway); or
    None for the shipped defaults while none is live. No marker (a page served before forms carried it): the
    live one. Anything else (a draft, a discarded or long-retired version, garbage) raises
    UnknownVersion. `current`: the live version, as the caller read it.
    """
    if not marker:
        return current
    if marker == DEFAULTS_MARKER:
        # The defaults are asked only while no version is live (a new instance starts with one):
        # otherwise a forged "0" would dodge the live version's questions and emergency rule.
        if current is None:
            return None
        raise UnknownVersion(marker)
    if not marker.isdigit() or len(marker) > 9:
        raise UnknownVersion(marker)
    if current is not None and str(current.number) == marker:
        return current
    version = (
        QuestionnaireVersion.objects.filter(number=int(marker), state=VersionState.RETIRED)
        # Was live: approved by a second admin, or the one a new instance starts with (made by
        # the migration, by nobody). A discarded draft is retired too, but was never either.
        .filter(Q(approved_at__isnull=False) | Q(author__isnull=True, submitted_by__isnull=True, approved_by__isnull=True))
        .first()
    )
    if version is None or not version.questions.exclude(kind=QuestionKind.SECTION).exists():
        raise UnknownVersion(marker)
    replaced = (
        QuestionnaireVersion.objects.filter(number__gt=version.number, approved_at__isnull=False)
        .order_by("approved_at")
        .values_list("approved_at", flat=True)
        .first()
    )
    moment = now or timezone.now()
    if replaced is None or moment - replaced > datetime.timedelta(seconds=conf.form_max_age_seconds()):
        raise UnknownVersion(marker)
    return version


# The questions of versions that are live or retired, per process. Such a version never changes
# (domain/questionnaires.py edits drafts only, and a version leaves "live" only to retire), so
# a cached copy cannot go stale; the key holds the creation time too, so that a row number a
# test database reuses for another version is another key. Nothing from a request is kept.
_FROZEN: dict[tuple[int, Any], tuple[Question, ...]] = {}
_FROZEN_MAX = 32


def questions_of(version: QuestionnaireVersion | None) -> list[Question]:
    """A version's questions in order; with no version, the shipped defaults (unsaved).

    Each call returns its own copies: a caller may change them (a new draft saves them anew).
    """
    if version is None:
        return default_questions()
    if version.pk is None or version.state not in (VersionState.LIVE, VersionState.RETIRED):
        return list(version.questions.order_by("position", "pk"))
    key = (int(version.pk), version.created_at)
    found = _FROZEN.get(key)
    if found is None:
        found = tuple(version.questions.order_by("position", "pk"))
        if len(_FROZEN) >= _FROZEN_MAX:
            _FROZEN.clear()
        _FROZEN[key] = found
    return [copy.copy(question) for question in found]


def default_questions() -> list[Question]:
    """The questions a new instance starts with, as unsaved rows: the page's fallback when no
    version is live, and what a first draft starts from."""
    return [Question(position=index * 10, **spec) for index, spec in enumerate(defaults.QUESTIONS)]


def _in(texts: Mapping[str, Any], lang: str) -> str:
    """The text in `lang`, else English, else Russian, else any."""
    for code in (lang, "en", "ru"):
        value = texts.get(code)
        if value:
            return str(value)
    return next((str(v) for v in texts.values() if v), "")


def label(question: Question, lang: str) -> str:
    wording = question.wording or {}
    return _in({code: (w or {}).get("label", "") for code, w in wording.items()}, lang) or question.key


def help_text(question: Question, lang: str) -> str:
    wording = question.wording or {}
    return _in({code: (w or {}).get("help", "") for code, w in wording.items()}, lang)


def yesno_label(value: str) -> str:
    # Spelled out so makemessages finds each; an added language's come from its fixed texts.
    if value == "yes":
        return _("Yes")
    if value == "no":
        return _("No")
    return _("I am not sure")


def options(question: Question, lang: str) -> list[tuple[str, str]]:
    """(value, label) of a choice question in `lang`; yes/no/unsure are fixed texts."""
    if question.kind == QuestionKind.YESNO:
        return [(value, yesno_label(value)) for value in YESNO_VALUES]
    return [
        (str(c.get("value", "")), _in(c.get("labels") or {}, lang) or str(c.get("value", ""))) for c in question.choices or []
    ]


def shown_value(question: Question | None, raw: str, lang: str) -> str:
    """A stored answer as a reader sees it: a choice's label instead of its value."""
    if question is None or question.kind not in (QuestionKind.CHOICE, QuestionKind.MULTIPLE, QuestionKind.YESNO):
        return raw
    labels = dict(options(question, lang))
    return ", ".join(labels.get(part, part) for part in raw.split("\n") if part)


def values_of(raw: str | Sequence[str]) -> list[str]:
    if isinstance(raw, str):
        return [raw] if raw else []
    return [str(v) for v in raw if v]


def is_asked(question: Question, answers: Mapping[str, str | Sequence[str]]) -> bool:
    """Whether a question is asked, given the answers so far (conditions look one step back)."""
    if question.kind == QuestionKind.SECTION:
        return False
    if not question.condition_key:
        return True
    wanted = {str(v) for v in question.condition_values or []}
    return bool(wanted & set(values_of(answers.get(question.condition_key, ""))))


def has_conditions(questions: Iterable[Question]) -> bool:
    return any(q.condition_key for q in questions if q.kind != QuestionKind.SECTION)


def urgency(questions: Iterable[Question], answers: Mapping[str, str | Sequence[str]]) -> str:
    """The most urgent level the answers of asked questions give (values, not labels)."""
    found = Urgency.NORMAL
    for question in questions:
        if not is_asked(question, answers):
            continue
        given = set(values_of(answers.get(question.key, "")))
        if given & {str(v) for v in question.emergency_values or []}:
            return str(Urgency.EMERGENCY)
        if given & {str(v) for v in question.unsure_values or []} and URGENCY_ORDER[Urgency.UNSURE] < URGENCY_ORDER[found]:
            found = Urgency.UNSURE
    return str(found)


def as_asked(questions: Sequence[Question], answers: Sequence[Any], lang: str) -> list[Any]:
    """A request's answers with the wording of the version it was answered under, in `lang`.

    An answer whose question that version lacks keeps the label it was stored with.
    """
    by_key = {q.key: q for q in questions}
    shown = []
    for answer in answers:
        question = by_key.get(answer.key)
        if question is None:
            shown.append(answer)
            continue
        value = shown_value(question, answer.raw, lang) if answer.raw else answer.value
        shown.append(replace(answer, label=label(question, lang), value=value))
    return shown


def summary(questions: Sequence[Question], answers: Sequence[Any], lang: str) -> list[tuple[str, str]]:
    """(question, answer) of the questions marked "summary", for the triage list."""
    wanted = {q.key for q in questions if q.summary}
    return [(a.label, a.value) for a in as_asked(questions, answers, lang) if a.key in wanted]


# Where each mapping lands on the open-case form (OpenCaseForm's fields).
MAPPED_FIELDS = {"person.name": "name", "person.location": "location", "person.contact": "contact", "case.summary": "summary"}


def mapped(questions: Sequence[Question], answers: Sequence[Any]) -> dict[str, str]:
    """Initial values of the open-case form from the answers of questions with a mapping."""
    by_key = {q.key: q for q in questions if q.maps_to}
    found: dict[str, str] = {}
    for answer in answers:
        question = by_key.get(answer.key)
        field = MAPPED_FIELDS.get(question.maps_to) if question else None
        if field and answer.value and field not in found:
            found[field] = str(answer.value)
    return found
