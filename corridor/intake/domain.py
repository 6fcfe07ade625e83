"""Every state change of the intake: submit, log in with a codename, send, reply, mark spam,
open a case, purge. Plaintext lives only in memory for the length of one call.

Anonymous actions (submit, send) need no unsealed key service: they encrypt to public
keys. They write no audit entry, because an entry's exact time would pinpoint when
someone wrote; staff actions are audited as everywhere else.
"""

from __future__ import annotations

import datetime
import io
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit import log as audit
from corridor.cases import domain as cases_domain
from corridor.cases.access import cases_visible_to
from corridor.cases.models import Case, Document, DocumentKind, Priority
from corridor.intake import codenames, conf
from corridor.intake.models import (
    URGENCY_ORDER,
    Direction,
    InstanceSalt,
    IntakeAttachment,
    IntakeMessage,
    IntakeRequest,
    RequestState,
    Urgency,
    this_hour,
)
from corridor.keys import api as keys_api
from corridor.keys import files as encrypted_files
from corridor.keys.models import DataKey

PAYLOAD_VERSION = 1


class ReplayedForm(Exception):
    """This form token was already used for a request."""


@dataclass(frozen=True)
class Answer:
    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Attachment:
    """A file after metadata stripping, in memory only."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Thread:
    """A request opened with its codename; `keys.identity` decrypts replies, in memory only."""

    request: IntakeRequest
    codename: str
    keys: keys_api.DerivedKeys = field(repr=False)


@dataclass(frozen=True)
class PersonMessage:
    hour: datetime.datetime
    direction: str
    text: str | None  # None for the person's own messages: they are not readable with the codename


@dataclass(frozen=True)
class StaffMessage:
    seq: int
    hour: datetime.datetime
    direction: str
    answers: list[Answer]
    author: User | None
    attachments: list[IntakeAttachment]


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(perm)


def _require_request(actor: User, request: IntakeRequest) -> None:
    """Triage rights, and once the request became a case, the right to see that case."""
    if not actor.has_perm("intake.handle_request", request):
        raise PermissionDenied("intake.handle_request")


def _handled_by(actor: User) -> Q:
    """Requests without a case, and those whose case the actor may see (rules: intake.handle_request)."""
    return Q(case__isnull=True) | Q(case__in=cases_visible_to(actor))


# -- codenames -----------------------------------------------------------------------------


def instance_salt() -> bytes:
    row = InstanceSalt.objects.filter(pk=1).first()
    if row is None:
        try:
            with transaction.atomic():
                row = InstanceSalt.objects.create(pk=1, salt=keys_api.random_salt())
        except IntegrityError:  # another worker made it first: use theirs
            row = InstanceSalt.objects.get(pk=1)
    return bytes(row.salt)


def derive(codename: str) -> keys_api.DerivedKeys:
    return keys_api.derive(codename, instance_salt(), conf.kdf_params())


def find(typed: str) -> Thread | None:
    """The thread for a typed codename, or None. Runs the KDF whenever the input has the
    right shape, whether or not such a thread exists."""
    codename = codenames.parse(typed, conf.codename_words())
    if codename is None:
        return None
    keys = derive(codename)
    request = IntakeRequest.objects.filter(lookup=keys.lookup.hex()).exclude(state=RequestState.SPAM).first()
    if request is None:
        return None
    return Thread(request=request, codename=codename, keys=keys)


# -- payloads --------------------------------------------------------------------------------


def _answers_payload(answers: Sequence[Answer], lang: str) -> bytes:
    body = {"v": PAYLOAD_VERSION, "lang": lang, "answers": [{"key": a.key, "label": a.label, "value": a.value} for a in answers]}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _parse_answers(plain: bytes) -> list[Answer]:
    body = json.loads(plain.decode("utf-8"))
    return [Answer(str(a["key"]), str(a["label"]), str(a["value"])) for a in body.get("answers", [])]


def _attachment_payload(attachment: Attachment) -> bytes:
    header = json.dumps({"name": attachment.name, "type": attachment.content_type}, ensure_ascii=False).encode("utf-8")
    return struct.pack(">I", len(header)) + header + attachment.data


def _parse_attachment(plain: bytes) -> Attachment:
    (length,) = struct.unpack(">I", plain[:4])
    header = json.loads(plain[4 : 4 + length].decode("utf-8"))
    return Attachment(name=str(header["name"]), content_type=str(header["type"]), data=plain[4 + length :])


def _check_text(text: str, codename: str | None) -> None:
    if codenames.looks_like_codename(text, codename):
        raise ValidationError(
            _(
                "Your message seems to contain a codename. Never write your codename in a message: "
                "anyone who reads the message could then read our replies to you. Remove it and send again."
            ),
            code="codename",
        )


# -- the person's side (works while sealed) ---------------------------------------------------


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
) -> str:
    """Encrypt a new request to the intake key and store it; returns the new codename.

    Nothing but ciphertext, the lookup tag, the public key and the hour is written.
    `held`: it arrived past a rate limit and waits in triage's held list.
    """
    for answer in answers:
        _check_text(answer.value, None)
    codename = codenames.generate(conf.codename_words())
    keys = derive(codename)
    intake = keys_api.intake_recipient()
    ciphertext = keys_api.age_encrypt(intake, _answers_payload(answers, lang))
    attachment_ct = keys_api.age_encrypt(intake, _attachment_payload(attachment)) if attachment else None
    hour = this_hour()
    try:
        with transaction.atomic():
            request = IntakeRequest.objects.create(
                lookup=keys.lookup.hex(),
                recipient=keys.recipient,
                form_nonce=nonce,
                urgency=Urgency(urgency),
                held=held,
                created_hour=hour,
                activity_hour=hour,
            )
            message = IntakeMessage.objects.create(
                request=request, seq=1, direction=Direction.IN, ciphertext=ciphertext, created_hour=hour
            )
            if attachment_ct is not None:
                IntakeAttachment.objects.create(message=message, ciphertext=attachment_ct)
    except IntegrityError:
        if IntakeRequest.objects.filter(form_nonce=nonce).exists():
            raise ReplayedForm from None
        raise
    return codename


def _next_seq(request: IntakeRequest) -> int:
    last = IntakeMessage.objects.filter(request=request).aggregate(Max("seq"))["seq__max"]
    return int(last or 0) + 1


def send(thread: Thread, text: str, attachment: Attachment | None = None) -> IntakeMessage:
    """A follow-up from the person, encrypted to the intake key like the first request."""
    text = text.strip()
    if not text:
        raise ValidationError(_("The message is empty."), code="empty")
    _check_text(text, thread.codename)
    intake = keys_api.intake_recipient()
    ciphertext = keys_api.age_encrypt(intake, _answers_payload([Answer("message", "", text)], ""))
    attachment_ct = keys_api.age_encrypt(intake, _attachment_payload(attachment)) if attachment else None
    hour = this_hour()
    with transaction.atomic():
        request = IntakeRequest.objects.select_for_update().get(pk=thread.request.pk)
        message = IntakeMessage.objects.create(
            request=request, seq=_next_seq(request), direction=Direction.IN, ciphertext=ciphertext, created_hour=hour
        )
        if attachment_ct is not None:
            IntakeAttachment.objects.create(message=message, ciphertext=attachment_ct)
        request.awaiting_reply = True
        request.activity_hour = hour
        request.save(update_fields=["awaiting_reply", "activity_hour"])
    return message


def person_view(thread: Thread) -> list[PersonMessage]:
    """Replies decrypted with the codename's key; the person's own messages only as dates.

    Their own words are encrypted to the organisation alone, so whoever forces a codename
    out of someone learns our replies but not what they told us.
    """
    shown: list[PersonMessage] = []
    for message in IntakeMessage.objects.filter(request=thread.request).order_by("seq"):
        if message.direction == Direction.OUT:
            text = keys_api.age_decrypt(thread.keys.identity, bytes(message.ciphertext)).decode("utf-8")
            shown.append(PersonMessage(message.created_hour, Direction.OUT, text))
        else:
            shown.append(PersonMessage(message.created_hour, Direction.IN, None))
    return shown


# -- staff: triage (needs the instance unsealed) ------------------------------------------------


def queue(actor: User) -> list[IntakeRequest]:
    """Requests waiting for a reply: emergencies first, then unsure, then the rest; oldest first."""
    _require(actor, "intake.triage")
    waiting = IntakeRequest.objects.filter(_handled_by(actor), awaiting_reply=True, held=False).exclude(state=RequestState.SPAM)
    return sorted(waiting, key=lambda r: (URGENCY_ORDER[Urgency(r.urgency)], r.created_hour, str(r.pk)))


def held_queue(actor: User) -> list[IntakeRequest]:
    """Requests accepted while a rate limit was reached, in the queue's order; a reply releases one."""
    _require(actor, "intake.triage")
    held = IntakeRequest.objects.filter(_handled_by(actor), awaiting_reply=True, held=True).exclude(state=RequestState.SPAM)
    return sorted(held, key=lambda r: (URGENCY_ORDER[Urgency(r.urgency)], r.created_hour, str(r.pk)))


