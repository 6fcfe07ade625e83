"""Default-deny gate for staff pages: a verified second factor, a current session, a role.

Views opt out explicitly with @public (sign-in, enrolment, the intake form) and
trustees reach only views marked @trustee_allowed (the markers: corridor.core.decorators).
API views authenticate through DRF.
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
from corridor.core.decorators import is_api_view, is_public, is_trustee_allowed

View = Callable[..., HttpResponse]


class StaffSessionMiddleware:
    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        if is_public(view) or is_api_view(view):
            return None
        if not sessions.is_verified(request.user):
            return self._to_login(request)
        user = cast(User, request.user)
        if not sessions.is_current(request, user):
            logout(request)
            return self._to_login(request)
        if user.role == Role.TRUSTEE and not is_trustee_allowed(view):
            raise Http404
        return None

    @staticmethod
    def _to_login(request: HttpRequest) -> HttpResponse:
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('accounts:login')}?{query}")
