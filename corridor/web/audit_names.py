"""Audit names the web app writes (corridor/audit/names.py)."""

from corridor.audit.names import AuditAction


class WebAudit(AuditAction):
    DEMO_BULK_POPULATE = "demo.bulk_populate"
