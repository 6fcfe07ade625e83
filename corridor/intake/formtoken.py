"""One-time form tokens for the public form: replay and flooding control without a cookie.

CSRF is no threat to an anonymous form: a forged post carries no session and gains the
forger nothing they could not do by posting themselves. What matters is replay and bulk
posting, so each form carries a server-signed token with a random nonce and the time it
was served. A post is refused if it comes sooner than a person could have written it or
hours later, and the nonce is stored with the request, so one token makes one request.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.core import signing

from corridor.intake import conf

_SALT = "corridor.intake.form"


class TokenProblem(Exception):
    """Why a form token was refused: "invalid", "too_fast" or "expired"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FormToken:
    nonce: str
    served: float


def issue(now: float | None = None) -> str:
    served = int(now if now is not None else time.time())
    return signing.dumps({"n": secrets.token_hex(16), "t": served}, salt=_SALT, compress=False)


def check(token: str, now: float | None = None) -> FormToken:
    try:
        value = signing.loads(token, salt=_SALT)
        nonce, served = str(value["n"]), float(value["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise TokenProblem("invalid") from None
    age = (now if now is not None else time.time()) - served
    if age < conf.min_fill_seconds():
        raise TokenProblem("too_fast")
    if age > conf.form_max_age_seconds():
        raise TokenProblem("expired")
    return FormToken(nonce=nonce, served=served)
