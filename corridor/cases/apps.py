from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "corridor.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from corridor.cases import reminders, signals

        signals.connect()
        reminders.register()  # tasks due and overdue, told once a day (notifications' job registry)
