"""The `corridor` console command: Corridor's own commands first, then Django's.

Scripts rely on these words, so they stay stable: the instance is the one in
CORRIDOR_DATA_DIR, `status` prints `sealed` or `unsealed`, `token create` prints the
token alone on its last line.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

COMMANDS = {
    "init": "create the root key and print the trustees' unseal shares (once)",
    "unseal": "submit one unseal share, read from standard input",
    "seal": "seal the running instance now (lockdown)",
    "status": "print 'sealed' or 'unsealed' and the shares entered so far",
    "serve": "run the key service and the web server in the foreground (--bind HOST:PORT)",
    "keyd": "run only the key service",
    "worker": "send queued alerts by e-mail and run the periodic jobs (needs no keys; serve runs one too)",
    "demo": "create demo staff accounts (and demo data) in an empty instance",
    "createuser": "create a staff account and print its one-time enrolment link",
    "token": "create or revoke API tokens ('token create USER')",
    "audit": "verify the audit log ('audit verify') or sign a checkpoint",
    "rotate": "start a new key epoch and re-wrap every data key",
    "purge_epochs": "destroy key epochs older than the backup-retention window",
    "intake_purge": "delete spam and unanswered help requests past their time (run daily; works sealed)",
    "purge": "delete records past their retention policy ('--dry-run' lists them; works sealed)",
    "reindex_people": "index the name parts of people entered before search by name part (once, unsealed)",
    "backup": "write an encrypted backup ('backup --out FILE'), check one ('backup verify FILE'), trustees' keys ('backup keys')",
    "import_people": "import people and cases from a CSV or XLSX spreadsheet ('import_people FILE --user NAME'; checked first)",
    "restore": "rebuild a fresh instance from an encrypted backup ('restore FILE --identity ID'); then unseal",
    "check": "Django's system checks ('check --deploy' for production settings)",
    "doctor": "check a running deployment and print what to fix ('doctor --url https://your.host')",
    "migrate": "create or update the database tables",
}

HELP = """usage: corridor COMMAND [options]

The instance is the one in CORRIDOR_DATA_DIR (default ./var).

Corridor commands:
{commands}

Every Django management command works too: `corridor help --commands` lists them,
`corridor COMMAND --help` explains one.
"""


# Commands that read or write the database: before they run, the database must be migrated,
# or they would fail half-way (demo after writing keys) with a traceback.
NEEDS_DATABASE = frozenset(
    {
        "createuser",
        "reindex_people",
        "token",
        "audit",
        "demo",
        "rotate",
        "purge_epochs",
        "serve",
        "intake_purge",
        "backup",
        "purge",
        "import_people",
        "changepassword",
        "worker",
    }
)
# Django commands that would bypass Corridor's rules, refused with what to run instead.
REFUSED = {
    "createsuperuser": "corridor: Corridor has no superusers (roles decide every permission, and a superuser "
    "would be made without an audit entry): run `corridor createuser --username NAME --role admin`",
}
MIGRATE_FIRST = "corridor: the database of {data_dir} is not set up or not up to date: run `corridor migrate` first"
KEYD_FIRST = "corridor: the key service is not running: start it with `corridor serve` (or `corridor keyd`)"
INIT_FIRST = "corridor: {data_dir} has no keys yet: run `corridor init` first"


def _unapplied_migrations() -> bool:
    """True when migrations wait to be applied, or the database cannot even say."""
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return True


def _fail(message: str) -> NoReturn:
    from django.conf import settings

    print(message.format(data_dir=settings.DATA_DIR), file=sys.stderr)
    raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    if not args or args[0] in ("-h", "--help"):
        width = max(len(name) for name in COMMANDS)
        lines = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items())
        print(HELP.format(commands=lines))
        return
    import django
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    from corridor.keys.errors import KeyServiceUnavailable, NotInitialized

    if args[0] in REFUSED:
        _fail(REFUSED[args[0]])
    asking_for_help = any(arg in ("-h", "--help") for arg in args[1:])
    if args[0] in NEEDS_DATABASE and not asking_for_help:
        django.setup()
        if _unapplied_migrations():
            _fail(MIGRATE_FIRST)
    # What an operator can fix in one step gets one line saying which step, not a traceback.
    try:
        execute_from_command_line(["corridor", *args])
    except KeyServiceUnavailable:
        _fail(KEYD_FIRST)
    except NotInitialized:
        _fail(INIT_FIRST)
    except DatabaseError:
        if _unapplied_migrations():
            _fail(MIGRATE_FIRST)
        _crash()
    except Exception:  # noqa: BLE001 -- the last resort: a traceback without the values that caused it
        _crash()


def _crash() -> NoReturn:
    # The CLI's stderr ends up in journald when a timer runs it: the traceback keeps files,
    # lines and exception types, not exception messages (they carry typed values).
    from corridor.core.logging import format_exception_withheld

    exc = sys.exception()  # _crash runs only while an exception is being handled
    if exc is not None:
        print(format_exception_withheld((type(exc), exc, exc.__traceback__)), file=sys.stderr)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
