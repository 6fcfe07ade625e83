"""Audit names the cases app writes (corridor/audit/names.py).

Names built from a status or a scope are declared for every value the model allows; the
tests check that none is missing (corridor/audit/tests/test_names.py).
"""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names, object_page


class CaseAudit(AuditAction):
    PERSON_CREATE = "person.create"
    PERSON_UPDATE = "person.update"
    PERSON_ERASE = "person.erase"
    PERSON_LIST = "person.list"
    PERSON_SEARCH = "person.search"
    PERSON_REINDEX = "person.reindex"
    DUPLICATE_CHECK = "person.duplicate_check"
    DUPLICATE_CHECK_LIMITED = "person.duplicate_check.limited"
    DUPLICATE_REVIEW_OPEN = "person.duplicate_review.open"
    DUPLICATE_REVIEW_DONE = "person.duplicate_review.done"
    CASE_OPEN = "case.open"
    CASE_LIST = "case.list"
    ADD_MEMBER = "case.add_member"
    VERIFY = "case.verify"
    RISK = "case.risk"
    OWNER_ASSIGN = "case.owner.assign"
    OWNER_RELEASE = "case.owner.release"
    BREAK_GLASS = "case.break_glass"
    BREAK_GLASS_REVIEWED = "case.break_glass.reviewed"
    STATUS_NEW = "case.status.new"
    STATUS_VERIFYING = "case.status.verifying"
    STATUS_ACTIVE = "case.status.active"
    STATUS_RELOCATING = "case.status.relocating"
    STATUS_ARRIVED = "case.status.arrived"
    STATUS_CLOSED = "case.status.closed"
    STATUS_ON_HOLD = "case.status.on_hold"
    PRIORITY_EMERGENCY = "case.priority.emergency"
    PRIORITY_URGENT = "case.priority.urgent"
    PRIORITY_NORMAL = "case.priority.normal"
    CONSENT_GIVE_STORE = "consent.give.store"
    CONSENT_GIVE_SHARE = "consent.give.share"
    CONSENT_GIVE_STATISTICS = "consent.give.statistics"
    CONSENT_WITHDRAW_STORE = "consent.withdraw.store"
    CONSENT_WITHDRAW_SHARE = "consent.withdraw.share"
    CONSENT_WITHDRAW_STATISTICS = "consent.withdraw.statistics"
    NOTE_ADD = "note.add"
    NEED_ADD = "need.add"
    NEED_OPEN = "need.open"
    NEED_IN_PROGRESS = "need.in_progress"
    NEED_MET = "need.met"
    TASK_ADD = "task.add"
    TASK_DONE = "task.done"
    SAFEHOUSE_CREATE = "safehouse.create"
    SAFEHOUSE_COMPROMISED = "safehouse.compromised"
    PLACEMENT_START = "placement.start"
    PLACEMENT_END = "placement.end"
    DOCUMENT_UPLOAD = "document.upload"
    DOCUMENT_LIST = "document.list"
    DOCUMENT_VIEWED = "document.viewed"
    DOCUMENT_DOWNLOADED = "document.downloaded"
    DEMO_BULK_POPULATE = "demo.bulk_populate"


