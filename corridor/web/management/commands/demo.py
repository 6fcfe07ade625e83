"""`corridor demo`: a demo instance — keys, teams and staff accounts with enrolment links.

DEMO ONLY: the unseal shares are written to a file in the data directory so the demo
can be unsealed again after a restart. A real instance never stores its shares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from corridor.accounts import domain
from corridor.accounts.models import EnrolmentLink, Role, Team, User
from corridor.keys import service

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


class Command(BaseCommand):
    help = "Fill an empty instance with demo keys, teams and staff accounts (never use with real data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(settings.DATA_DIR)
        shares_path = data_dir / SHARES_FILE
        if not (data_dir / "keys" / "keystore.json").exists():
            shares = service.initialize(data_dir, 5, 3)
            shares_path.write_text("\n".join(shares) + "\n")
            shares_path.chmod(0o600)
            self.stdout.write(f"Created demo keys (3 of 5 shares unseal). DEMO ONLY: shares saved in {shares_path}")
        base = options["base_url"].rstrip("/")
        for username, role, team_names in STAFF:
            teams = [Team.objects.get_or_create(name=name)[0] for name in team_names]
            user = User.objects.filter(username=username).first()
            if user is None:
                user, token = domain.create_user(None, username=username, role=role, teams=teams)
            elif not user.has_usable_password():
                token = EnrolmentLink.issue(user)
            else:
                self.stdout.write(f"  {username:18} {role.label}: already enrolled")
                continue
            self.stdout.write(f"  {username:18} {role.label}: {base}/accounts/enrol/{token}/")
        if shares_path.exists():
            self.stdout.write(
                "\nTo unseal: open " + base + "/unseal/ and paste any three lines of\n"
                f"  {shares_path}\nor run: head -3 {shares_path} | while read s; do echo \"$s\" | .venv/bin/corridor unseal; done"
            )
