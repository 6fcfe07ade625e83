"""Moving data safely: referral bundles to partner organisations, backups and restores,
spreadsheet imports, retention and the erasure of a person.

It sits above the apps whose records it moves or erases (cases, intake, relocation,
documentation), so an erasure can reach every record that names a person.
"""

from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "corridor.transfer"
    label = "transfer"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Retention and erasure (N): their audit names and permissions, and the hourly purge job.
        from corridor.transfer.domain import retention

        retention.register()  # imports erasure.py and retention.py too: their audit names and permissions

        # Legacy import (M): background imports left waiting or stopped by a web process that ended.
        from corridor.transfer.domain import import_jobs

        import_jobs.register()

        # Referral bundles previewed and never confirmed: shredded once their hour is over.
        from corridor.transfer.domain import staging

        staging.register()
