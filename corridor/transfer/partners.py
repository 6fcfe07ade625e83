"""Partner keys as admins type them, and the fingerprints they read aloud to the partner.

The signing key is given in base64 (as the Partners page shows it); the age recipient
as age writes it ("age1…"). Fingerprints are SHA-256 in hex, in groups of four.
"""

from __future__ import annotations

import base64
import binascii

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.keys import api as keys
from corridor.transfer.models import Partner


def parse_signing_key(text: str) -> bytes:
    """The raw Ed25519 key in `text` (base64), or ValidationError saying what is wrong."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not keys.is_signing_public_key(raw):
        raise ValidationError({"signing_key": _("This is not an Ed25519 public key in base64 (44 characters).")})
    return raw


def parse_recipient(text: str) -> str:
    recipient = text.strip()
    if not keys.is_age_recipient(recipient):
        raise ValidationError({"age_recipient": _("This is not an age public key (it begins with age1).")})
    return recipient


def signing_key_of(partner: Partner) -> bytes:
    return base64.b64decode(partner.signing_key)


def signing_fingerprint(partner: Partner) -> str:
    return keys.key_fingerprint(signing_key_of(partner))


def recipient_fingerprint(partner: Partner) -> str:
    return keys.key_fingerprint(partner.age_recipient.encode("ascii"))


def own_keys() -> dict[str, str]:
    """This instance's keys to give partners: the age recipient, the signing key and their fingerprints."""
    signing = keys.own_signing_public_key()
    recipient = keys.referral_recipient()
    return {
        "age_recipient": recipient,
        "age_fingerprint": keys.key_fingerprint(recipient.encode("ascii")),
        "signing_key": base64.b64encode(signing).decode("ascii"),
        "signing_fingerprint": keys.key_fingerprint(signing),
    }
