"""`corridor seal`: drop every key in the running key service (a lockdown from the shell)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from corridor.keys import nodes


class Command(BaseCommand):
    help = "Seal the running instance now: keys dropped, every session ended."

    def handle(self, *args: Any, **options: Any) -> None:
        nodes.lockdown(actor=None, reason="cli")
        self.stdout.write("sealed")
