"""WSGI entry point for gunicorn (and any other WSGI server).

The worker hardens itself (no core dumps, not dumpable, locked memory where allowed) before
it serves: it will hold data keys and plaintext.
"""

import os

from django.core.wsgi import get_wsgi_application

from corridor.web.worker import harden_worker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
application = get_wsgi_application()
harden_worker()

# Each served worker derives a few intake passphrases ahead of time while idle and unsealed
# (corridor/intake/pool.py); tests and commands never start it.
from corridor.intake.pool import pool  # noqa: E402 -- needs the application set up above

pool().start()
