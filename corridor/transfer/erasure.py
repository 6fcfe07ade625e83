"""What the erasure of a person reaches, counted before anything goes (the preview), and its
audit names and permissions.

A person is erased by crypto-shredding: every data key that encrypts something naming or
describing them is destroyed (keys.models.DataKey.shred), rows that are only about them are
deleted, and once the key epoch that wrapped those keys is retired no backup brings them back.

What goes, and why (docs/operators/retention.md says the same):

- their own record (names, birth date, contacts, location, languages …): the person's key
  is shredded, which also deletes their blind-index rows (name parts, phone, codename); the
  Person row stays as a tombstone (a codename and the time of erasure) so the audit log and
  any family case still resolve;
- their documents (passport scans): each document's key is shredded, its file deleted;
- a case whose only member they are ("their case"): its key is shredded (notes, summary,
  status reasons, verifications, consents, risk assessments, needs, tasks, break-glass reasons,
  relocation profile, application channels and refusal texts all lived under it), the intake
  thread that was moved into it is deleted (intake messages are age ciphertext to the intake
  recipient, which the instance can still open: only deleting the rows removes them), and the
  case with every row under it is deleted;
- a family case (other members remain) stays: it is also theirs. The person's own rows in it
  go (consents they gave, placements, documents about them, applications that included only
  them; they are taken off the others), but the shared case record — summary, notes, status
  reasons, the intake thread — stays under the case key because it describes the other
  members too. The preview says so and lists the cases, so whoever erases can first edit
  what names the person there;
- documentation: each act in which they are the victim is deleted (its place, reason and
  consequences describe them, and are encrypted under the event's key, which other acts of
  the event share, so nothing but deleting the rows removes them; the event stays for the
  other victims and the statistics lose one act); each testimony they gave is deleted after
  its key is shredded (its pieces of information go with it);
- their relations to others (both directions) and duplicate reviews about them are deleted.

Audit entries stay: their details are encrypted under the subject's data key, so they become
unreadable with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import rules
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from corridor.accounts.models import User
from corridor.accounts.rules import is_admin, is_caseworker
from corridor.audit.names import AuditAction, label_names
from corridor.cases import access
from corridor.cases.models import (
    Case,
    CaseMember,
    Consent,
    Document,
    DuplicateReview,
    Note,
    Person,
    Placement,
    Relation,
    RiskAssessment,
    StatusChange,
    Verification,
)
from corridor.documentation.models import Act, Information, Source
from corridor.intake.models import IntakeMessage, IntakeRequest
from corridor.keys.api import BlindIndexEntry
from corridor.relocation.models import Application, ApplicationEvent
from corridor.transfer.models import Referral, ReferralImport

# -- names and permissions ---------------------------------------------------------------------

REQUEST_ERASURE = "transfer.request_erasure"
APPROVE_ERASURE = "transfer.approve_erasure"
VIEW_ERASURES = "transfer.view_erasures"

# Caseworkers (of a person they can see: the views reach the person through cases/access.py)
# and admins ask for and approve erasures; the approval must be another person's (the action
# checks) and is given on a page after step-up authentication.
rules.add_perm(REQUEST_ERASURE, is_caseworker | is_admin)
rules.add_perm(APPROVE_ERASURE, is_caseworker | is_admin)
rules.add_perm(VIEW_ERASURES, is_caseworker | is_admin)


class ErasureAudit(AuditAction):
    ERASURE_REQUEST = "erasure.request"
    ERASURE_APPROVE = "erasure.approve"
    ERASURE_CANCEL = "erasure.cancel"
    ERASED_RECORD = "erasure.delete"


label_names(
    ErasureAudit,
    {
        ErasureAudit.ERASURE_REQUEST: _("Erasure of a person requested"),
        ErasureAudit.ERASURE_APPROVE: _("Erasure of a person approved and carried out"),
        ErasureAudit.ERASURE_CANCEL: _("Erasure request cancelled"),
        ErasureAudit.ERASED_RECORD: _("Record deleted by an erasure"),
    },
)


# -- the plan ----------------------------------------------------------------------------------

# The kinds counted, in the order the preview lists them ("3 case notes").
KINDS: dict[str, Any] = {
    "person": ngettext_lazy("%(n)d personal record (names, birth date, contacts, location)", "%(n)d personal records", "n"),
    "name_index": ngettext_lazy(
        "%(n)d search index entry (name parts, phone, codename)", "%(n)d search index entries (name parts, phone, codename)", "n"
    ),
    "documents": ngettext_lazy("%(n)d document and its file", "%(n)d documents and their files", "n"),
    "cases": ngettext_lazy("%(n)d case of which they are the only member", "%(n)d cases of which they are the only member", "n"),
    "notes": ngettext_lazy("%(n)d case note", "%(n)d case notes", "n"),
    "status_reasons": ngettext_lazy("%(n)d status change reason", "%(n)d status change reasons", "n"),
    "verifications": ngettext_lazy("%(n)d verification", "%(n)d verifications", "n"),
    "consents": ngettext_lazy("%(n)d consent", "%(n)d consents", "n"),
    "risk_assessments": ngettext_lazy("%(n)d risk assessment", "%(n)d risk assessments", "n"),
    "intake_threads": ngettext_lazy("%(n)d request for help moved into a case", "%(n)d requests for help moved into cases", "n"),
    "intake_messages": ngettext_lazy("%(n)d message of those requests", "%(n)d messages of those requests", "n"),
    "placements": ngettext_lazy("%(n)d safe-house placement", "%(n)d safe-house placements", "n"),
    "applications": ngettext_lazy("%(n)d relocation application", "%(n)d relocation applications", "n"),
    "application_events": ngettext_lazy("%(n)d application history entry", "%(n)d application history entries", "n"),
    "acts": ngettext_lazy(
        "%(n)d documented act in which they are the victim", "%(n)d documented acts in which they are the victim", "n"
    ),
    "testimonies": ngettext_lazy("%(n)d testimony they gave", "%(n)d testimonies they gave", "n"),
    "information": ngettext_lazy(
        "%(n)d piece of information from their testimonies", "%(n)d pieces of information from their testimonies", "n"
    ),
    "relations": ngettext_lazy("%(n)d relation to another person", "%(n)d relations to other people", "n"),
    "duplicate_reviews": ngettext_lazy("%(n)d duplicate review", "%(n)d duplicate reviews", "n"),
    "referrals": ngettext_lazy(
        "%(n)d referral to a partner organisation (what was chosen, for whom, the bundle's fingerprint)",
        "%(n)d referrals to partner organisations (what was chosen, for whom, the bundles' fingerprints)",
        "n",
    ),
    "referral_imports": ngettext_lazy(
        "%(n)d record of a referral received from a partner", "%(n)d records of referrals received from partners", "n"
    ),
}


def describe(kind: str, count: int) -> str:
    """'3 case notes' in the current language."""
    return str(KINDS[kind] % {"n": count})


@dataclass(frozen=True)
class Plan:
    """What erasing one person removes (counts by kind) and the family cases that stay."""

    person: Person
    solo_cases: list[Case]
    family_cases: list[Case]
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[tuple[int, str]]:
        """(count, label) for every kind with something in it, in the preview's order."""
        return [(self.counts[kind], describe(kind, self.counts[kind])) for kind in KINDS if self.counts.get(kind)]


