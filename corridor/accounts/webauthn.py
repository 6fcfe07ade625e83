"""Security keys and passkeys: the WebAuthn ceremonies for adding one and signing in with one.

Owns the relying-party identity, the single-use challenges kept in the session, and the
four JSON endpoints that corridor/core/static/corridor/webauthn.js talks to.
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authentication_credential_json, parse_registration_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from corridor.accounts import domain, lockout, sessions
from corridor.accounts.models import User, WebAuthnCredential
from corridor.core.decorators import public
from corridor.core.errors import Conflict

CHALLENGE_SECONDS = 2 * 60
NAME_MAX = 60
_REGISTER = "corridor.webauthn.register"
_LOGIN = "corridor.webauthn.login"
# Whatever a hostile or broken client sends, the ceremony answers 400, never 500. The
# library raises its own exceptions for most malformed input; the rest surface as these.
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, AttributeError)


class CeremonyError(Exception):
    """A ceremony step failed; the message is safe to show to the person at the keyboard."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# ---------------------------------------------------------------------------------------
# Relying party: who the browser thinks it is talking to.


def rp_id(request: HttpRequest) -> str:
    """WEBAUTHN_RP_ID if set, else the requested host without its port.

    get_host() is already checked against ALLOWED_HOSTS, and the browser refuses an RP ID
    that does not match the page's origin, so the Host header cannot widen this.
    """
    configured = getattr(settings, "WEBAUTHN_RP_ID", None)
    if configured:
        return str(configured)
    domain_name, _port = split_domain_port(request.get_host())
    return domain_name


def expected_origin(request: HttpRequest) -> str:
    configured = getattr(settings, "WEBAUTHN_ORIGIN", None)
    if configured:
        return str(configured).rstrip("/")
    return request.build_absolute_uri("/").rstrip("/")


def rp_name() -> str:
    return str(getattr(settings, "ORGANISATION_NAME", "Corridor"))


def user_handle(user: User) -> bytes:
    """A stable, opaque WebAuthn user id: authenticators never learn the database key."""
    return salted_hmac("corridor.accounts.webauthn.user", str(user.pk), algorithm="sha256").digest()


# ---------------------------------------------------------------------------------------
# Challenges: one per purpose in the session, short-lived, removed when first used.


def _issue_challenge(request: HttpRequest, key: str, user: User, challenge: bytes) -> None:
    request.session[key] = {"challenge": challenge.hex(), "user": user.pk, "expires": time.time() + CHALLENGE_SECONDS}


def _take_challenge(request: HttpRequest, key: str, user: User) -> bytes:
    """Pop the challenge whatever happens next, so a response can be tried only once."""
    stored = request.session.pop(key, None)
    if not isinstance(stored, dict) or stored.get("user") != user.pk:
        raise CeremonyError(_("This request has expired. Please try again."))
    if time.time() > float(stored.get("expires", 0)):
        raise CeremonyError(_("This request has expired. Please try again."))
    return bytes.fromhex(str(stored["challenge"]))


# ---------------------------------------------------------------------------------------
# Parsing what the browser sent.


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CeremonyError(_("The browser sent something that could not be read. Please try again.")) from exc
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise CeremonyError(_("The browser sent something that could not be read. Please try again."))
    return body


def _transports(credential: dict[str, Any]) -> list[str]:
    response = credential.get("response")
    given = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(given, list):
        return []
    known = {transport.value for transport in AuthenticatorTransport}
    return [value for value in given if isinstance(value, str) and value in known]


def _descriptors(credentials: Any) -> list[PublicKeyCredentialDescriptor]:
    known = {transport.value for transport in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=bytes(credential.credential_id),
            transports=[AuthenticatorTransport(t) for t in credential.transports if t in known] or None,
        )
        for credential in credentials
    ]


