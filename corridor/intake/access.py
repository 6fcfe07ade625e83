"""Who may see which anonymous request: hotline operators, every request without a case and
those whose case they may see (rules: intake.handle_request); everyone else, none.

Answers 404 for "not allowed" exactly as for "does not exist".
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.core.ids import parse_id
from corridor.intake.models import IntakeAttachment, IntakeRequest


def get_request_for_user(user: User, request_id: Any) -> IntakeRequest:
    if not user.has_perm("intake.triage"):
        raise Http404
    found = IntakeRequest.objects.select_related("case").filter(pk=parse_id(request_id)).first()
    if found is None:
        raise Http404
    if not user.has_perm("intake.handle_request", found):
        # It became a case this user may not see: refused and logged like the case itself.
        audit.record_decision(user, found, allowed=False, reason="not visible to this user")
        raise Http404
    return found


def get_attachment_for_user(user: User, request: IntakeRequest, attachment_id: Any) -> IntakeAttachment:
    if not user.has_perm("intake.triage"):
        raise Http404
    found = (
        IntakeAttachment.objects.select_related("message__request")
        .filter(pk=parse_id(attachment_id), message__request=request)
        .first()
    )
    if found is None or not user.has_perm("intake.handle_request", request):
        raise Http404
    return found