def others(actor: User) -> list[IntakeRequest]:
    """Requests not waiting for a reply and spam, most recent activity first."""
    _require(actor, "intake.triage")
    rest = IntakeRequest.objects.filter(Q(awaiting_reply=False) | Q(state=RequestState.SPAM)).filter(_handled_by(actor))
    return list(rest.order_by("-activity_hour", "pk"))


def open_thread(actor: User, request: IntakeRequest) -> list[StaffMessage]:
    """Decrypt every message of the thread with the intake key, in one key-service call."""
    _require_request(actor, request)
    messages = list(
        IntakeMessage.objects.filter(request=request).select_related("author").prefetch_related("attachments").order_by("seq")
    )
    plains = keys_api.open_intake([bytes(m.ciphertext) for m in messages]) if messages else []
    audit.record_read(actor, request)
    shown: list[StaffMessage] = []
    for message, plain in zip(messages, plains, strict=True):
        if message.direction == Direction.OUT:
            answers = [Answer("reply", "", plain.decode("utf-8"))]
        else:
            answers = _parse_answers(plain)
        shown.append(
            StaffMessage(
                message.seq, message.created_hour, message.direction, answers, message.author, list(message.attachments.all())
            )
        )
    return shown


def open_attachment(actor: User, attachment: IntakeAttachment) -> Attachment:
    _require_request(actor, attachment.message.request)
    plain = keys_api.open_intake([bytes(attachment.ciphertext)])[0]
    audit.record_read(actor, attachment.message.request)
    return _parse_attachment(plain)


