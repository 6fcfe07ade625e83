"""The `corridor` console command: Corridor's own commands first, then Django's.

Scripts rely on these words, so they stay stable: the instance is the one in
CORRIDOR_DATA_DIR, `status` prints `sealed` or `unsealed`, `token create` prints the
token alone on its last line.
"""

from __future__ import annotations

import os
import sys

COMMANDS = {
    "init": "create the root key and print the trustees' unseal shares (once)",
    "unseal": "submit one unseal share, read from standard input",
    "seal": "seal the running instance now (lockdown)",
    "status": "print 'sealed' or 'unsealed' and the shares entered so far",
    "serve": "run the key service and the web server in the foreground (--bind HOST:PORT)",
    "keyd": "run only the key service",
    "demo": "create demo staff accounts (and demo data) in an empty instance",
    "createuser": "create a staff account and print its one-time enrolment link",
    "token": "create or revoke API tokens ('token create USER')",
    "audit": "verify the audit log ('audit verify') or sign a checkpoint",
    "rotate": "start a new key epoch and re-wrap every data key",
    "purge_epochs": "destroy key epochs older than the backup-retention window",
    "check": "Django's system checks ('check --deploy' for production settings)",
    "migrate": "create or update the database tables",
}

HELP = """usage: corridor COMMAND [options]

The instance is the one in CORRIDOR_DATA_DIR (default ./var).

Corridor commands:
{commands}

Every Django management command works too: `corridor help --commands` lists them,
`corridor COMMAND --help` explains one.
"""


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    if not args or args[0] in ("-h", "--help"):
        width = max(len(name) for name in COMMANDS)
        lines = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items())
        print(HELP.format(commands=lines))
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["corridor", *args])


if __name__ == "__main__":
    main()
