"""Triage: the queues of requests waiting for staff, marking spam, and a case from a request.

Hotline operators only (rules: intake.triage); a request that became a case is for those
who may see that case (intake.handle_request).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act, lock
from corridor.audit.names import LogAudit
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, Priority
from corridor.core.errors import Conflict
from corridor.intake import questionnaire
from corridor.intake.access import TRIAGE, requests_visible_to
from corridor.intake.audit_names import IntakeAudit
from corridor.intake.domain.requests import parse_answers
from corridor.intake.domain.threads import HANDLE, lock_request, move_into, read_thread
from corridor.intake.models import (
    URGENCY_ORDER,
    Direction,
    IntakeMessage,
    IntakeRequest,
    Question,
    RequestState,
    Urgency,
    this_hour,
)
from corridor.keys import api as keys_api

PRIORITY_FOR_URGENCY = {Urgency.EMERGENCY: Priority.EMERGENCY, Urgency.UNSURE: Priority.URGENT, Urgency.NORMAL: Priority.NORMAL}


def _by_urgency(requests: QuerySet[IntakeRequest]) -> list[IntakeRequest]:
    """Emergencies first, then unsure, then the rest; oldest first."""
    return sorted(requests, key=lambda r: (URGENCY_ORDER[Urgency(r.urgency)], r.created_hour, str(r.pk)))


def queue(actor: User) -> list[IntakeRequest]:
    """Requests waiting for a reply, in the order they should be answered."""
    waiting = requests_visible_to(actor).filter(awaiting_reply=True, held=False).exclude(state=RequestState.SPAM)
    return _by_urgency(waiting)


def held_queue(actor: User) -> list[IntakeRequest]:
    """Requests accepted while a rate limit was reached, in the queue's order; a reply releases one."""
    held = requests_visible_to(actor).filter(awaiting_reply=True, held=True).exclude(state=RequestState.SPAM)
    return _by_urgency(held)


def others(actor: User) -> list[IntakeRequest]:
    """Requests not waiting for a reply and spam, most recent activity first."""
    rest = requests_visible_to(actor).filter(Q(awaiting_reply=False) | Q(state=RequestState.SPAM))
    return list(rest.order_by("-activity_hour", "pk"))


def summaries(actor: User, requests: Sequence[IntakeRequest]) -> dict[Any, list[tuple[str, str]]]:
    """The answers to "summary" questions of each request, for the triage list.

    The first messages are opened in one key-service call, in memory only; each request
    whose answers are shown is audited as read. Requests without a questionnaire show none.
    """
    wanted = [r for r in requests if r.questionnaire_id is not None]
    if not wanted:
        return {}
    versions = {r.questionnaire_id for r in wanted}
    questions: dict[Any, list[Question]] = {v: [] for v in versions}
    for question in Question.objects.filter(version_id__in=versions, summary=True).order_by("position", "pk"):
        questions[question.version_id].append(question)
    wanted = [r for r in wanted if questions[r.questionnaire_id]]
    if not wanted:
        return {}
    firsts = {m.request_id: m for m in IntakeMessage.objects.filter(request__in=wanted, seq=1, direction=Direction.IN)}
    wanted = [r for r in wanted if r.pk in firsts]
    if not wanted:
        return {}
    lang = get_language() or "ru"
    shown: dict[Any, list[tuple[str, str]]] = {}
    with act(actor, TRIAGE) as action:
        plains = keys_api.open_intake([bytes(firsts[r.pk].ciphertext) for r in wanted])
        for request, plain in zip(wanted, plains, strict=True):
            shown[request.pk] = questionnaire.summary(questions[request.questionnaire_id], parse_answers(plain), lang)
            action.record(LogAudit.READ, request)
    return shown


def mark_spam(actor: User, request: IntakeRequest, spam: bool = True) -> None:
    """Mark a request as spam (it leaves the queue and is purged later), or restore it.

    Marking twice changes nothing and records nothing; a request that became a case is never spam.
    """
    with act(actor, HANDLE, request) as action:
        locked = lock_request(actor, request)
        if locked.state == RequestState.CASE:
            raise ValidationError(_("A request that became a case cannot be marked as spam."))
        if (locked.state == RequestState.SPAM) == spam:
            action.unchanged()
            return
        locked.state = RequestState.SPAM if spam else RequestState.OPEN
        locked.activity_hour = this_hour()
        locked.save(update_fields=["state", "activity_hour"])
        action.record(IntakeAudit.SPAM if spam else IntakeAudit.UNSPAM, locked)
    request.refresh_from_db()


def open_case(
    actor: User,
    request: IntakeRequest,
    *,
    name: str,
    team: Team,
    priority: str | None = None,
    location: str = "",
    contact: str = "",
    summary: str = "",
) -> Case:
    """A person and a case from a request; the thread moves into a case note under the case key.

    The person's own messages and files leave the intake. Replies stay, so the person can
    still read them with the passphrase; later messages arrive here and can be moved again.
    `location`, `contact`, `summary`: answers the questionnaire maps to the new person and
    case, as the caseworker confirmed them on the form (encrypted like every such field).
    """
    with act(actor, HANDLE, request) as action:
        # Decided on the locked row: two operators who loaded the request at the same moment
        # must not both open a case (the second would take the request to their own team).
        # Whoever opened it first, the answer is the same: the request has its case now.
        locked = lock(request)
        if locked.case_id is not None:
            refusal = Conflict if request.case_id is None else ValidationError
            raise refusal(_("A case was already opened from this request."))
        if locked.state == RequestState.SPAM:
            raise ValidationError(_("This request is marked as spam. Restore it before opening a case."))
        messages = read_thread(action, locked)
        person_values: dict[str, Any] = {"names": [{"name": name, "kind": "used"}]}
        if location.strip():
            person_values["location"] = location.strip()
        if contact.strip():
            person_values["contacts"] = [{"kind": "other", "value": contact.strip(), "note": ""}]
        person = cases_domain.create_person(actor, **person_values)
        case = cases_domain.open_case(
            actor,
            team=team,
            principal=person,
            priority=priority or PRIORITY_FOR_URGENCY[Urgency(locked.urgency)],
            summary=summary.strip(),
        )
        move_into(actor, locked, case, messages)
        locked.state = RequestState.CASE
        locked.case = case
        locked.save(update_fields=["state", "case", "awaiting_reply", "activity_hour"])
        action.record(IntakeAudit.OPEN_CASE, locked)
    request.refresh_from_db()
    return case
