"""Triage: the queues of requests waiting for staff, marking spam, and a case from a request.

Hotline operators only (rules: intake.triage); a request that became a case is for those
who may see that case (intake.handle_request).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act, lock
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, Priority
from corridor.core.errors import Conflict
from corridor.intake.access import requests_visible_to
from corridor.intake.audit_names import IntakeAudit
from corridor.intake.domain.threads import HANDLE, lock_request, move_into, read_thread
from corridor.intake.models import URGENCY_ORDER, IntakeRequest, RequestState, Urgency, this_hour

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


def open_case(actor: User, request: IntakeRequest, *, name: str, team: Team, priority: str | None = None) -> Case:
    """A person and a case from a request; the thread moves into a case note under the case key.

    The person's own messages and files leave the intake. Replies stay, so the person can
    still read them with the passphrase; later messages arrive here and can be moved again.
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
        person = cases_domain.create_person(actor, names=[{"name": name, "kind": "used"}])
        case = cases_domain.open_case(
            actor, team=team, principal=person, priority=priority or PRIORITY_FOR_URGENCY[Urgency(locked.urgency)]
        )
        move_into(actor, locked, case, messages)
        locked.state = RequestState.CASE
        locked.case = case
        locked.save(update_fields=["state", "case", "awaiting_reply", "activity_hour"])
        action.record(IntakeAudit.OPEN_CASE, locked)
    request.refresh_from_db()
    return case
