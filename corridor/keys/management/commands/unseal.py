"""`corridor unseal`: read one share from standard input and give it to the key service.

`corridor unseal --reset` discards the shares entered so far; it needs no share, because
only someone with a shell on the server can run it. Every reset is audited.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.keys import instance, nodes


class Command(BaseCommand):
    help = "Submit one unseal share, read from standard input (paste it, or pipe it in)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="discard the shares entered so far (from the web page or this command); audited",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            outcome = instance.reset_unseal(None)
            if outcome.error:
                raise CommandError(outcome.error)
            self.stdout.write(outcome.message)
            return
        if sys.stdin.isatty():
            self.stderr.write("Paste your share and press Enter:")
        text = sys.stdin.readline().strip()
        if not text:
            raise CommandError("no share on standard input")
        outcome = nodes.submit_share(text)
        if outcome.error:
            raise CommandError(outcome.error)
        self.stdout.write(outcome.message)
