"""Pages for signing in, enrolling, managing one's factors and administering users."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts import access, domain, lockout, sessions
from corridor.accounts.forms import (
    CodeForm,
    EditUserForm,
    EnrolPasswordForm,
    LoginForm,
    NewUserForm,
    ReauthForm,
    SetupCodeForm,
    TokenForm,
)
from corridor.accounts.models import ApiToken, EnrolmentLink, RecoveryCodeDevice, Role, TOTPDevice, User, WebAuthnCredential
from corridor.core.decorators import public, trustee_allowed
from corridor.core.forms import press, submit
from corridor.keys import api as keys

SETUP_DEVICE = "corridor.setup_device"


def _safe_next(request: HttpRequest, default: str = "web:dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


def _signed_in(request: HttpRequest) -> User:
    # The staff middleware lets only signed-in Users through; this only tells the type checker.
    if not isinstance(request.user, User):
        raise Http404
    return request.user


def _form_error(form: Any, message: str) -> None:
    form.add_error(None, message)


# A hash of a random password: checked when a user has no duress password, so every
# sign-in costs the same and timing tells no one who has set one up.
_DUMMY_HASH = make_password(secrets.token_urlsafe(24))


def _duress(username: str, password: str) -> User | None:
    user = User.objects.filter(username__iexact=username.strip(), is_active=True).first()
    stored = user.duress_password if user is not None and user.duress_password else _DUMMY_HASH
    if check_password(password, stored) and user is not None and stored is not _DUMMY_HASH:
        return user
    return None


def _locked_response(request: HttpRequest, form: LoginForm, state: lockout.LockState) -> HttpResponse:
    _form_error(form, lockout.locked_message(state.minutes_left))
    return render(request, "accounts/login.html", {"form": form}, status=429)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        password = form.cleaned_data["password"]
        # The duress password works even when the account is locked: a coerced user must
        # always be able to seal, and all a guess can do is seal.
        coerced = _duress(username, password)
        if coerced is not None:
            keys.lockdown(actor=None, reason="user")
            return render(request, "accounts/neutral.html")
        state = lockout.check(username)
        if state.locked and not lockout.known_device(request, username):
            return _locked_response(request, form, state)
        user = authenticate(request, username=username, password=password)
        if user is None or not isinstance(user, User):
            state = lockout.record_failure(username)
            if state.locked:
                return _locked_response(request, form, state)
            _form_error(form, _("The username or password is not right."))
            return render(request, "accounts/login.html", {"form": form}, status=400)
        if not user.has_second_factor():
            # Only an enrolment link may add a first factor: a password alone never does.
            _form_error(form, _("Your enrolment is not finished. Ask an administrator for a new enrolment link."))
            return render(request, "accounts/login.html", {"form": form}, status=403)
        sessions.begin(request, user)
        target = reverse("accounts:verify")
        if request.GET.get("next"):
            target += "?" + urlencode({"next": request.GET["next"]})
        return HttpResponseRedirect(target)
    return render(request, "accounts/login.html", {"form": form})


def _verify_code(user: User, code: str) -> Any:
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    for recovery in RecoveryCodeDevice.objects.filter(user=user, confirmed=True):
        if recovery.verify_token(code):
            return recovery
    return None


def _code_wait(user: User, code: str) -> int:
    """Seconds the user's authenticators refuse every code for (asked before this code is tried).

    Only an authenticator's code (digits) is told to wait: recovery codes have letters and are
    checked at once, so a refused one is wrong or used, whatever the authenticators' delay.
    """
    if not code.replace(" ", "").isdigit():
        return 0
    return lockout.code_wait_seconds(list(TOTPDevice.objects.filter(user=user, confirmed=True)))


def _refuse_code(user: User, code: str) -> str | None:
    """None when the code is accepted (and used up); otherwise why it was not."""
    wait = _code_wait(user, code)
    if _verify_code(user, code) is not None:
        return None
    return lockout.wait_message(wait) if wait else _("That code is not right, or it has been used already.")


@public
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = sessions.pending_user(request)
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    if not user.has_second_factor():
        return redirect("accounts:setup_totp")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        state = lockout.check(user.username)
        if state.locked and not lockout.known_device(request, user.username):
            _form_error(form, lockout.locked_message(state.minutes_left))
            return render(request, "accounts/verify.html", {"form": form, "has_webauthn": False}, status=429)
        wait = _code_wait(user, form.cleaned_data["code"])
        device = _verify_code(user, form.cleaned_data["code"])
        if device is None:
            lockout.record_failure(user.username)
            _form_error(form, lockout.wait_message(wait) if wait else _("That code is not right, or it has been used already."))
            return render(request, "accounts/verify.html", {"form": form}, status=429 if wait else 400)
        lockout.record_success(user.username)
        sessions.complete(request, user, device)
        domain.signed_in(user)
        if isinstance(device, RecoveryCodeDevice):
            remaining = device.remaining()
            messages.warning(
                request,
                ngettext("You used a recovery code. %(count)d remains.", "You used a recovery code. %(count)d remain.", remaining)
                % {"count": remaining},
            )
        response = HttpResponseRedirect(_safe_next(request))
        lockout.remember_device(response, user)
        return response
    has_webauthn = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    return render(request, "accounts/verify.html", {"form": form, "has_webauthn": has_webauthn})


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg: str = image.to_string(encoding="unicode")
    return svg


@public
@never_cache
@require_http_methods(["GET", "POST"])
def setup_totp_view(request: HttpRequest) -> HttpResponse:
    """Add an authenticator: during enrolment (half-signed-in) or from one's security page."""
    user = sessions.enrolling_user(request)
    signed_in = sessions.is_verified(request.user)
    if signed_in:
        user = _signed_in(request)
        # This page is @public (enrolment needs it), so the staff middleware's check is made here.
        if not sessions.is_current(request, user):
            logout(request)
            return redirect("accounts:login")
        if not sessions.recently_authenticated(request):
            return HttpResponseRedirect(reverse("accounts:reauth") + "?next=" + reverse("accounts:setup_totp"))
    if user is None:
        return redirect("accounts:login")
    device = TOTPDevice.objects.filter(pk=request.session.get(SETUP_DEVICE), user=user, confirmed=False).first()
    if device is None:
        device = domain.start_totp(user)
        request.session[SETUP_DEVICE] = device.pk
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST":
        # In a tuple: the action answers None (no new recovery codes) when it succeeds too.
        confirmed = submit(form, lambda data: (domain.confirm_totp(user, device, data["code"], enrolling=not signed_in),))
        if confirmed is not None:
            (codes,) = confirmed
            request.session.pop(SETUP_DEVICE, None)
            if not signed_in:
                sessions.complete(request, user, device)
                domain.signed_in(user)
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    uri = domain.totp_uri(device)
    secret = uri.split("secret=")[1].split("&")[0]
    # Groups of four, each kept whole when the line wraps on a phone (the template's spans).
    groups = [secret[i : i + 4] for i in range(0, len(secret), 4)]
    return render(request, "accounts/setup_totp.html", {"form": form, "qr": _qr_svg(uri), "groups": groups, "uri": uri})


