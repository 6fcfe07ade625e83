"""`corridor init --shares N --threshold K`: create the root key and print the shares once."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import qrcode
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.keys import crypto, keystore, service
from corridor.keys.errors import AlreadyInitialized


class Command(BaseCommand):
    help = "Create the root key, split it into unseal shares for trustees, and print each share once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shares", type=int, default=5, help="how many trustees get a share (default 5)")
        parser.add_argument("--threshold", type=int, default=3, help="how many shares unseal the instance (default 3)")
        parser.add_argument("--no-qr", action="store_true", help="do not print QR codes")
        parser.add_argument(
            "--trustee-recipient",
            action="append",
            default=[],
            metavar="AGE_PUBLIC_KEY",
            help="encrypt share N to the Nth trustee's age public key (give one per share) and write share-N.age files",
        )
        parser.add_argument("--out-dir", type=Path, help="where to write share-N.age files (with --trustee-recipient)")

    def handle(self, *args: Any, **options: Any) -> None:
        shares, threshold = options["shares"], options["threshold"]
        recipients: list[str] = options["trustee_recipient"]
        if not 2 <= threshold <= shares <= 255:
            raise CommandError("need 2 <= --threshold <= --shares <= 255")
        if recipients and (len(recipients) != shares or options["out_dir"] is None):
            raise CommandError("give exactly one --trustee-recipient per share, and --out-dir")
        try:
            lines = service.initialize(Path(settings.DATA_DIR), shares, threshold)
        except AlreadyInitialized:
            raise CommandError(f"{settings.DATA_DIR} already has keys; refusing to create new ones") from None
        store = keystore.load(Path(settings.DATA_DIR))
        if store is not None:
            fingerprint = hashlib.sha256(store.signing_public_key).hexdigest()
            self.stdout.write(
                "Pin these in the server's environment so a swapped keystore is noticed:\n"
                f"  CORRIDOR_AUDIT_KEY_FINGERPRINT={fingerprint}\n"
                f"  CORRIDOR_INTAKE_RECIPIENT={store.intake_recipient}\n"
            )
        self.stdout.write(
            f"Created the root key for {settings.DATA_DIR}. It was not written anywhere.\n"
            f"Give one share to each trustee; any {threshold} of the {shares} unseal the instance.\n"
            "These shares are shown now and never again.\n"
            f"Trustees enter them with `corridor unseal` on the server, or on the unseal page at /{settings.UNSEAL_PATH}\n"
            "(give that address to trustees only; CORRIDOR_UNSEAL_PATH changes it).\n"
        )
        for number, line in enumerate(lines, start=1):
            if recipients:
                out_dir: Path = options["out_dir"]
                out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                path = out_dir / f"share-{number}.age"
                path.write_bytes(crypto.age_encrypt(recipients[number - 1], (line + "\n").encode()))
                path.chmod(0o600)
                self.stdout.write(f"share {number}: encrypted to {recipients[number - 1]} in {path}")
                continue
            self.stdout.write(line)
            if not options["no_qr"]:
                code = qrcode.QRCode(border=1)
                code.add_data(line)
                buffer = io.StringIO()
                code.print_ascii(out=buffer, invert=True)
                self.stdout.write(buffer.getvalue())
