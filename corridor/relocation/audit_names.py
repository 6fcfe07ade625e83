"""Audit names the relocation app writes (corridor/audit/names.py)."""

from corridor.audit.names import AuditAction


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