@public
@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest, token: str) -> HttpResponse:
    link = EnrolmentLink.find_valid(token)
    if link is None:
        return render(request, "accounts/enrol_invalid.html", status=404)
    form = EnrolPasswordForm(request.POST or None)
    if request.method == "POST":
        user = submit(form, lambda data: domain.enrol_set_password(link, data["password"], data["duress_password"]), "password")
        if user is not None:
            logout(request)
            sessions.begin(request, user, enrolling=True)
            return redirect("accounts:setup_totp")
    return render(request, "accounts/enrol.html", {"form": form, "username": link.user.username})


@trustee_allowed
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User):
        domain.signed_out(request.user)
    logout(request)
    return redirect("accounts:login")


@trustee_allowed
@never_cache
@require_http_methods(["GET", "POST"])
def reauth_view(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request)
    form = ReauthForm(request.POST or None, initial={"username": user.username})
    if request.method == "POST" and form.is_valid():
        if lockout.check(user.username).locked:
            _form_error(form, _("Too many failed attempts. Try again later."))
        elif form.cleaned_data["username"].lower() != user.username.lower() or not user.check_password(
            form.cleaned_data["password"]
        ):
            lockout.record_failure(user.username)
            _form_error(form, _("The username or password is not right."))
        elif (refusal := _refuse_code(user, form.cleaned_data["code"])) is not None:
            lockout.record_failure(user.username)
            _form_error(form, refusal)
        else:
            sessions.refresh_auth(request)
            return HttpResponseRedirect(_safe_next(request))
    return render(request, "accounts/reauth.html", {"form": form, "next": request.GET.get("next", "")})


