"""The anonymous intake: a public help form, passphrases, message threads and staff triage."""

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "corridor.intake"
    label = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from corridor.intake import checks, rules  # noqa: F401 -- registers checks and permissions
