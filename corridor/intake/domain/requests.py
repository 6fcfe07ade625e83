"""The person's side of the intake: submit a request, come back with the passphrase, write again.

These work while the instance is sealed: they encrypt to public keys. They act as the system
and write no audit entry, because an entry's exact time would pinpoint when someone wrote.
The pages call the passphrase a "codename"; it is a secret, unlike a case's codename.
"""

from __future__ import annotations

import datetime
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from corridor.audit.actions import act, lock
from corridor.intake import conf, passphrases, pool
from corridor.intake.models import (
    URGENCY_ORDER,
    Direction,
    InstanceSalt,
    IntakeAttachment,
    IntakeMessage,
    IntakeRequest,
    QuestionnaireVersion,
    RequestState,
    Urgency,
    this_hour,
)
from corridor.keys import api as keys_api
from corridor.notifications import api as notifications

PAYLOAD_VERSION = 1
# Why the person's actions write no audit entry (audit.actions.Action.unaudited).
ANONYMOUS = "the intake's anonymous door: an entry's time would tell when someone wrote"


class ReplayedForm(Exception):
    """This form token was already used for a request."""


@dataclass(frozen=True)
class Answer:
    key: str
    label: str  # the question as it was asked, in the person's language
    value: str  # the answer as the person saw it (a choice's words)
    raw: str = ""  # the stored value(s), one per line (choice values, ISO dates); "" for free text


@dataclass(frozen=True)
class Attachment:
    """A file after metadata stripping, in memory only."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Thread:
    """A request opened with its passphrase; `keys.open` decrypts replies, in memory only."""

    request: IntakeRequest
    passphrase: str = field(repr=False)
    keys: keys_api.DerivedKeys = field(repr=False)


@dataclass(frozen=True)
class PersonMessage:
    hour: datetime.datetime
    direction: str
    text: str | None  # None for the person's own messages: they are not readable with the passphrase


# -- passphrases -------------------------------------------------------------------------------


def instance_salt() -> bytes:
    """The instance's argon2id salt, made by the first request that needs it."""
    row = InstanceSalt.objects.filter(pk=1).first()
    if row is None:
        try:
            with act(None, None) as action:
                row = InstanceSalt.objects.create(pk=1, salt=keys_api.random_salt())
                action.unaudited(ANONYMOUS)  # made by the first request for help: its time is that request's
        except IntegrityError:  # another worker made it first: use theirs
            row = InstanceSalt.objects.get(pk=1)
    return bytes(row.salt)


def derive(passphrase: str) -> keys_api.DerivedKeys:
    return keys_api.derive(passphrase, instance_salt(), conf.kdf_params())


def new_passphrase() -> tuple[str, keys_api.DerivedKeys]:
    """A fresh passphrase and its keys: from this worker's pool when it has one ready (removed
    from it here, so it is handed out once), else derived now, as before the pool existed."""
    salt, params, words = instance_salt(), conf.kdf_params(), conf.passphrase_words()
    ready = pool.pool().take(salt, params, words)
    if ready is not None:
        return ready.passphrase, ready.keys
    passphrase = passphrases.generate(words)
    return passphrase, keys_api.derive(passphrase, salt, params)


def find(typed: str) -> Thread | None:
    """The thread for a typed passphrase, or None. Runs the KDF whenever the input has the
    right shape, whether or not such a thread exists."""
    passphrase = passphrases.parse(typed, conf.passphrase_words())
    if passphrase is None:
        return None
    keys = derive(passphrase)
    request = IntakeRequest.objects.filter(lookup=keys.lookup.hex()).exclude(state=RequestState.SPAM).first()
    if request is None:
        return None
    return Thread(request=request, passphrase=passphrase, keys=keys)


# -- payloads ----------------------------------------------------------------------------------