def reply(actor: User, request: IntakeRequest, text: str) -> IntakeMessage:
    """Encrypt a reply to the person's codename key and to the intake key (for the thread)."""
    _require_request(actor, request)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("The reply is empty.")})
    if request.state == RequestState.SPAM:
        raise ValidationError({"text": _("This request is marked as spam. Restore it before replying.")})
    ciphertext = keys_api.age_encrypt_to_many([request.recipient, keys_api.intake_recipient()], text.encode("utf-8"))
    hour = this_hour()
    with transaction.atomic():
        locked = IntakeRequest.objects.select_for_update().get(pk=request.pk)
        _require_request(actor, locked)  # a case may have been opened since `request` was read
        message = IntakeMessage.objects.create(
            request=locked, seq=_next_seq(locked), direction=Direction.OUT, ciphertext=ciphertext, created_hour=hour, author=actor
        )
        locked.awaiting_reply = False
        locked.answered = True
        locked.held = False
        locked.activity_hour = hour
        locked.save(update_fields=["awaiting_reply", "answered", "held", "activity_hour"])
        audit.record(actor=actor, action="intake.reply", obj=locked)
    request.refresh_from_db()
    return message


def mark_spam(actor: User, request: IntakeRequest, spam: bool = True) -> None:
    _require_request(actor, request)
    if request.state == RequestState.CASE:
        raise ValidationError(_("A request that became a case cannot be marked as spam."))
    with transaction.atomic():
        locked = IntakeRequest.objects.select_for_update().get(pk=request.pk)
        _require_request(actor, locked)  # a case may have been opened since `request` was read
        if locked.state == RequestState.CASE:
            raise ValidationError(_("A request that became a case cannot be marked as spam."))
        request.state = RequestState.SPAM if spam else RequestState.OPEN
        request.activity_hour = this_hour()
        request.save(update_fields=["state", "activity_hour"])
        audit.record(actor=actor, action="intake.spam" if spam else "intake.unspam", obj=request)


PRIORITY_FOR_URGENCY = {Urgency.EMERGENCY: Priority.EMERGENCY, Urgency.UNSURE: Priority.URGENT, Urgency.NORMAL: Priority.NORMAL}


def _thread_text(messages: Sequence[StaffMessage]) -> str:
    lines: list[str] = [_("Moved from anonymous request (times to the hour, UTC).")]
    for message in messages:
        hour = message.hour.strftime("%Y-%m-%d %H:00")
        if message.direction == Direction.OUT:
            who = message.author.username if message.author else _("staff")
            lines.append(f"\n— {hour} · {_('reply from %(who)s') % {'who': who}}")
        else:
            lines.append(f"\n— {hour} · {_('from the person')}")
        for answer in message.answers:
            lines.append(f"{answer.label}\n{answer.value}" if answer.label else answer.value)
        if message.attachments:
            lines.append(_("(%(count)d file(s), added to the case documents)") % {"count": len(message.attachments)})
    return "\n".join(lines)


