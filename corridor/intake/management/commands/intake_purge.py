"""`corridor intake_purge`: delete spam and never-answered anonymous requests past their time.

Run it daily (cron or a systemd timer). It works while the instance is sealed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from corridor.intake import conf, domain


class Command(BaseCommand):
    help = "Delete spam and unanswered anonymous requests idle longer than INTAKE_PURGE_*_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        purged = domain.purge()
        spam_days, unanswered_days = conf.purge_days()
        self.stdout.write(
            f"deleted {purged.spam} spam request(s) idle > {spam_days} days, "
            f"{purged.unanswered} unanswered request(s) idle > {unanswered_days} days"
        )
