"""`corridor demo`: a demo instance — keys, teams, staff accounts with enrolment links,
synthetic people in hiding with their cases (`--people N`, 40 by default), two years of their
visa applications, and a few requests for help waiting in triage, one an emergency.

DEMO ONLY: the unseal shares are written to a file in the data directory so the demo
can be unsealed again after a restart. A real instance never stores its shares.
Running it again adds no second set of people.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.accounts import domain
from corridor.accounts.models import Role, User
from corridor.cases import demo
from corridor.cases.models import Person
from corridor.intake import demo as intake_demo
from corridor.keys import api as keys
from corridor.relocation import demo as relocation_demo

SHARES_FILE = "DEMO-ONLY-unseal-shares.txt"
STAFF = [
    ("admin", Role.ADMIN, []),
    ("hotline", Role.HOTLINE, ["North Caucasus"]),
    ("caseworker", Role.CASEWORKER, ["North Caucasus"]),
    ("caseworker-moscow", Role.CASEWORKER, ["Moscow"]),
    ("relocation", Role.RELOCATION, ["North Caucasus", "Moscow"]),
    ("documentation", Role.DOCUMENTATION, ["North Caucasus"]),
    ("auditor", Role.AUDITOR, []),
    ("trustee", Role.TRUSTEE, []),
]
# Up to this many people go through the domain functions one by one (realistic audit
# trail and history); beyond it the rest are bulk-inserted (corridor.cases.demo.populate_bulk).
DOMAIN_PEOPLE = 40


class Command(BaseCommand):
    help = "Fill an empty instance with demo keys, teams and staff accounts (never use with real data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--people", type=int, default=40, help="synthetic people in hiding to create (default 40)")
        parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(settings.DATA_DIR)
        shares_path = data_dir / SHARES_FILE
        if not (data_dir / "keys" / "keystore.json").exists():
            shares = keys.initialize(data_dir, 5, 3)
            shares_path.write_text("\n".join(shares) + "\n")
            shares_path.chmod(0o600)
            self.stdout.write(f"Created demo keys (3 of 5 shares unseal). DEMO ONLY: shares saved in {shares_path}")
        base = options["base_url"].rstrip("/")
        for username, role, team_names in STAFF:
            teams = [domain.team_named(None, name) for name in team_names]
            user = User.objects.filter(username=username).first()
            if user is None:
                user, token = domain.create_user(None, username=username, role=role, teams=teams)
            elif not user.has_usable_password():
                token = domain.reissue_enrolment(None, user)  # never enrolled: a fresh link, audited
            else:
                self.stdout.write(f"  {username:18} {role.label}: already enrolled")
                continue
            self.stdout.write(f"  {username:18} {role.label}: {base}/accounts/enrol/{token}/")
        try:
            with keys.in_process_keys(shares_path):
                self._people(options["people"], options["seed"])
        except keys.UnsealFailed as exc:
            raise CommandError(str(exc)) from None
        if shares_path.exists():
            self.stdout.write(
                f"\nTo unseal: open {base}/{settings.UNSEAL_PATH} and paste any three lines of\n"
                f"  {shares_path}\nor run: head -3 {shares_path} | while read s; do echo \"$s\" | .venv/bin/corridor unseal; done"
            )

    def _people(self, people: int, seed: int | None) -> None:
        existing = Person.objects.count()
        if existing:
            self.stdout.write(f"Demo people already present ({existing}); none added.")
            return
        if people <= 0:
            return
        started = time.monotonic()
        result = demo.populate(min(people, DOMAIN_PEOPLE), seed=seed)
        cases = result.cases
        # Before the bulk load: a history for these cases only, never for a benchmark's thousands.
        history = relocation_demo.populate(seed=seed)
        waiting = intake_demo.populate()
        if people > DOMAIN_PEOPLE:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, transient=not sys.stderr.isatty()) as progress:
                task = progress.add_task("people", total=people - DOMAIN_PEOPLE)
                bulk = demo.populate_bulk(
                    people - DOMAIN_PEOPLE, seed=seed, progress=lambda n: progress.advance(task, n)
                )
            cases += bulk.cases
        self.stdout.write(
            f"Created {people} demo people in {cases} cases, {history.applications} visa applications with "
            f"{history.decisions} decisions and {waiting} requests for help in {time.monotonic() - started:.1f} s (synthetic, no real person)."
        )
