"""Erasure of a person: asked for by one person, carried out when a second one approves.

The approval runs the whole erasure in one durable action (corridor/audit/actions.py): what
corridor/transfer/erasure.py's plan counts is shredded or deleted, or nothing is. Files on
disk go once it commits (DataKey.shred defers them).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Role, User
from corridor.audit.actions import Action, act, lock
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import Case, Document, DuplicateReview, Person
from corridor.documentation.models import Act, Source
from corridor.keys.api import DataKey
from corridor.transfer import erasure
from corridor.transfer.erasure import APPROVE_ERASURE, REQUEST_ERASURE, ErasureAudit, Plan
from corridor.transfer.models import ErasureRequest, ErasureStatus


def request_erasure(actor: User, person: Person) -> ErasureRequest:
    """Ask for `person` to be erased; nothing is removed until someone else approves."""
    with act(actor, REQUEST_ERASURE, person) as action:
        locked = lock(person)
        if locked.erased is not None:
            raise ValidationError(_("This person's data was already erased."))
        _refuse_unless_every_case_seen(actor, locked)
        if ErasureRequest.objects.filter(person=locked, status=ErasureStatus.REQUESTED).exists():
            raise ValidationError(_("An erasure of this person is already waiting for approval."))
        request = ErasureRequest.objects.create(person=locked, requested_by=actor)
        action.record(ErasureAudit.ERASURE_REQUEST, request)
    return request


def _refuse_unless_every_case_seen(actor: User, person: Person) -> None:
    """The erasure reaches all of the person's cases: a caseworker who asks for or approves it
    sees them all. Administrators work organisation-wide and reach no person through the pages
    (cases/access.py); their authority here is left as it was."""
    if actor.role != Role.ADMIN and not erasure.erasable_by(actor).filter(pk=person.pk).exists():
        raise PermissionDenied


def cancel_erasure(actor: User, request: ErasureRequest) -> ErasureRequest:
    """Withdraw a request still waiting (the requester or anyone who could approve it)."""
    with act(actor, REQUEST_ERASURE, request.person) as action:
        locked = lock(request)
        if locked.status != ErasureStatus.REQUESTED:
            raise ValidationError(_("This erasure request was already decided."))
        locked.status = ErasureStatus.CANCELLED
        locked.decided = timezone.now()
        locked.decided_by = actor
        locked.save(update_fields=["status", "decided", "decided_by"])
        action.record(ErasureAudit.ERASURE_CANCEL, locked)
    return locked


def approve_erasure(actor: User, request: ErasureRequest) -> ErasureRequest:
    """A second person approves: the person is erased now, everything the plan counted goes.

    The caller (a page behind step-up authentication) has confirmed the approver's password
    and second factor recently; the requester can never approve their own request.
    """
    with act(actor, APPROVE_ERASURE, request.person) as action:
        locked = lock(request)
        if locked.status != ErasureStatus.REQUESTED:
            raise ValidationError(_("This erasure request was already decided."))
        if locked.requested_by_id == actor.pk:
            raise PermissionDenied(_("Someone other than the person who asked must approve an erasure."))
        person = lock(locked.person)
        _refuse_unless_every_case_seen(actor, person)
        done = erase_now(action, actor, person)
        locked.status = ErasureStatus.DONE
        locked.decided = timezone.now()
        locked.decided_by = actor
        locked.counts = done.counts
        locked.save(update_fields=["status", "decided", "decided_by", "counts"])
        action.record(ErasureAudit.ERASURE_APPROVE, locked)
    return locked


def _shred_all(actor: Any, key_ids: list[Any]) -> None:
    for data_key in DataKey.objects.filter(pk__in=key_ids, shredded__isnull=True).order_by("pk"):
        data_key.shred(actor=actor)


def erase_now(action: Action, actor: User | None, person: Person) -> Plan:
    """Remove everything `erasure.plan` counts for `person`, inside the caller's action.

    `person` is locked by the caller. Retention (actor None, the system) calls it for the
    members of expired closed cases who are in no other case.
    """
    done = erasure.plan(person)
    solo = done.solo_cases

    # Documentation: the acts they suffered (rows only: the event's key is shared), and the
    # testimonies they gave (their own keys shredded, then the rows with their information).
    acts = list(Act.objects.filter(victim=person))
    for act_row in acts:
        action.record(ErasureAudit.ERASED_RECORD, act_row)
    Act.objects.filter(pk__in=[a.pk for a in acts]).delete()
    sources = list(Source.objects.filter(person=person))
    for source in sources:
        action.record(ErasureAudit.ERASED_RECORD, source)
    source_keys = [s.data_key_id for s in sources]
    Source.objects.filter(pk__in=[s.pk for s in sources]).delete()
    _shred_all(actor, source_keys)

    # Documents: the rows hold their files (PROTECT), so they go first; the shred deletes the files.
    documents = list(erasure.documents_of(person, solo))
    for document in documents:
        action.record(ErasureAudit.ERASED_RECORD, document)
    document_keys = [d.data_key_id for d in documents]
    Document.objects.filter(pk__in=[d.pk for d in documents]).delete()
    _shred_all(actor, document_keys)

    # Their own rows in any case, and what links them to other people.
    erasure.placements_of(person, solo).delete()
    erasure.consents_of(person, solo).delete()
    erasure.relations_of(person).delete()
    DuplicateReview.objects.filter(person=person).delete()
    deleted_apps, shared_apps = erasure.applications_of(person, solo, done.family_cases)
    for application in deleted_apps:
        action.record(ErasureAudit.ERASED_RECORD, application)
        application.delete()
    for application in shared_apps:
        application.members.remove(person)

    # Referrals prepared for them or of their own cases, and the provenance of cases received
    # for them: which partner, which fields, which bundle (the sent bundle is the partner's).
    for referral in erasure.referrals_of(person, solo):
        action.record(ErasureAudit.ERASED_RECORD, referral)
        referral.delete()
    for received in erasure.referral_imports_of(solo):
        action.record(ErasureAudit.ERASED_RECORD, received)
        received.delete()

    # The intake threads moved into their own cases: age ciphertext the instance can still
    # open, so the rows go.
    for request in erasure.intake_of(solo):
        action.record(ErasureAudit.ERASED_RECORD, request)
        request.delete()

    # Their own cases: the key shredded (every child record and audit detail under it
    # becomes unreadable, backups too once the epoch is retired), then the rows.
    for case in solo:
        locked_case = lock(case)
        action.record(ErasureAudit.ERASED_RECORD, locked_case)
        locked_case.data_key.shred(actor=actor)
        Case.objects.filter(pk=locked_case.pk).delete()

    # Last, the person's own key: their fields and blind-index rows (name parts); the row
    # stays as a tombstone (as cases' erase_person leaves it, which the system cannot call).
    if person.erased is None:
        person.data_key.shred(actor=actor)
        person.erased = timezone.now()
        person.save(update_fields=["erased"])
        action.record(CaseAudit.PERSON_ERASE, person)
    # A request still waiting (retention got there first) is answered by this erasure.
    ErasureRequest.objects.filter(person=person, status=ErasureStatus.REQUESTED).update(
        status=ErasureStatus.DONE, decided=timezone.now(), decided_by=actor, counts=done.counts
    )
    return done


__all__ = ["approve_erasure", "cancel_erasure", "erase_now", "request_erasure"]