def answers_payload(answers: Sequence[Answer], lang: str) -> bytes:
    body = {
        "v": PAYLOAD_VERSION,
        "lang": lang,
        "answers": [
            {"key": a.key, "label": a.label, "value": a.value, **({"raw": a.raw} if a.raw and a.raw != a.value else {})}
            for a in answers
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def parse_answers(plain: bytes) -> list[Answer]:
    body = json.loads(plain.decode("utf-8"))
    return [Answer(str(a["key"]), str(a["label"]), str(a["value"]), str(a.get("raw", ""))) for a in body.get("answers", [])]


def attachment_payload(attachment: Attachment) -> bytes:
    header = json.dumps({"name": attachment.name, "type": attachment.content_type}, ensure_ascii=False).encode("utf-8")
    return struct.pack(">I", len(header)) + header + attachment.data


def parse_attachment(plain: bytes) -> Attachment:
    (length,) = struct.unpack(">I", plain[:4])
    header = json.loads(plain[4 : 4 + length].decode("utf-8"))
    return Attachment(name=str(header["name"]), content_type=str(header["type"]), data=plain[4 + length :])


def _check_text(text: str, passphrase: str | None) -> None:
    if passphrases.looks_like_passphrase(text, passphrase):
        raise ValidationError(
            _(
                "Your message seems to contain a codename. Never write your codename in a message: "
                "anyone who reads the message could then read our replies to you. Remove it and send again."
            ),
            code="passphrase",
        )


def next_seq(request: IntakeRequest) -> int:
    """The next message number of a thread; call it on a request locked by the action."""
    last = IntakeMessage.objects.filter(request=request).aggregate(Max("seq"))["seq__max"]
    return int(last or 0) + 1


# -- actions -----------------------------------------------------------------------------------


def urgency_for(raw: Mapping[str, str]) -> str:
    """The most urgent level any configured question assigns to its answer (choice values, not labels)."""
    found = Urgency.NORMAL
    by_key = dict(raw)
    for question in conf.questions():
        level = (question.get("urgency") or {}).get(by_key.get(question["key"], ""))
        if level and URGENCY_ORDER[Urgency(level)] < URGENCY_ORDER[Urgency(found)]:
            found = level
    return str(found)


def submit(
    answers: Sequence[Answer],
    attachment: Attachment | None,
    *,
    nonce: str,
    lang: str,
    urgency: str = Urgency.NORMAL,
    held: bool = False,
    questionnaire: QuestionnaireVersion | None = None,
    more_attachments: Sequence[Attachment] = (),
) -> str:
    """Encrypt a new request to the intake key and store it; returns the new passphrase.

    Nothing but ciphertext, the lookup tag, the public key and the hour is written.
    `held`: it arrived past a rate limit and waits in triage's held list. `questionnaire`:
    the version the person answered (triage shows its questions as they were asked).
    """
    for answer in answers:
        _check_text(answer.value, None)
    passphrase, keys = new_passphrase()  # the slow KDF (if any) runs before the transaction, holding no lock
    intake = keys_api.intake_recipient()
    ciphertext = keys_api.age_encrypt(intake, answers_payload(answers, lang))
    files = [a for a in (attachment, *more_attachments) if a is not None]
    attachment_cts = [keys_api.age_encrypt(intake, attachment_payload(a)) for a in files]
    hour = this_hour()
    try:
        with act(None, None) as action:
            request = IntakeRequest.objects.create(
                lookup=keys.lookup.hex(),
                recipient=keys.recipient,
                form_nonce=nonce,
                urgency=Urgency(urgency),
                held=held,
                created_hour=hour,
                activity_hour=hour,
                questionnaire=questionnaire,
            )
            message = IntakeMessage.objects.create(
                request=request, seq=1, direction=Direction.IN, ciphertext=ciphertext, created_hour=hour
            )
            for attachment_ct in attachment_cts:
                IntakeAttachment.objects.create(message=message, ciphertext=attachment_ct)
            notifications.request_arrived(
                emergency=request.urgency == Urgency.EMERGENCY,
                link=_triage_link(request),
                alert_key=notifications.subject_key(request),
                held=held,
            )
            action.unaudited(ANONYMOUS)
    except IntegrityError:
        if IntakeRequest.objects.filter(form_nonce=nonce).exists():
            raise ReplayedForm from None
        raise
    return passphrase


def send(thread: Thread, text: str, attachment: Attachment | None = None) -> IntakeMessage:
    """A follow-up from the person, encrypted to the intake key like the first request."""
    text = text.strip()
    if not text:
        raise ValidationError(_("The message is empty."), code="empty")
    _check_text(text, thread.passphrase)
    intake = keys_api.intake_recipient()
    ciphertext = keys_api.age_encrypt(intake, answers_payload([Answer("message", "", text)], ""))
    attachment_ct = keys_api.age_encrypt(intake, attachment_payload(attachment)) if attachment else None
    hour = this_hour()
    with act(None, None) as action:
        request = lock(thread.request)
        message = IntakeMessage.objects.create(
            request=request, seq=next_seq(request), direction=Direction.IN, ciphertext=ciphertext, created_hour=hour
        )
        if attachment_ct is not None:
            IntakeAttachment.objects.create(message=message, ciphertext=attachment_ct)
        request.awaiting_reply = True
        request.activity_hour = hour
        request.save(update_fields=["awaiting_reply", "activity_hour"])
        case = request.case
        notifications.person_replied(
            link=_triage_link(request), owner=case.owner if case else None, team=case.team if case else None
        )
        action.unaudited(ANONYMOUS)
    return message


def _triage_link(request: IntakeRequest) -> str:
    """Where staff open the request: a path inside the app, shown in the app only (never mailed)."""
    return reverse("intake:request", args=[request.pk])


def person_view(thread: Thread) -> list[PersonMessage]:
    """Replies decrypted with the passphrase's key; the person's own messages only as dates.

    Their own words are encrypted to the organisation alone, so whoever forces a passphrase
    out of someone learns our replies but not what they told us.
    """
    shown: list[PersonMessage] = []
    for message in IntakeMessage.objects.filter(request=thread.request).order_by("seq"):
        if message.direction == Direction.OUT:
            text = thread.keys.open(bytes(message.ciphertext)).decode("utf-8")
            shown.append(PersonMessage(message.created_hour, Direction.OUT, text))
        else:
            shown.append(PersonMessage(message.created_hour, Direction.IN, None))
    return shown
