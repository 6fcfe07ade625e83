"""E-mail to staff: texts made of kinds and counts only, in the recipient's language, with the
instance's address; encrypted to the recipient's age key when they registered one.

Nothing here reads a case, a person or a request: the only inputs are {kind: count}, whether
it is the daily summary, a language and the address. So a mail can be built while sealed, and
what a mailbox shows is what the issue allows ("1 new emergency request for your team — sign
in to read it"). OpenPGP is left out: no OpenPGP library for Python is both well kept and
pinnable today (PGPy's last release is from 2022); age is what keys already uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.core import served
from corridor.keys import api as keys_api
from corridor.notifications.models import Kind, describe

SUMMARY = "summary"  # the key in a Delivery's counts that marks the daily summary


@dataclass(frozen=True)
class Letter:
    """What one message says, before it has an address."""

    subject: str
    body: str


def compose(counts: Mapping[str, int], *, language: str) -> Letter:
    """Subject and body for {kind: count} (and SUMMARY for the daily summary), in `language`."""
    summary = bool(counts.get(SUMMARY))
    kinds = [(kind, n) for kind, n in sorted(counts.items()) if kind != SUMMARY and n > 0 and kind in Kind.values]
    address = f"{served.base_url()}/"
    with translation.override(language):
        lines = [describe(kind, n) for kind, n in kinds]
        total = sum(n for _kind, n in kinds)
        if summary:
            subject = _("Daily summary")
            head = ngettext(
                "%(count)d new notification in the last 24 hours",
                "%(count)d new notifications in the last 24 hours",
                total,
            ) % {"count": total}
            lines = [head, *lines]
        elif len(lines) == 1:
            subject = lines[0]
        else:
            subject = ngettext("%(count)d new notification", "%(count)d new notifications", total) % {"count": total}
        body = "\n".join(
            [
                *lines,
                "",
                _("Sign in to read more: %(address)s") % {"address": address},
                "",
                _("This message says only what kind of thing happened and how often; the details are in Corridor."),
            ]
        )
    return Letter(subject, body + "\n")


def encrypted(letter: Letter, recipient: str, *, language: str) -> Letter:
    """The letter encrypted (subject and body) to the recipient's age key, under a neutral subject."""
    plain = f"{letter.subject}\n\n{letter.body}".encode()
    armour = keys_api.encrypt_to_age_recipient(recipient, plain, armored=True).decode("ascii")
    with translation.override(language):
        subject = _("New message")
        intro = _("This message is encrypted to the age key you registered. Decrypt it with: age -d -i YOUR-KEY-FILE")
    return Letter(subject, f"{intro}\n\n{armour}")


def message_id(batch: str) -> str:
    """The Message-ID of a batch: the same batch sent again carries the same one."""
    host = urlsplit(served.base_url()).hostname or "localhost"
    return f"<{batch}@{host}>"


def build(
    counts: Mapping[str, int],
    *,
    to: str,
    language: str,
    batch: str,
    age_recipient: str = "",
    connection: BaseEmailBackend | None = None,
) -> EmailMessage:
    """The whole message for one batch: composed, encrypted if asked, with its fixed Message-ID."""
    letter = compose(counts, language=language)
    if age_recipient:
        letter = encrypted(letter, age_recipient, language=language)
    return EmailMessage(
        subject=letter.subject,
        body=letter.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        headers={
            "Message-ID": message_id(batch),
            "Date": formatdate(localtime=False),
            # Automatic mail: vacation responders must not answer it (RFC 3834).
            "Auto-Submitted": "auto-generated",
        },
    )
