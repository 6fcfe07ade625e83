"""The relocation app: countries, programmes, applications, engagements, figures and route ranking."""

from django.apps import AppConfig


class RelocationConfig(AppConfig):
    name = "corridor.relocation"
    label = "relocation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from corridor.relocation import reminders, tally
        from corridor.relocation.models import ApplicationTally

        reminders.register()  # stalled applications and overdue next steps, told once a day
        # However an application goes (erasure deletes it, or its case), its counts leave the
        # figures' summary in the same transaction: a signal, because the deletes are other apps'.
        pre_delete.connect(tally.forget, sender=ApplicationTally, dispatch_uid="relocation.tally.forget")
