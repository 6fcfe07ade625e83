"""Staff and one thread: read it, download a file, reply, move new messages to the case.

Needs the instance unsealed (the intake key opens the person's messages). Every read is
audited like a state change; the permission is intake.handle_request on the request.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import Action, act, lock
from corridor.audit.names import LogAudit
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, DocumentKind
from corridor.intake import questionnaire
from corridor.intake.audit_names import IntakeAudit
from corridor.intake.domain.requests import Answer, Attachment, next_seq, parse_answers, parse_attachment
from corridor.intake.models import Direction, IntakeAttachment, IntakeMessage, IntakeRequest, RequestState, this_hour
from corridor.keys import api as keys_api
from corridor.notifications import api as notifications

HANDLE = "intake.handle_request"


@dataclass(frozen=True)
class StaffMessage:
    seq: int
    hour: datetime.datetime
    direction: str
    answers: list[Answer]
    author: User | None
    attachments: list[IntakeAttachment]


def lock_request(actor: User, request: IntakeRequest) -> IntakeRequest:
    """`request` under a row lock, still the actor's to handle.

    A case may have been opened from it since the caller read it; then only those who may see
    that case may go on, exactly as for the case itself.
    """
    locked = lock(request)
    if not actor.has_perm(HANDLE, locked):
        raise PermissionDenied(HANDLE)
    return locked


def open_thread(actor: User, request: IntakeRequest) -> list[StaffMessage]:
    """Decrypt every message of the thread with the intake key, in one key-service call."""
    with act(actor, HANDLE, request) as action:
        shown = read_thread(action, request)
    return shown


def read_thread(action: Action, request: IntakeRequest) -> list[StaffMessage]:
    messages = list(
        IntakeMessage.objects.filter(request=request).select_related("author").prefetch_related("attachments").order_by("seq")
    )
    plains = keys_api.open_intake([bytes(m.ciphertext) for m in messages]) if messages else []
    # The questions of the version the person answered, in the reader's language: as they were asked.
    questions = questionnaire.questions_of(request.questionnaire) if request.questionnaire_id is not None else []
    action.record(LogAudit.READ, request)
    notifications.acknowledge(notifications.subject_key(request))  # opened: its emergency alert escalates no further
    shown: list[StaffMessage] = []
    for message, plain in zip(messages, plains, strict=True):
        if message.direction == Direction.OUT:
            answers = [Answer("reply", "", plain.decode("utf-8"))]
        else:
            answers = parse_answers(plain)
            if message.seq == 1 and request.questionnaire_id is not None:
                answers = questionnaire.as_asked(questions, answers, get_language() or "ru")
        shown.append(
            StaffMessage(
                message.seq, message.created_hour, message.direction, answers, message.author, list(message.attachments.all())
            )
        )
    return shown


def open_attachment(actor: User, attachment: IntakeAttachment) -> Attachment:
    request = attachment.message.request
    with act(actor, HANDLE, request) as action:
        plain = keys_api.open_intake([bytes(attachment.ciphertext)])[0]
        action.record(LogAudit.READ, request)
    return parse_attachment(plain)


def reply(actor: User, request: IntakeRequest, text: str) -> IntakeMessage:
    """Encrypt a reply to the person's passphrase key and to the intake key (for the thread)."""
    text = text.strip()
    with act(actor, HANDLE, request) as action:
        locked = lock_request(actor, request)
        if not text:
            raise ValidationError({"text": _("The reply is empty.")})
        if locked.state == RequestState.SPAM:
            raise ValidationError({"text": _("This request is marked as spam. Restore it before replying.")})
        ciphertext = keys_api.age_encrypt_to_many([locked.recipient, keys_api.intake_recipient()], text.encode("utf-8"))
        hour = this_hour()
        message = IntakeMessage.objects.create(
            request=locked, seq=next_seq(locked), direction=Direction.OUT, ciphertext=ciphertext, created_hour=hour, author=actor
        )
        locked.awaiting_reply = False
        locked.answered = True
        locked.held = False
        locked.activity_hour = hour
        locked.save(update_fields=["awaiting_reply", "answered", "held", "activity_hour"])
        action.record(IntakeAudit.REPLY, locked)
    request.refresh_from_db()
    return message


def move_new_messages(actor: User, request: IntakeRequest) -> None:
    """Messages that arrived after the case was opened go to its notes too."""
    with act(actor, HANDLE, request) as action:
        locked = lock_request(actor, request)
        case = locked.case
        if case is None:
            raise ValidationError(_("No case was opened from this request."))
        messages = [m for m in read_thread(action, locked) if m.direction == Direction.IN]
        if not messages:
            action.unchanged()  # already moved: someone else pressed the button first
            return
        move_into(actor, locked, case, messages)
        locked.save(update_fields=["awaiting_reply", "activity_hour"])
        action.record(IntakeAudit.MOVE, locked)
    request.refresh_from_db()


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


def _move_attachment(actor: User, case: Case, attachment: IntakeAttachment) -> None:
    """An intake file becomes a case document through the documents action, custody and all."""
    plain = parse_attachment(keys_api.open_intake([bytes(attachment.ciphertext)])[0])
    upload = SimpleUploadedFile(plain.name or "intake", plain.data, content_type=plain.content_type[:60])
    cases_domain.upload_document(actor, case, upload, DocumentKind.OTHER, description="")


def move_into(actor: User, request: IntakeRequest, case: Case, messages: Sequence[StaffMessage]) -> None:
    """Inside an action on the locked `request`: the messages become a note and documents of `case`."""
    cases_domain.add_note(actor, case, _thread_text(messages))
    for message in messages:
        for attachment in message.attachments:
            _move_attachment(actor, case, attachment)
    moved = [m.seq for m in messages if m.direction == Direction.IN]
    IntakeMessage.objects.filter(request=request, seq__in=moved).delete()  # attachments cascade
    request.awaiting_reply = False
    request.activity_hour = this_hour()
