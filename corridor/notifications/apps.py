"""Notifications: duty rosters, alerts that carry no content, their outbox and the worker that sends them."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "corridor.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The audit layer's alarms (lockdown, failing log, unseal) and the periodic jobs.
        from corridor.accounts.session_store import SessionStore
        from corridor.notifications import jobs, watch

        watch.register()
        # Expired session rows hold nothing that signs anyone in (only key digests), but they
        # name who was signed in when: drop them within the hour instead of never.
        jobs.register("accounts.expired_sessions", SESSION_SWEEP_SECONDS, SessionStore.clear_expired)


SESSION_SWEEP_SECONDS = 3600
