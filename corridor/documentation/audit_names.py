"""Audit names the documentation app writes (corridor/audit/names.py)."""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names


class DocumentationAudit(AuditAction):
    TERM_ADD = "documentation.term.add"
    TERM_UPDATE = "documentation.term.update"
    EVENT_CREATE = "documentation.event.create"
    EVENT_UPDATE = "documentation.event.update"
    EVENT_LINK = "documentation.event.link"
    EVENT_LIST = "documentation.event.list"
    ACT_ADD = "documentation.act.add"
    ACT_UPDATE = "documentation.act.update"
    INVOLVEMENT_ADD = "documentation.involvement.add"
    INVOLVEMENT_REMOVE = "documentation.involvement.remove"
    PERPETRATOR_CREATE = "documentation.perpetrator.create"
    PERPETRATOR_UPDATE = "documentation.perpetrator.update"
    PERPETRATOR_LIST = "documentation.perpetrator.list"
    SOURCE_CREATE = "documentation.source.create"
    SOURCE_UPDATE = "documentation.source.update"
    SOURCE_LIST = "documentation.source.list"
    SOURCE_DERIVED = "documentation.source.derived"
    INFORMATION_LINK = "documentation.information.link"
    EVIDENCE_ADD = "documentation.evidence.add"
    EVIDENCE_REDACTED = "documentation.evidence.redacted"
    EVIDENCE_CUSTODY = "documentation.evidence.custody"
    EVIDENCE_VIEWED = "documentation.evidence.viewed"
    EVIDENCE_DOWNLOADED = "documentation.evidence.downloaded"
    EXPORT_CSV = "documentation.export.csv"
    EXPORT_JSON = "documentation.export.json"
    IMPORT_MEDIA = "documentation.import.media"
    NEAR_DUPLICATES = "documentation.near_duplicates"


# What the auditor's page says for each name, in the page's language.
label_names(
    DocumentationAudit,
    {
        DocumentationAudit.TERM_ADD: _("Vocabulary term added"),
        DocumentationAudit.TERM_UPDATE: _("Vocabulary term changed"),
        DocumentationAudit.EVENT_CREATE: _("Event recorded"),
        DocumentationAudit.EVENT_UPDATE: _("Event changed"),
        DocumentationAudit.EVENT_LINK: _("Events linked in a chain"),
        DocumentationAudit.EVENT_LIST: _("List of events viewed"),
        DocumentationAudit.ACT_ADD: _("Act recorded"),
        DocumentationAudit.ACT_UPDATE: _("Act changed"),
        DocumentationAudit.INVOLVEMENT_ADD: _("Perpetrator linked to an act"),
        DocumentationAudit.INVOLVEMENT_REMOVE: _("Perpetrator unlinked from an act"),
        DocumentationAudit.PERPETRATOR_CREATE: _("Perpetrator recorded"),
        DocumentationAudit.PERPETRATOR_UPDATE: _("Perpetrator changed"),
        DocumentationAudit.PERPETRATOR_LIST: _("List of perpetrators viewed"),
        DocumentationAudit.SOURCE_CREATE: _("Source recorded"),
        DocumentationAudit.SOURCE_UPDATE: _("Source changed"),
        DocumentationAudit.SOURCE_LIST: _("List of sources viewed"),
        DocumentationAudit.SOURCE_DERIVED: _("Source marked as derived from another"),
        DocumentationAudit.INFORMATION_LINK: _("Source linked to an event"),
        DocumentationAudit.EVIDENCE_ADD: _("Evidence added"),
        DocumentationAudit.EVIDENCE_REDACTED: _("Redacted copy of evidence added"),
        DocumentationAudit.EVIDENCE_CUSTODY: _("Chain of custody recorded"),
        DocumentationAudit.EVIDENCE_VIEWED: _("Evidence viewed"),
        DocumentationAudit.EVIDENCE_DOWNLOADED: _("Evidence downloaded"),
        DocumentationAudit.EXPORT_CSV: _("Events exported (CSV)"),
        DocumentationAudit.EXPORT_JSON: _("Events exported (JSON)"),
        DocumentationAudit.IMPORT_MEDIA: _("Media reports imported as sources"),
        DocumentationAudit.NEAR_DUPLICATES: _("Near-copies of a source looked up"),
    },
)
