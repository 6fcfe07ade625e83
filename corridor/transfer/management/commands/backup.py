"""`corridor backup --out FILE`, `corridor backup verify FILE --identity ID`, and the trustees'
backup keys: `corridor backup keys add AGE_RECIPIENT --label L`, `keys list`, `keys remove`.

A backup works sealed and needs no key service: everything in it is ciphertext already, and
the whole is encrypted again with age to every registered backup key. Verify opens the outer
layer with one trustee's identity file and checks the rest without decrypting any record.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from corridor.core.errors import Conflict
from corridor.transfer import backup
from corridor.transfer.domain import backups as domain


class Command(BaseCommand):
    help = "Write an encrypted backup of this instance, verify one, or manage the trustees' backup keys."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", metavar="FILE", help="where to write the backup (refuses to overwrite a file)")
        parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar on stderr")
        commands = parser.add_subparsers(dest="subcommand", metavar="{verify,keys}")
        check = commands.add_parser("verify", help="check an archive: hashes, the dump loads, the keystore parses, counts")
        check.add_argument("file", metavar="FILE")
        check.add_argument("--identity", required=True, metavar="FILE", help="a trustee's age identity file (age-keygen)")
        manage = commands.add_parser("keys", help="the trustees' age public keys backups are encrypted to")
        verbs = manage.add_subparsers(dest="verb", required=True, metavar="{add,list,remove}")
        add = verbs.add_parser("add", help="register a trustee's age recipient (age1…)")
        add.add_argument("recipient")
        add.add_argument("--label", required=True, help="whose key it is (a role or codename, not a name)")
        verbs.add_parser("list", help="list the registered backup keys")
        remove = verbs.add_parser("remove", help="stop encrypting new backups to a key")
        remove.add_argument("recipient")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in backup.sweep_stale():
            self.stderr.write(f"removed {name}: the working directory of a backup, verify or restore that did not finish")
        sub = options.get("subcommand")
        try:
            if sub == "verify":
                self._verify(Path(options["file"]), Path(options["identity"]))
            elif sub == "keys":
                self._keys(options)
            else:
                if not options.get("out"):
                    raise CommandError("say where to write the backup: corridor backup --out FILE")
                self._take(Path(options["out"]), show_progress=not options["no_progress"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None

    def _keys(self, options: dict[str, Any]) -> None:
        verb = options["verb"]
        try:
            if verb == "add":
                row = domain.add_recipient(options["label"], options["recipient"])
                self.stdout.write(f"backup key added: {row.label} {row.recipient}")
            elif verb == "remove":
                row = domain.remove_recipient(options["recipient"])
                self.stdout.write(f"backup key removed: {row.label} {row.recipient}")
            else:
                for row in domain.active_recipients():
                    self.stdout.write(f"{row.recipient}  {row.label}  (added {row.added:%Y-%m-%d})")
        except (ValueError, Conflict, LookupError) as exc:
            raise CommandError(str(exc)) from None

    def _take(self, out: Path, *, show_progress: bool) -> None:
        recipients = [row.recipient for row in domain.active_recipients()]
        if not recipients:
            raise CommandError("no backup key is registered: add one with `corridor backup keys add AGE_RECIPIENT --label L`")
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{out} exists already; choose a new file") from None
        console = Console(file=sys.stderr)
        columns = (TextColumn("backup"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        done = False
        try:
            with (
                os.fdopen(fd, "wb") as handle,
                Progress(*columns, console=console, transient=True, disable=not show_progress or not console.is_terminal) as bar,
            ):
                task = bar.add_task("backup", total=None)
                manifest = backup.take(
                    handle,
                    recipients,
                    progress=lambda n: bar.advance(task, n),
                    started=lambda total: bar.update(task, total=total),
                )
                handle.flush()
                os.fsync(handle.fileno())
            done = True
        finally:
            if not done:
                out.unlink(missing_ok=True)
        rows = sum(manifest.counts.values())
        self.stdout.write(
            f"backup written: {out} ({len(manifest.members)} members, {rows} rows, encrypted to {len(recipients)} key(s); id {manifest.backup_id})"
        )

    def _verify(self, path: Path, identity_file: Path) -> None:
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        report = backup.verify(path, backup.read_identity(identity_file))
        self.stdout.write(
            f"backup OK: {report.members} members ({report.bytes} bytes) match the manifest; "
            f"the {report.manifest.database} dump loads: {report.tables} tables, {report.rows} rows as counted; "
            f"keystore parses (instance {report.keystore['instance_id']}, {report.keystore['epochs']} epochs, "
            f"{report.keystore['threshold']} of {report.keystore['shares_total']} shares); taken {report.manifest.created}"
        )
