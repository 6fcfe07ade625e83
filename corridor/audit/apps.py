"""App configuration for the audit log (design Invariant 6)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "corridor.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from corridor.audit.log import standalone_epochs

        try:
            from corridor.keys.models import register_epoch_user
        except ImportError:  # an older corridor.keys without data keys has no epoch purge
            return
        register_epoch_user(standalone_epochs)
