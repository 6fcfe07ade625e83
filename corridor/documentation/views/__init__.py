"""Documentation pages, one module per area; each exposes its own `urlpatterns`.

Views parse, fetch through corridor.documentation.access (404 for missing and not-yours
alike), call one domain action through corridor.core.forms, and render. They never check a
permission again and never write a model. Every person named on a page is named through
access.person_labels/victim_label: the codename only where the reader sees the person's case.
"""

from __future__ import annotations

from django.http import HttpRequest

from corridor.accounts.models import User
from corridor.documentation.access import permit
from corridor.documentation.rules import VIEW_EVENTS


def reader(request: HttpRequest, *perms: str) -> User:
    """The signed-in user when their role holds `perms` (reading events when none is named).

    A role without them gets NotPermitted, a 404: a page one may not use looks like none at all.
    """
    return permit(request.user, *(perms or (VIEW_EVENTS,)))


def wanted(request: HttpRequest, view: str, manage: str) -> str:
    """The permission a page needs for this request: a POST changes, anything else reads."""
    return manage if request.method == "POST" else view