def clean_name(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if len(name) > NAME_MAX:
        raise CeremonyError(_("The name can be at most %(count)d characters.") % {"count": NAME_MAX})
    return name or _("Security key")


def _safe_next(request: HttpRequest, target: Any) -> str:
    if (
        isinstance(target, str)
        and target
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    ):
        return target
    return reverse("web:dashboard")


def _error(message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


# ---------------------------------------------------------------------------------------
# Views. Registration is for a signed-in user who confirmed their identity recently;
# sign-in is public but acts only for the user who has just given their password.


def _recent_auth_required(request: HttpRequest) -> JsonResponse | None:
    if sessions.recently_authenticated(request):
        return None
    reauth = f"{reverse('accounts:reauth')}?next={reverse('accounts:security')}"
    return _error(_("Please confirm your identity first, then add the key again."), status=403, reauth_url=reauth)


@never_cache
@require_POST
def register_options(request: HttpRequest) -> JsonResponse:
    user = cast(User, request.user)  # not @public: StaffSessionMiddleware let only a verified staff user through
    refused = _recent_auth_required(request)
    if refused is not None:
        return refused
    existing = WebAuthnCredential.objects.filter(user=user)
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name=rp_name(),
        user_id=user_handle(user),
        user_name=user.get_username(),
        exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        timeout=CHALLENGE_SECONDS * 1000,
    )
    _issue_challenge(request, _REGISTER, user, options.challenge)
    return JsonResponse({"options": json.loads(options_to_json(options))})


@never_cache
@require_POST
def register_verify(request: HttpRequest) -> JsonResponse:
    user = cast(User, request.user)  # not @public: StaffSessionMiddleware let only a verified staff user through
    refused = _recent_auth_required(request)
    if refused is not None:
        request.session.pop(_REGISTER, None)
        return refused
    try:
        challenge = _take_challenge(request, _REGISTER, user)
        body = _json_body(request)
        name = clean_name(body.get("name"))
        try:
            credential = parse_registration_credential_json(body["credential"])
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=rp_id(request),
                expected_origin=expected_origin(request),
            )
        except _MALFORMED as exc:
            raise CeremonyError(_("The security key could not be added. Please try again.")) from exc
        codes = domain.add_webauthn_credential(
            user,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=_transports(body["credential"]),
            name=name,
        )
    except CeremonyError as exc:
        return _error(exc.message, exc.status)
    except ValidationError as exc:
        return _error(" ".join(exc.messages))
    return JsonResponse({"ok": True, "recovery_codes": codes or [], "redirect": reverse("accounts:security")})


@public
@never_cache
@require_POST
def login_options(request: HttpRequest) -> JsonResponse:
    user = sessions.pending_user(request)
    if user is None:
        return _error(_("Please sign in again."), reauth_url=reverse("accounts:login"))
    credentials = WebAuthnCredential.objects.filter(user=user, confirmed=True)
    if not credentials.exists():
        return _error(_("No security key is registered for this account. Use a code instead."))
    options = generate_authentication_options(
        rp_id=rp_id(request),
        allow_credentials=_descriptors(credentials),
        user_verification=UserVerificationRequirement.PREFERRED,
        timeout=CHALLENGE_SECONDS * 1000,
    )
    _issue_challenge(request, _LOGIN, user, options.challenge)
    return JsonResponse({"options": json.loads(options_to_json(options))})


@public
@never_cache
@require_POST
def login_verify(request: HttpRequest) -> JsonResponse:
    user = sessions.pending_user(request)
    if user is None:
        request.session.pop(_LOGIN, None)
        return _error(_("Please sign in again."), reauth_url=reverse("accounts:login"))
    state = lockout.check(user.username)
    if state.locked:
        request.session.pop(_LOGIN, None)
        return _error(lockout.locked_message(state.minutes_left), 429)
    try:
        challenge = _take_challenge(request, _LOGIN, user)
        body = _json_body(request)
        try:
            assertion = parse_authentication_credential_json(body["credential"])
        except _MALFORMED as exc:
            raise CeremonyError(_("The browser sent something that could not be read. Please try again.")) from exc
        # Only the pending user's own keys count: a valid key of someone else is refused.
        stored = WebAuthnCredential.objects.filter(user=user, confirmed=True, credential_id=assertion.raw_id).first()
        if stored is None:
            raise CeremonyError(_("This security key is not registered for your account."))
        try:
            # The library rejects a counter that did not move on when either value is non-zero:
            # a cloned authenticator shows itself that way.
            verified = verify_authentication_response(
                credential=assertion,
                expected_challenge=challenge,
                expected_rp_id=rp_id(request),
                expected_origin=expected_origin(request),
                credential_public_key=bytes(stored.public_key),
                credential_current_sign_count=stored.sign_count,
            )
        except _MALFORMED as exc:
            raise CeremonyError(_("The security key could not be verified. Please try again.")) from exc
        try:
            # Moves the signature counter on from the value checked, and audits the sign-in.
            domain.signed_in_with_key(user, stored, verified.new_sign_count)
        except Conflict as exc:
            raise CeremonyError(_("The security key could not be verified. Please try again.")) from exc
    except CeremonyError as exc:
        return _error(exc.message, exc.status)
    lockout.record_success(user.username)
    sessions.complete(request, user, stored)
    return JsonResponse({"ok": True, "redirect": _safe_next(request, body.get("next"))})
