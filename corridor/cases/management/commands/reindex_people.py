"""`corridor reindex_people`: give people entered before per-part name search their indexes.

Needs the instance unsealed (tokens come from the key service); resumable and idempotent.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.cases.domain.people import index_name_parts
from corridor.keys import api as keys


class Command(BaseCommand):
    help = "Index every person's name parts for search (run once after upgrading, while unsealed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=200, help="people per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        if keys.is_sealed():
            raise CommandError("the instance is sealed: unseal it, then run reindex_people again")
        count = index_name_parts(max(1, options["batch"]))
        self.stdout.write(f"indexed the name parts of {count} people")
