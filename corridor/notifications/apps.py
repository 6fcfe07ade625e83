"""Notifications: duty rosters, alerts that carry no content, their outbox and the worker that sends them."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "corridor.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The audit layer's alarms (lockdown, failing log, unseal) and the periodic jobs.
        from corridor.notifications import watch

        watch.register()
