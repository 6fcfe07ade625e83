"""`corridor import_people FILE --user NAME`: people and cases from a CSV or XLSX spreadsheet.

The columns are mapped from the headers (English or Russian; `--map 3=phone` changes one,
`--map 3=` leaves it out); every bad row is printed with its line and reason and nothing is
written, unless `--valid-only`. The file is read into memory and never copied. Needs the
instance unsealed (the people are encrypted as they are written).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.accounts.models import Team, User
from corridor.transfer import legacy, spreadsheet
from corridor.transfer.domain.legacy import import_rows


class Command(BaseCommand):
    help = "Import people and their cases from a CSV or XLSX spreadsheet (checked first; nothing written if a row is bad)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV (UTF-8 or Windows-1251, any delimiter) or XLSX file")
        parser.add_argument("--user", required=True, help="the caseworker importing: the cases are theirs and audited as theirs")
        parser.add_argument("--team", help="team for rows without a team column")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help=f"column number (from 1) to field; fields: {', '.join(legacy.FIELDS)}",
        )
        parser.add_argument("--valid-only", action="store_true", help="import the valid rows even when others are bad")
        parser.add_argument("--check", action="store_true", help="only check the file and print the report")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as error:
            raise CommandError(f"no active user {options['user']!r}") from error
        team = None
        if options["team"]:
            team = Team.objects.filter(name=options["team"]).first()
            if team is None:
                raise CommandError(f"no team {options['team']!r}")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
            table = spreadsheet.read(data, path.name)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from error
        except spreadsheet.SpreadsheetError as error:
            raise CommandError(str(error)) from error
        mapping = legacy.suggest_mapping(table.headers)
        for item in options["map"]:
            column, _sep, field_name = item.partition("=")
            if not column.isdigit() or int(column) < 1:
                raise CommandError(f"--map {item!r}: COLUMN is a number from 1")
            mapping = {k: v for k, v in mapping.items() if k != int(column) - 1 and v != field_name}
            if field_name:
                mapping[int(column) - 1] = field_name
        try:
            mapping = legacy.clean_mapping(mapping, len(table.headers))
        except ValueError as error:
            raise CommandError(str(error)) from error
        for index, field_name in sorted(mapping.items()):
            self.stdout.write(f"column {index + 1} {table.headers[index]!r} -> {field_name}")
        plan = legacy.check(actor, table, mapping, team)
        for row_error in plan.errors:
            self.stdout.write(f"line {row_error.line}: {row_error.reason}")
        self.stdout.write(f"{plan.total} rows: {len(plan.rows)} valid, {len(plan.bad_lines())} with errors")
        if options["check"]:
            return
        if plan.errors and not options["valid_only"]:
            raise CommandError(
                f"nothing imported: {len(plan.bad_lines())} rows have errors (first: line {plan.errors[0].line}); "
                "correct them, or import the valid rows with --valid-only"
            )
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        try:
            with Progress(*columns, transient=not sys.stderr.isatty(), disable=not sys.stderr.isatty()) as progress:
                task = progress.add_task("importing", total=len(plan.rows))
                cases = import_rows(
                    actor,
                    plan,
                    valid_only=options["valid_only"],
                    progress=lambda done, _total: progress.advance(task, done - progress.tasks[0].completed),
                )
        except ValidationError as error:
            raise CommandError("nothing imported: " + "; ".join(error.messages)) from error
        self.stdout.write(f"imported {len(cases)} people, each with a case")
