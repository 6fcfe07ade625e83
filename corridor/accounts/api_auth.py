"""DRF authentication: bearer tokens stored as HMACs, and verified staff sessions.

A session counts for the API only when its second factor was verified and it is still
current; a token acts with its user's role and nothing more.
"""

from __future__ import annotations

from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from corridor.accounts import sessions
from corridor.accounts.models import ApiToken, Role
from corridor.core.error_pages import csrf_refusal_message


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] not in (self.keyword, "Token"):
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Bearer <token>'.")
        token = ApiToken.find_active(parts[1])
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid or was revoked.")
        if token.user.role == Role.TRUSTEE:
            raise exceptions.AuthenticationFailed("Trustees cannot use the API.")
        if token.is_suspended():
            raise exceptions.AuthenticationFailed(
                "The token is suspended: the instance was locked down or unsealed again, or your sessions were ended. "
                "Sign in and re-activate it on your security page."
            )
        ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class CsrfFailed(exceptions.PermissionDenied):
    """403 `csrf_failed`: a session's unsafe request without a valid CSRF token.

    Its own code, the same as Django's middleware gives the API's plain views
    (corridor/core/error_pages.csrf_failure), so a script tells it from a role's refusal."""

    default_code = "csrf_failed"


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    def enforce_csrf(self, request: Request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            # DRF words it "CSRF Failed: <Django's reason>"; keep the reason, say it our way.
            reason = str(exc.detail).removeprefix("CSRF Failed: ")
            raise CsrfFailed(csrf_refusal_message(reason)) from exc

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        django_request = request._request
        if not user.is_verified() or not sessions.is_current(django_request, user) or user.role == Role.TRUSTEE:
            return None
        return cast(tuple[Any, Any], result)


class StepUpRequired(exceptions.PermissionDenied):
    """403 `step_up_required`: a second person's approval needs a fresh step-up on the web."""

    default_code = "step_up_required"
    default_detail = gettext_lazy(
        "Confirm your password and second factor on the web first (step-up), then approve within a few minutes."
    )


def require_step_up(request: Request) -> None:
    """Refuse unless this request's own session re-authenticated a few minutes ago.

    An API token carries no step-up, so a token alone is always refused."""
    if not sessions.recently_authenticated(request._request):
        raise StepUpRequired
