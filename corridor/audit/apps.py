"""App configuration for the audit log (design Invariant 6)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "corridor.audit"
    label = "audit"
    verbose_name = _("Audit log")

