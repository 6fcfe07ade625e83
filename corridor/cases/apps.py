from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "corridor.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from corridor.cases import reindex, reminders, signals

        signals.connect()
        post_migrate.connect(reindex.after_migrate, dispatch_uid="cases.reindex_name_parts")
        reminders.register()  # tasks due and overdue, told once a day (notifications' job registry)