# What the auditor's page says for each name, in the page's language.
label_names(
    CaseAudit,
    {
        CaseAudit.PERSON_CREATE: _("Person entered"),
        CaseAudit.PERSON_UPDATE: _("Person's details changed"),
        CaseAudit.PERSON_ERASE: _("Person's data erased"),
        CaseAudit.PERSON_LIST: _("List of people viewed"),
        CaseAudit.PERSON_SEARCH: _("People searched (terms not kept)"),
        CaseAudit.PERSON_REINDEX: _("Search indexes of name parts built"),
        CaseAudit.DUPLICATE_CHECK: _("Checked for duplicates"),
        CaseAudit.DUPLICATE_CHECK_LIMITED: _("Duplicate checks paused (too many)"),
        CaseAudit.DUPLICATE_REVIEW_OPEN: _("Possible duplicate sent for review"),
        CaseAudit.DUPLICATE_REVIEW_DONE: _("Possible duplicate reviewed"),
        CaseAudit.CASE_OPEN: _("New case created"),
        CaseAudit.CASE_LIST: _("List of cases viewed"),
        CaseAudit.ADD_MEMBER: _("Person added to a case"),
        CaseAudit.VERIFY: _("Verification recorded"),
        CaseAudit.RISK: _("Risk assessed"),
        CaseAudit.OWNER_ASSIGN: _("Case owner assigned"),
        CaseAudit.OWNER_RELEASE: _("Case owner released"),
        CaseAudit.BREAK_GLASS: _("Emergency access to another team's case"),
        CaseAudit.BREAK_GLASS_REVIEWED: _("Emergency access reviewed"),
        CaseAudit.STATUS_NEW: _("Case status: new"),
        CaseAudit.STATUS_VERIFYING: _("Case status: verifying"),
        CaseAudit.STATUS_ACTIVE: _("Case status: active"),
        CaseAudit.STATUS_RELOCATING: _("Case status: relocating"),
        CaseAudit.STATUS_ARRIVED: _("Case status: arrived"),
        CaseAudit.STATUS_CLOSED: _("Case status: closed"),
        CaseAudit.STATUS_ON_HOLD: _("Case status: on hold"),
        CaseAudit.PRIORITY_EMERGENCY: _("Case priority: emergency"),
        CaseAudit.PRIORITY_URGENT: _("Case priority: urgent"),
        CaseAudit.PRIORITY_NORMAL: _("Case priority: normal"),
        CaseAudit.CONSENT_GIVE_STORE: _("Consent given: storing their data"),
        CaseAudit.CONSENT_GIVE_SHARE: _("Consent given: sharing with a named partner"),
        CaseAudit.CONSENT_GIVE_STATISTICS: _("Consent given: anonymised statistics"),
        CaseAudit.CONSENT_WITHDRAW_STORE: _("Consent withdrawn: storing their data"),
        CaseAudit.CONSENT_WITHDRAW_SHARE: _("Consent withdrawn: sharing with a named partner"),
        CaseAudit.CONSENT_WITHDRAW_STATISTICS: _("Consent withdrawn: anonymised statistics"),
        CaseAudit.NOTE_ADD: _("Note added"),
        CaseAudit.NEED_ADD: _("Need recorded"),
        CaseAudit.NEED_OPEN: _("Need reopened"),
        CaseAudit.NEED_IN_PROGRESS: _("Need in progress"),
        CaseAudit.NEED_MET: _("Need met"),
        CaseAudit.TASK_ADD: _("Task added"),
        CaseAudit.TASK_DONE: _("Task done"),
        CaseAudit.SAFEHOUSE_CREATE: _("Safe house added"),
        CaseAudit.SAFEHOUSE_COMPROMISED: _("Safe house marked compromised"),
        CaseAudit.PLACEMENT_START: _("Person placed in a safe house"),
        CaseAudit.PLACEMENT_END: _("Stay in a safe house ended"),
        CaseAudit.DOCUMENT_UPLOAD: _("Document uploaded"),
        CaseAudit.DOCUMENT_LIST: _("List of documents viewed"),
        CaseAudit.DOCUMENT_VIEWED: _("Document viewed"),
        CaseAudit.DOCUMENT_DOWNLOADED: _("Document downloaded"),
        CaseAudit.DEMO_BULK_POPULATE: _("Demo data loaded"),
    },
)


# Where the auditor's page links an entry's object. Roles that read the log do not work cases,
# so they get no link here: need to know holds on the audit page too (the case page would
# answer 404 anyway to anyone outside the case's team).
object_page("cases.case", "cases:case", "cases.view_case")
object_page("cases.person", "cases:person", "cases.view_case")
