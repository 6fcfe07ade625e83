"""The relocation app: countries, programmes, applications, engagements, figures and route ranking."""

from django.apps import AppConfig


class RelocationConfig(AppConfig):
    name = "corridor.relocation"
    label = "relocation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corridor.relocation import reminders

        reminders.register()  # stalled applications and overdue next steps, told once a day
