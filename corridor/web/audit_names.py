"""Audit names the web app writes (corridor/audit/names.py)."""

from corridor.audit.names import AuditAction


class WebAudit(AuditAction):
    """None yet: the demo's bulk load is the cases app's (CaseAudit.DEMO_BULK_POPULATE), which writes it."""