def _move_attachment(actor: User, case: Case, attachment: IntakeAttachment) -> Document:
    """Re-encrypt an intake file under a new case document key (metadata was stripped on arrival)."""
    import hashlib

    plain = _parse_attachment(keys_api.open_intake([bytes(attachment.ciphertext)])[0])
    data_key = DataKey.create("document")
    stored = encrypted_files.store_encrypted(io.BytesIO(plain.data), data_key, "document")
    hour = this_hour().isoformat()
    document = Document(
        data_key=data_key,
        case=case,
        kind=DocumentKind.OTHER,
        file=stored.record,
        content_type=plain.content_type[:60],
        size=len(plain.data),
        filename=plain.name or "intake",
        sha256=hashlib.sha256(plain.data).hexdigest(),
        custody=[{"at": hour, "by": actor.pk, "action": "uploaded", "note": "anonymous intake"}],
        uploaded_by=actor,
    )
    document.save()
    return document


def open_case(actor: User, request: IntakeRequest, *, name: str, team: Team, priority: str | None = None) -> Case:
    """A person and a case from a request; the thread moves into a case note under the case key.

    The person's own messages and files leave the intake. Replies stay, so the person can
    still read them with the codename; later messages arrive here and can be moved again.
    """
    _require(actor, "intake.triage")
    if request.state == RequestState.SPAM:
        raise ValidationError(_("This request is marked as spam. Restore it before opening a case."))
    if request.case_id is not None:
        raise ValidationError(_("A case was already opened from this request."))
    messages = open_thread(actor, request)
    with transaction.atomic():
        # Read again under a lock: two operators who loaded the request at the same moment
        # must not both open a case (the second would take the request to their own team).
        locked = IntakeRequest.objects.select_for_update().get(pk=request.pk)
        if locked.case_id is not None:
            raise ValidationError(_("A case was already opened from this request."))
        if locked.state == RequestState.SPAM:
            raise ValidationError(_("This request is marked as spam. Restore it before opening a case."))
        person = cases_domain.create_person(actor, names=[{"name": name, "kind": "used"}])
        case = cases_domain.open_case(
            actor, team=team, principal=person, priority=priority or PRIORITY_FOR_URGENCY[Urgency(request.urgency)]
        )
        _move_into(actor, request, case, messages)
        request.state = RequestState.CASE
        request.case = case
        request.save(update_fields=["state", "case", "awaiting_reply", "activity_hour"])
        audit.record(actor=actor, action="intake.open_case", obj=request)
    return case


def move_new_messages(actor: User, request: IntakeRequest) -> None:
    """Messages that arrived after the case was opened go to its notes too."""
    _require_request(actor, request)
    case = request.case
    if case is None:
        raise ValidationError(_("No case was opened from this request."))
    messages = [m for m in open_thread(actor, request) if m.direction == Direction.IN]
    if not messages:
        return
    with transaction.atomic():
        _move_into(actor, request, case, messages)
        request.save(update_fields=["awaiting_reply", "activity_hour"])
        audit.record(actor=actor, action="intake.move", obj=request)


def _move_into(actor: User, request: IntakeRequest, case: Case, messages: Sequence[StaffMessage]) -> None:
    cases_domain.add_note(actor, case, _thread_text(messages))
    for message in messages:
        for attachment in message.attachments:
            _move_attachment(actor, case, attachment)
    moved = [m.seq for m in messages if m.direction == Direction.IN]
    IntakeMessage.objects.filter(request=request, seq__in=moved).delete()  # attachments cascade
    request.awaiting_reply = False
    request.activity_hour = this_hour()


# -- retention --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    spam: int
    unanswered: int


def purge(now: datetime.datetime | None = None) -> Purged:
    """Delete spam and never-answered requests idle longer than the configured days. Works sealed."""
    now = now or timezone.now()
    spam_days, unanswered_days = conf.purge_days()
    spam = IntakeRequest.objects.filter(state=RequestState.SPAM, activity_hour__lt=now - datetime.timedelta(days=spam_days))
    unanswered = IntakeRequest.objects.filter(
        state=RequestState.OPEN, answered=False, activity_hour__lt=now - datetime.timedelta(days=unanswered_days)
    )
    with transaction.atomic():
        spam_count = spam.count()
        unanswered_count = unanswered.count()
        spam.delete()
        unanswered.delete()
        if spam_count or unanswered_count:
            audit.record(actor=None, action="intake.purge", obj=None)
    return Purged(spam_count, unanswered_count)
