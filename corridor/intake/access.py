"""Who may see which anonymous request: hotline operators, every request without a case and
those whose case they may see (rules: intake.handle_request); everyone else, none.

Answers 404 for "not allowed" exactly as for "does not exist"; a refusal of a request that
exists is audited. Views fetch through these helpers and never ask `has_perm` again before
calling a domain action: the action checks for itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from corridor.accounts.access import staff_holding
from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases.access import cases_visible_to
from corridor.core.ids import parse_id
from corridor.intake.models import IntakeAttachment, IntakeRequest

TRIAGE = "intake.triage"
HANDLE = "intake.handle_request"


def triage_user(user: Any) -> User:
    """The signed-in user when they triage requests (the queue has no object yet); 404 otherwise."""
    return staff_holding(user, TRIAGE)


def requests_visible_to(user: User) -> QuerySet[IntakeRequest]:
    """Requests without a case, and those whose case the user may see; none for other roles."""
    if not user.has_perm(TRIAGE):
        return IntakeRequest.objects.none()
    return IntakeRequest.objects.filter(Q(case__isnull=True) | Q(case__in=cases_visible_to(user)))


def get_request_for_user(user: User, request_id: Any, perm: str = HANDLE) -> IntakeRequest:
    pk = parse_id(request_id)
    found = IntakeRequest.objects.select_related("case").filter(pk=pk).first()
    if found is None:
        raise Http404
    if not user.has_perm(perm, found):
        # Not a hotline operator, or it became a case this user may not see: refused and logged like the case itself.
        audit.record_decision(user, found, allowed=False, reason=f"lacks {perm}")
        raise Http404
    return found


def get_attachment_for_user(user: User, request_id: Any, attachment_id: Any, perm: str = HANDLE) -> IntakeAttachment:
    """A file of a request the user may handle; its `message.request` is that request."""
    request = get_request_for_user(user, request_id, perm)
    found = IntakeAttachment.objects.select_related("message__request").filter(pk=parse_id(attachment_id)).first()
    if found is None:
        raise Http404
    if found.message.request_id != request.pk:
        # Another request's file asked for through one the user may handle: refused and logged.
        audit.record_decision(user, found, allowed=False, reason="file of another request")
        raise Http404
    return found
