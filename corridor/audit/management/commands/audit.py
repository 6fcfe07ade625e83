"""`corridor audit verify` and `corridor audit checkpoint`.

verify prints "audit log OK: ..." and exits 0, or the first problem and exits 1; it
works while sealed and with no key service at all (the public key is read from the
keystore). checkpoint has the current tree head signed and needs the instance unsealed.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from corridor.audit import log
from corridor.audit.models import Checkpoint
from corridor.audit.verify import check_tree_heads, parse_tree_head, verify
from corridor.keys.errors import KeyringError, Sealed


class Command(BaseCommand):
    help = "Verify the audit log, or sign a checkpoint of it now."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,checkpoint}")
        check = commands.add_parser("verify", help="check every entry, the Merkle tree and every checkpoint signature")
        check.add_argument("--no-progress", action="store_true", help="do not draw a progress bar on stderr")
        check.add_argument(
            "--tree-head",
            action="append",
            default=[],
            metavar="SIZE:ROOTHEX",
            help="a tree head saved off this server with `corridor audit head`; the log must still contain it (repeatable)",
        )
        commands.add_parser("checkpoint", help="sign a checkpoint of the whole log now (needs unsealed)")
        commands.add_parser("head", help="print the newest signed tree head as SIZE:ROOTHEX, to keep somewhere else")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            try:
                heads = [parse_tree_head(text) for text in options["tree_head"]]
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self._verify(show_progress=not options["no_progress"], heads=heads)
        elif options["subcommand"] == "head":
            newest = Checkpoint.objects.order_by("-tree_size").first()
            if newest is None:
                raise CommandError("no checkpoint yet: run `corridor audit checkpoint` on an unsealed instance", returncode=1)
            self.stdout.write(f"{newest.tree_size}:{bytes(newest.root).hex()}")
        else:
            self._checkpoint()

    def _verify(self, *, show_progress: bool, heads: list[tuple[int, bytes]]) -> None:
        # The bar goes to stderr so stdout stays one line a script can read.
        console = Console(stderr=True)
        with Progress(
            TextColumn("verifying"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not show_progress or not console.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task("verify", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = verify(progress)
        check_tree_heads(report, heads)
        self.stdout.write(report.summary())
        for problem in report.problems[1:]:
            self.stderr.write(problem)
        if report.entries or report.checkpoints:
            self.stderr.write(report.coverage())
        if report.key_fingerprint is not None and not report.key_pinned:
            # Offline, on an auditor's machine, the key comes from the copied keystore: say
            # which one, so it can be compared with the fingerprint `corridor init` printed.
            self.stderr.write(
                _(
                    "checkpoint signatures were checked with the key %(fingerprint)s, which is not pinned: "
                    "compare it with the one `corridor init` printed, or set CORRIDOR_AUDIT_KEY_FINGERPRINT"
                )
                % {"fingerprint": report.key_fingerprint}
            )
        if not report.ok:
            # Exit 1 without Django's "CommandError:" prefix: the summary already said why.
            self.stdout.flush()
            sys.exit(1)

    def _checkpoint(self) -> None:
        try:
            signed = log.checkpoint()
        except Sealed:
            raise CommandError("the instance is sealed: unseal it before signing a checkpoint", returncode=1) from None
        except KeyringError as exc:
            raise CommandError(f"the key service could not sign: {type(exc).__name__}", returncode=1) from None
        self.stdout.write(f"checkpoint at size {signed.tree_size}: root {bytes(signed.root).hex()}")
