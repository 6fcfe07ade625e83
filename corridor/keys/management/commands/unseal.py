"""`corridor unseal`: read one share from standard input and give it to the key service."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from corridor.keys import vault


class Command(BaseCommand):
    help = "Submit one unseal share, read from standard input (paste it, or pipe it in)."

    def handle(self, *args: Any, **options: Any) -> None:
        if sys.stdin.isatty():
            self.stderr.write("Paste your share and press Enter:")
        text = sys.stdin.readline().strip()
        if not text:
            raise CommandError("no share on standard input")
        outcome = vault.submit_share(text)
        if outcome.error:
            raise CommandError(outcome.error)
        self.stdout.write(outcome.message)
