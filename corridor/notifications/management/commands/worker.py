"""`corridor worker`: send queued alerts and run the periodic jobs, sealed or not."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from corridor.notifications import worker


class Command(BaseCommand):
    help = "Send queued alerts by e-mail and run the periodic jobs (escalation, summaries); needs no keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit (for a timer or a test)")
        parser.add_argument("--tick", type=float, default=None, help="seconds between rounds (CORRIDOR_NOTIFY_TICK_SECONDS)")
        parser.add_argument(
            "--lease", type=int, default=None, help="seconds a claimed message is held before it may be sent again"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = worker.run(tick_seconds=options["tick"], lease_seconds=options["lease"], once=options["once"])
        if options["once"]:
            self.stdout.write(f"sent {sent}")
