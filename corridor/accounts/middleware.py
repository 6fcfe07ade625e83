"""Default-deny gate for staff pages: a verified second factor, a current session, a role.

Views opt out explicitly with @public (sign-in, enrolment, the intake form) and
trustees reach only views marked @trustee_allowed. API views authenticate through DRF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from corridor.accounts import sessions
from corridor.accounts.models import Role, User

View = Callable[..., HttpResponse]


def public(view: View) -> View:
    view.corridor_public = True  # type: ignore[attr-defined]
    return view


def trustee_allowed(view: View) -> View:
    view.corridor_trustee = True  # type: ignore[attr-defined]
    return view


def is_api_view(view: Any) -> bool:
    return getattr(view, "cls", None) is not None and hasattr(view.cls, "authentication_classes")


class StaffSessionMiddleware:
    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        if getattr(view, "corridor_public", False) or is_api_view(view):
            return None
        if not sessions.is_verified(request.user):
            return self._to_login(request)
        user = cast(User, request.user)
        if not sessions.is_current(request, user):
            logout(request)
            return self._to_login(request)
        if user.role == Role.TRUSTEE and not getattr(view, "corridor_trustee", False):
            raise Http404
        return None

    @staticmethod
    def _to_login(request: HttpRequest) -> HttpResponse:
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{query}")
