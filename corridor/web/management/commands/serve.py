"""`corridor serve --bind HOST:PORT`: the key service and the web server, in the foreground.

keyd runs as its own process so that the web workers never hold the root key; if
either process stops, the other is stopped too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.core import served


class Command(BaseCommand):
    help = "Run the key service and the web server in the foreground."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="HOST:PORT for the web server (default 127.0.0.1:8000)")
        parser.add_argument("--workers", type=int, default=2, help="web worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
        parser.add_argument("--no-keyd", action="store_true", help="use a key service that is already running")
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not send alerts or run periodic jobs here (a separate `corridor worker` does)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.KEYRING == "inprocess":
            raise CommandError("serve needs CORRIDOR_KEYRING to be keyd's socket path (the default), not 'inprocess'")
        socket_path = Path(settings.KEYRING)
        children: list[subprocess.Popen[bytes]] = []
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "corridor.settings")}
        if not options["no_keyd"]:
            keyd = subprocess.Popen(  # noqa: S603 -- our own interpreter and module, fixed arguments
                [
                    sys.executable, "-m", "corridor.keys.keyd",
                    "--data-dir", str(settings.DATA_DIR),
                    "--socket", str(socket_path),
                    "--min-retired-days", str(settings.KEY_EPOCH_RETENTION_DAYS),
                    "--share-ttl-seconds", str(settings.UNSEAL_SHARE_MINUTES * 60),
                ],
                env=env,
            )
            children.append(keyd)
            deadline = time.monotonic() + 15
            while not socket_path.exists():
                if keyd.poll() is not None or time.monotonic() > deadline:
                    raise CommandError("the key service did not start; see the messages above")
                time.sleep(0.05)
        web = subprocess.Popen(  # noqa: S603 -- our own interpreter and module, fixed arguments
            [
                sys.executable, "-m", "gunicorn", "corridor.wsgi:application",
                "--bind", options["bind"],
                "--workers", str(options["workers"]),
                "--threads", str(options["threads"]),
                # The access log shows method, masked route, status, size and time: no address, no
                # query string, no path token (invariant 11); workers harden themselves like keyd.
                "--config", "python:corridor.web.gunicorn_conf",
                "--forwarded-allow-ips", "127.0.0.1",
            ],
            env=env,
        )
        children.append(web)
        # Given as localhost when bound to loopback: browsers refuse security keys on an IP address.
        address = served.record(options["bind"])
        self.stdout.write(f"Corridor is running at {address}/ (key service socket {socket_path})")
        stop_scheduler = None
        if not options["no_scheduler"]:
            # A thread of this process: it needs no keys, so alerts go out while sealed too.
            from corridor.notifications.scheduler import start_thread

            _thread, stop_scheduler = start_thread()

        def stop(*_args: Any) -> None:
            if stop_scheduler is not None:
                stop_scheduler.set()
            for child in reversed(children):
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