def _is_ip_address(host: str) -> bool:
    """Whether the page was opened as http://192.0.2.1:8000/ or [::1]: WebAuthn needs a domain name."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    try:
        ipaddress.ip_address(name.strip("[]").split("]")[0])
    except ValueError:
        return False
    return True


@never_cache
def security_view(request: HttpRequest) -> HttpResponse:
    user = _signed_in(request)
    context = {
        "totp_devices": TOTPDevice.objects.filter(user=user, confirmed=True),
        "webauthn": WebAuthnCredential.objects.filter(user=user, confirmed=True),
        "recovery": RecoveryCodeDevice.objects.filter(user=user).first(),
        "opened_by_address": _is_ip_address(request.get_host()),
        "tokens": _with_suspension(ApiToken.objects.filter(user=user, revoked__isnull=True).order_by("-created")),
        "token_form": TokenForm(),
    }
    return render(request, "accounts/security.html", context)


@require_POST
@sessions.require_recent_auth
def remove_factor_view(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = _signed_in(request)
    device = access.get_factor_for_user(user, kind, pk)
    press(request, lambda: domain.remove_factor(user, device), _("The factor was removed."))
    return redirect("accounts:security")


@require_POST
@sessions.require_recent_auth
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    codes = domain.regenerate_recovery_codes(_signed_in(request))
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_POST
@sessions.require_recent_auth
def create_token_view(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The token name is too long."))
        return redirect("accounts:security")
    try:
        user = _signed_in(request)
        token = domain.create_api_token(user, user, form.cleaned_data["name"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:security")
    return render(request, "accounts/token_created.html", {"token": token})


def _with_suspension(tokens: Any) -> list[ApiToken]:
    epoch = keys.session_epoch()
    listed = list(tokens.select_related("user"))
    for token in listed:
        token.suspended = token.is_suspended(epoch)  # read by the template only
    return listed


@require_POST
@sessions.require_recent_auth
def activate_token_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _signed_in(request)
    token = access.get_token_for_user(user, pk)
    press(request, lambda: domain.activate_api_token(user, token), _("The token works again."))
    return redirect("accounts:security")


@require_POST
def revoke_token_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _signed_in(request)
    token = access.get_token_for_user(user, pk)
    press(request, lambda: domain.revoke_api_token(user, token), _("The token was revoked."))
    return redirect("accounts:security")


def team_view(request: HttpRequest, pk: int) -> HttpResponse:
    team = access.get_team_for_user(request.user, pk)
    return render(request, "accounts/team.html", {"team": team, "members": team.members.order_by("username")})


@never_cache
def users_view(request: HttpRequest) -> HttpResponse:
    access.user_administrator(request.user)
    users = User.objects.prefetch_related("teams").order_by("username")
    return render(request, "accounts/users.html", {"users": users})


@never_cache
@require_http_methods(["GET", "POST"])
@sessions.require_recent_auth_on_post
def new_user_view(request: HttpRequest) -> HttpResponse:
    admin = access.user_administrator(request.user)
    form = NewUserForm(request.POST or None)
    if request.method == "POST":
        created = submit(
            form,
            lambda data: domain.create_user(admin, username=data["username"], role=data["role"], teams=data["teams"]),
        )
        if created is not None:
            user, token = created
            link = request.build_absolute_uri(reverse("accounts:enrol", args=[token]))
            return render(request, "accounts/enrolment_link.html", {"target": user, "link": link})
    return render(request, "accounts/user_form.html", {"form": form, "title": _("New staff account")})


def _saved(action: Callable[..., None], *args: Any, **kwargs: Any) -> bool:
    """True once `action` ran: `submit` answers None for a refusal, and these actions return nothing."""
    action(*args, **kwargs)
    return True


@never_cache
@require_http_methods(["GET", "POST"])
@sessions.require_recent_auth_on_post
def user_view(request: HttpRequest, pk: int) -> HttpResponse:
    admin = access.user_administrator(request.user)
    target = access.get_user_for_admin(admin, pk)
    form = EditUserForm(request.POST or None, initial={"role": target.role, "teams": target.teams.all()})
    if request.method == "POST" and submit(form, lambda data: _saved(domain.set_role_and_teams, admin, target, **data)):
        messages.success(
            request, _("Saved. The user's sessions were ended and their API tokens suspended, so the change applies at once.")
        )
        return redirect("accounts:user", pk=target.pk)
    factors = {
        "totp": TOTPDevice.objects.filter(user=target, confirmed=True).count(),
        "webauthn": WebAuthnCredential.objects.filter(user=target, confirmed=True).count(),
    }
    return render(request, "accounts/user.html", {"target": target, "form": form, "factors": factors, "roles": Role})


@require_POST
@sessions.require_recent_auth
def user_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = access.user_administrator(request.user)
    target = access.get_user_for_admin(actor, pk)
    try:
        if action == "end-sessions":
            domain.end_sessions(actor, target)
            messages.success(
                request, _("All sessions of %(user)s were ended and their API tokens suspended.") % {"user": target.username}
            )
        elif action == "reenrol":
            token = domain.reissue_enrolment(actor, target)
            link = request.build_absolute_uri(reverse("accounts:enrol", args=[token]))
            return render(request, "accounts/enrolment_link.html", {"target": target, "link": link})
        elif action in ("deactivate", "activate"):
            domain.set_active(actor, target, action == "activate")
            messages.success(request, _("Saved."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("accounts:user", pk=target.pk)