def cases_of(person: Person) -> tuple[list[Case], list[Case]]:
    """(their own cases, family cases): the cases they are a member of, split by whether anyone else is."""
    case_ids = CaseMember.objects.filter(person=person).values_list("case_id", flat=True)
    cases = Case.objects.filter(pk__in=case_ids).annotate(member_count=Count("members")).order_by("reference")
    solo: list[Case] = [case for case in cases if case.member_count == 1]
    family: list[Case] = [case for case in cases if case.member_count > 1]
    return solo, family


def documents_of(person: Person, solo: list[Case]) -> QuerySet[Document]:
    return Document.objects.filter(Q(person=person) | Q(case__in=solo))


def placements_of(person: Person, solo: list[Case]) -> QuerySet[Placement]:
    return Placement.objects.filter(Q(person=person) | Q(case__in=solo))


def applications_of(person: Person, solo: list[Case], family: list[Case]) -> tuple[list[Application], list[Application]]:
    """(deleted, person taken off): applications of their own cases, and family applications
    that included only them, are deleted; other family applications lose them as a member."""
    deleted = list(Application.objects.filter(case__in=solo))
    shared: list[Application] = []
    for application in Application.objects.filter(case__in=family, members=person).annotate(n=Count("members")):
        (deleted if application.n == 1 else shared).append(application)
    return deleted, shared


