"""Audit names the relocation app writes (corridor/audit/names.py)."""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names


class RelocationAudit(AuditAction):
    PROFILE_UPDATE = "relocation.profile.update"
    PROGRAMME_CREATE = "programme.create"
    PROGRAMME_UPDATE = "programme.update"
    ENGAGEMENT_CREATE = "engagement.create"
    ENGAGEMENT_CLOSE = "engagement.close"
    VIEW_ENGAGEMENTS = "country.view_engagements"
    CONTACT_CREATE = "contact.create"
    CONTACT_LIST = "contact.list"
    APPLICATION_CREATE = "application.create"
    APPLICATION_CHECKLIST = "application.checklist"
    STATUS_DRAFT = "application.status.draft"
    STATUS_SUBMITTED = "application.status.submitted"
    STATUS_INTERVIEW = "application.status.interview"
    STATUS_DOCUMENTS_REQUESTED = "application.status.documents_requested"
    STATUS_DECISION = "application.status.decision"
    STATUS_VISA_ISSUED = "application.status.visa_issued"
    STATUS_TRAVEL_BOOKED = "application.status.travel_booked"
    STATUS_DEPARTED = "application.status.departed"
    STATUS_ARRIVED = "application.status.arrived"
    STATUS_REFUSED = "application.status.refused"
    STATUS_WITHDRAWN = "application.status.withdrawn"


# What the auditor's page says for each name, in the page's language.
label_names(
    RelocationAudit,
    {
        RelocationAudit.PROFILE_UPDATE: _("Country profile changed"),
        RelocationAudit.PROGRAMME_CREATE: _("Programme added"),
        RelocationAudit.PROGRAMME_UPDATE: _("Programme changed"),
        RelocationAudit.ENGAGEMENT_CREATE: _("Engagement recorded"),
        RelocationAudit.ENGAGEMENT_CLOSE: _("Engagement closed"),
        RelocationAudit.VIEW_ENGAGEMENTS: _("A country's engagements viewed"),
        RelocationAudit.CONTACT_CREATE: _("Contact added"),
        RelocationAudit.CONTACT_LIST: _("List of contacts viewed"),
        RelocationAudit.APPLICATION_CREATE: _("Visa application started"),
        RelocationAudit.APPLICATION_CHECKLIST: _("Application checklist changed"),
        RelocationAudit.STATUS_DRAFT: _("Application status: draft"),
        RelocationAudit.STATUS_SUBMITTED: _("Application status: submitted"),
        RelocationAudit.STATUS_INTERVIEW: _("Application status: interview scheduled"),
        RelocationAudit.STATUS_DOCUMENTS_REQUESTED: _("Application status: additional documents requested"),
        RelocationAudit.STATUS_DECISION: _("Application status: positive decision"),
        RelocationAudit.STATUS_VISA_ISSUED: _("Application status: visa issued"),
        RelocationAudit.STATUS_TRAVEL_BOOKED: _("Application status: travel booked"),
        RelocationAudit.STATUS_DEPARTED: _("Application status: departed"),
        RelocationAudit.STATUS_ARRIVED: _("Application status: arrived"),
        RelocationAudit.STATUS_REFUSED: _("Application status: refused"),
        RelocationAudit.STATUS_WITHDRAWN: _("Application status: withdrawn"),
    },
)
