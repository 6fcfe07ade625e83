"""App configuration for the audit log (design Invariant 6)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "corridor.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        # Every app's audit_names.py, so that log.record knows every name before the first entry.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("audit_names")

        # keys reports unseals, lockdowns, shreds and epoch changes here; with no receiver it raises.
        from corridor.audit import key_events
        from corridor.keys.api import register_audit_receiver

        register_audit_receiver(key_events.receive)