def consents_of(person: Person, solo: list[Case]) -> QuerySet[Consent]:
    return Consent.objects.filter(Q(person=person) | Q(case__in=solo))


def intake_of(solo: list[Case]) -> QuerySet[IntakeRequest]:
    return IntakeRequest.objects.filter(case__in=solo)


def relations_of(person: Person) -> QuerySet[Relation]:
    return Relation.objects.filter(Q(person=person) | Q(other=person))


def referrals_of(person: Person, solo: list[Case]) -> QuerySet[Referral]:
    """Referrals prepared for them, in any case, and every referral of their own cases. A bundle
    already sent is the partner's to erase; what stays here of it (which partner, which fields,
    its fingerprint) names them, and goes."""
    return Referral.objects.filter(Q(person=person) | Q(case__in=solo))


def referral_imports_of(solo: list[Case]) -> QuerySet[ReferralImport]:
    """Where their own cases came from: the partner's referral id ties them to the partner's record."""
    return ReferralImport.objects.filter(case__in=solo)


def erasable_by(user: User) -> QuerySet[Person]:
    """The people `user` may preview, ask for or approve the erasure of: those whose every case
    they can see. An erasure reaches all of a person's cases and the preview counts what is in
    them, so someone who cannot open one of those cases is answered 404, as for a person they
    cannot see at all (cases/access.py)."""
    hidden = CaseMember.objects.exclude(case__in=access.cases_visible_to(user)).values("person_id")
    return access.people_visible_to(user).exclude(pk__in=hidden)


def plan(person: Person) -> Plan:
    """Count, without decrypting anything, what erasing `person` would remove."""
    solo, family = cases_of(person)
    deleted_apps, _shared = applications_of(person, solo, family)
    acts = Act.objects.filter(victim=person)
    testimonies = Source.objects.filter(person=person)
    counts = {
        "person": 0 if person.erased is not None else 1,
        "name_index": BlindIndexEntry.objects.filter(data_key_id=person.data_key_id).count(),
        "documents": documents_of(person, solo).count(),
        "cases": len(solo),
        "notes": Note.objects.filter(case__in=solo).count(),
        "status_reasons": StatusChange.objects.filter(case__in=solo).count(),
        "verifications": Verification.objects.filter(case__in=solo).count(),
        "consents": consents_of(person, solo).count(),
        "risk_assessments": RiskAssessment.objects.filter(case__in=solo).count(),
        "intake_threads": intake_of(solo).count(),
        "intake_messages": IntakeMessage.objects.filter(request__case__in=solo).count(),
        "placements": placements_of(person, solo).count(),
        "applications": len(deleted_apps),
        "application_events": ApplicationEvent.objects.filter(application__in=deleted_apps).count(),
        "acts": acts.count(),
        "testimonies": testimonies.count(),
        "information": Information.objects.filter(Q(source__in=testimonies) | Q(act__in=acts)).count(),
        "relations": relations_of(person).count(),
        "duplicate_reviews": DuplicateReview.objects.filter(person=person).count(),
        "referrals": referrals_of(person, solo).count(),
        "referral_imports": referral_imports_of(solo).count(),
    }
    return Plan(person=person, solo_cases=solo, family_cases=family, counts=counts)


__all__ = [
    "APPROVE_ERASURE",
    "KINDS",
    "REQUEST_ERASURE",
    "VIEW_ERASURES",
    "ErasureAudit",
    "Plan",
    "describe",
    "erasable_by",
    "plan",
]
