"""Staff session life cycle: two-step sign-in, timeouts, step-up and ending sessions.

A session is valid only while its user's session generation and the key service's
session epoch are those it was created under; raising either ends it without a write
to the session table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.models import Device

from corridor.accounts import backends
from corridor.accounts.models import User
from corridor.keys import api as keys

PENDING_USER = "corridor.pending_user"
PENDING_AT = "corridor.pending_at"
LOGIN_AT = "corridor.login_at"
AUTH_AT = "corridor.auth_at"
GENERATION = "corridor.generation"
EPOCH = "corridor.epoch"
ENROLLING = "corridor.enrolling"
PENDING_HASH = "corridor.pending_hash"
PENDING_SECONDS = 5 * 60


def begin(request: HttpRequest, user: User, *, enrolling: bool = False) -> None:
    """Password accepted: remember who is half-way in, for a few minutes only.

    `enrolling` marks a session that came through a one-time enrolment link: only such a
    session may add a first second factor, never a password alone.
    """
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_AT] = time.time()
    request.session[ENROLLING] = enrolling
    request.session[GENERATION] = user.session_generation
    request.session[PENDING_HASH] = user.get_session_auth_hash()
    # Bound to the key epoch like a full session: a lockdown ends half sign-ins too.
    request.session[EPOCH] = keys.session_epoch()


def pending_user(request: HttpRequest) -> User | None:
    """The half-signed-in user, while the password step is recent and still stands.

    "End all sessions", a new enrolment link, a password change or a lockdown since the
    password step end it, as they end full sessions.
    """
    session = request.session
    user_id = session.get(PENDING_USER)
    started = session.get(PENDING_AT, 0)
    if user_id is None or time.time() - float(started) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or session.get(GENERATION) != user.session_generation:
        return None
    if not session.get(EPOCH) or session.get(EPOCH) != keys.session_epoch():
        return None
    if not constant_time_compare(str(session.get(PENDING_HASH, "")), user.get_session_auth_hash()):
        return None
    return user


def enrolling_user(request: HttpRequest) -> User | None:
    """The half-signed-in user, only if they arrived through an enrolment link."""
    if not request.session.get(ENROLLING):
        return None
    return pending_user(request)


def complete(request: HttpRequest, user: User, device: Device) -> None:
    """Second factor accepted: a full session, bound to the user's generation and the key epoch."""
    for key in (PENDING_USER, PENDING_AT, ENROLLING, PENDING_HASH):
        request.session.pop(key, None)
    auth_login(request, user, backend=backends.PATH)
    otp_login(request, device)
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[AUTH_AT] = now
    request.session[GENERATION] = user.session_generation
    request.session[EPOCH] = keys.session_epoch()


def is_verified(user: Any) -> bool:
    """True when django-otp's middleware marked the user's second factor as verified."""
    check = getattr(user, "is_verified", None)
    return bool(user.is_authenticated and check is not None and check())


def refresh_auth(request: HttpRequest) -> None:
    # A new session id with the new proof, as at sign-in: an id someone copied before the
    # step-up never carries the right it grants (session fixation).
    request.session.cycle_key()
    request.session[AUTH_AT] = time.time()


def is_current(request: HttpRequest, user: User) -> bool:
    session = request.session
    if session.get(GENERATION) != user.session_generation:
        return False
    if time.time() - float(session.get(LOGIN_AT, 0)) > settings.SESSION_ABSOLUTE_SECONDS:
        return False
    return bool(session.get(EPOCH)) and session.get(EPOCH) == keys.session_epoch()


def recently_authenticated(request: HttpRequest) -> bool:
    # The step-up is the signed-in user's own: an API request authenticated by someone's token
    # may carry another person's fresh session cookie, whose proof is not the token user's.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or str(request.session.get(SESSION_KEY)) != str(user.pk):
        return False
    return time.time() - float(request.session.get(AUTH_AT, 0)) <= settings.STEP_UP_SECONDS


def _reauth_redirect(request: HttpRequest) -> HttpResponse:
    # After confirming, come back to a page that can be loaded: the page itself for a GET,
    # the page that held the form for a POST (a POST-only action cannot be re-entered by GET).
    target = request.get_full_path()
    if request.method != "GET":
        referer = request.META.get("HTTP_REFERER", "")
        target = referer if url_has_allowed_host_and_scheme(referer, {request.get_host()}) else reverse("web:dashboard")
    return HttpResponseRedirect(f"{reverse('accounts:reauth')}?{urlencode({'next': target})}")


def require_recent_auth(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Step-up: sensitive actions need the password and a second factor again, recently."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not recently_authenticated(request):
            return _reauth_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper


def require_recent_auth_on_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Step-up for the form submission only; reading the page needs none."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and not recently_authenticated(request):
            return _reauth_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper
