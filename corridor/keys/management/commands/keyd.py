"""`corridor keyd`: run only the key service, in the foreground."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from corridor.keys import keyd


class Command(BaseCommand):
    help = "Run the key service on its Unix socket (CORRIDOR_DATA_DIR/run/keyd.sock)."

    def handle(self, *args: Any, **options: Any) -> None:
        keyd.serve(
            Path(settings.DATA_DIR),
            Path(settings.KEYRING),
            min_retired_days=settings.KEY_EPOCH_RETENTION_DAYS,
            share_ttl_seconds=settings.UNSEAL_SHARE_MINUTES * 60,
        )
