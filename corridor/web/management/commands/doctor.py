"""`corridor doctor`: check a running deployment and print what to fix, one line each.

Exits 1 when anything failed (2 with --strict when only warnings were found), 0 otherwise.
Run it as the web user (`sudo -u corridor ...`), or as root to see every process.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from corridor.keys import api as keys
from corridor.web import doctor
from corridor.web.doctor import Finding, Level

PROXY_PORTS = (22, 80, 443)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


class Command(BaseCommand):
    help = "Check this deployment (settings, TLS, files, users, swap, core dumps, network, keyd) and say what to fix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", help="the public address to check TLS on, e.g. https://corridor.example.org")
        parser.add_argument(
            "--allow-port",
            type=int,
            action="append",
            default=None,
            help=f"a port that may listen beyond loopback (repeat; default {', '.join(map(str, PROXY_PORTS))})",
        )
        parser.add_argument("--proc", default="/proc", help=argparse_hidden())
        parser.add_argument("--strict", action="store_true", help="exit non-zero on warnings too")

    def handle(self, *args: Any, **options: Any) -> None:
        proc = Path(options["proc"])
        findings = self.findings(proc, url=options["url"], allowed_ports=options["allow_port"] or PROXY_PORTS)
        for finding in findings:
            self.stdout.write(finding.line())
        worst = max((f.level for f in findings), default=Level.OK)
        failed = sum(1 for f in findings if f.level is Level.FAIL)
        warned = sum(1 for f in findings if f.level is Level.WARN)
        self.stdout.write(f"{failed} to fix, {warned} to look at, {len(findings) - failed - warned} fine")
        if worst is Level.FAIL:
            raise SystemExit(1)
        if worst is Level.WARN and options["strict"]:
            raise SystemExit(2)

    def findings(self, proc: Path, *, url: str | None, allowed_ports: tuple[int, ...] | list[int]) -> list[Finding]:
        from corridor.cli import _unapplied_migrations

        found: list[Finding] = [
            doctor.check_debug(settings.DEBUG),
            doctor.check_insecure_http(settings.INSECURE_HTTP, settings.ALLOWED_HOSTS),
            doctor.check_secret_key(settings.SECRET_KEY),
            doctor.check_allowed_hosts(settings.ALLOWED_HOSTS),
            *doctor.check_pins(settings.AUDIT_KEY_FINGERPRINT, settings.INTAKE_RECIPIENT),
        ]
        if url:
            found.append(doctor.check_tls(url))
        else:
            found.append(doctor.warn("tls", "not checked: give --url https://your.host"))
        found.extend(doctor.check_data_dir(Path(settings.DATA_DIR), owner_uid=os.geteuid()))
        reachable = True
        if settings.KEYRING != "inprocess":
            socket_path = Path(settings.KEYRING)
            found.extend(doctor.check_socket(socket_path, web_uid=os.geteuid()))
            reachable = doctor.unix_socket_answers(socket_path)
        processes = doctor.read_processes(proc)
        found.append(doctor.check_users(processes))
        found.extend(doctor.check_core_dumps(processes, _read(proc / "sys/kernel/core_pattern")))
        found.append(doctor.check_swap(_read(proc / "swaps")))
        found.append(doctor.check_listeners([_read(proc / "net/tcp"), _read(proc / "net/tcp6")], set(allowed_ports)))
        unapplied = _unapplied_migrations()
        found.append(doctor.check_migrations(unapplied))
        if not unapplied:
            found.append(doctor.check_audit_verification(_last_verification(), now=timezone.now()))
        state = keys.status()
        found.append(doctor.check_keyd(reachable=reachable, initialized=state.initialized, sealed=state.sealed))
        return found


def _last_verification() -> doctor.VerifyRun | None:
    from corridor.audit import schedule

    run = schedule.latest()
    if run is None:
        return None
    return doctor.VerifyRun(day=run.day, started=run.started, ok=run.ok, entries=run.entries, problem=run.problem)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS
