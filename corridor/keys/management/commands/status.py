"""`corridor status`: 'sealed' or 'unsealed' on the first line, then the share count."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from corridor.keys import vault
from corridor.keys.errors import KeyServiceUnavailable


class Command(BaseCommand):
    help = "Print 'sealed' or 'unsealed' and how many shares have been entered so far."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            state = vault.keyring().status()
        except KeyServiceUnavailable:
            self.stdout.write("sealed")
            self.stderr.write("the key service is not running")
            return
        self.stdout.write("sealed" if state.sealed else "unsealed")
        if not state.initialized:
            self.stdout.write("not initialised: run 'corridor init'")
        elif state.sealed:
            self.stdout.write(f"shares entered: {state.shares_received} of {state.threshold}")
