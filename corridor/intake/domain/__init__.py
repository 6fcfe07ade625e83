"""Every state change of the intake, one action each, grouped by area; plaintext lives only in
memory for the length of one call.

requests: the person's side (submit, come back with the passphrase, send); works sealed.
threads: staff read and answer one thread. triage: the queues, spam, a case from a request.
purge: retention.
"""

from corridor.intake.domain.purge import Purged, purge
from corridor.intake.domain.requests import (
    Answer,
    Attachment,
    PersonMessage,
    ReplayedForm,
    Thread,
    derive,
    find,
    instance_salt,
    person_view,
    send,
    submit,
    urgency_for,
)
from corridor.intake.domain.threads import StaffMessage, move_new_messages, open_attachment, open_thread, reply
from corridor.intake.domain.triage import PRIORITY_FOR_URGENCY, held_queue, mark_spam, open_case, others, queue, summaries

__all__ = [
    "PRIORITY_FOR_URGENCY",
    "Answer",
    "Attachment",
    "PersonMessage",
    "Purged",
    "ReplayedForm",
    "StaffMessage",
    "Thread",
    "derive",
    "find",
    "held_queue",
    "instance_salt",
    "mark_spam",
    "move_new_messages",
    "open_attachment",
    "open_case",
    "open_thread",
    "others",
    "person_view",
    "purge",
    "queue",
    "reply",
    "send",
    "submit",
    "summaries",
    "urgency_for",
]
