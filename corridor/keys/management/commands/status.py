"""`corridor status`: 'sealed' or 'unsealed' on the first line, then the share count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from corridor.keys import instance, keystore
from corridor.keys.errors import KeyServiceUnavailable


class Command(BaseCommand):
    help = "Print 'sealed' or 'unsealed' and how many shares have been entered so far."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            state = instance.keyring().status()
        except KeyServiceUnavailable:
            self.stdout.write("sealed")
            if _never_initialised(Path(settings.DATA_DIR)):
                raise CommandError(f"{settings.DATA_DIR} has no keys yet: run `corridor init` first") from None
            self.stderr.write("the key service is not running")
            return
        self.stdout.write("sealed" if state.sealed else "unsealed")
        if not state.initialized:
            self.stdout.write("not initialised: run 'corridor init'")
        elif state.sealed:
            self.stdout.write(f"shares entered: {state.shares_received} of {state.threshold}")


def _never_initialised(data_dir: Path) -> bool:
    # keyd may run as its own user with a keys folder this user cannot look into: then we
    # cannot tell, and say nothing rather than something wrong.
    try:
        return not keystore.exists(data_dir)
    except PermissionError:
        return False
