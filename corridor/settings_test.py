"""Settings for the test suite: the production settings with fast, clearly insecure KDFs.

Nothing here may be used to serve real data; `corridor check --deploy` runs against
corridor.settings, never this module.
"""

import os
import tempfile

os.environ.setdefault("CORRIDOR_INSECURE_HTTP", "1")
# Each test process (and each xdist worker) gets its own instance: keys, media, database.
os.environ["CORRIDOR_DATA_DIR"] = os.environ.get("CORRIDOR_TEST_DATA_DIR") or tempfile.mkdtemp(
    prefix=f"corridor-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"
)
os.environ.setdefault("CORRIDOR_KEYRING", "inprocess")

from corridor.settings import *  # noqa: E402,F403 -- the test settings extend the real ones

# INSECURE: a fast hasher so the suite does not spend minutes in argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
INSECURE_TEST_KDF = True
# INSECURE: argon2id at its smallest cost for codenames (corridor/intake); refused by check --deploy.
INTAKE_INSECURE_FAST_KDF = True
# Tests render templates without running collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A real database file (with its WAL) so the seizure test can read every byte at rest.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
INSTALLED_APPS += ["corridor.keys.tests.testapp"]  # noqa: F405 -- test-only models for corridor.keys

# Tests destroy retired key epochs at once; production waits for the backup window.
KEY_EPOCH_RETENTION_DAYS = 0

# The duplicate check answers no sooner than a floor (0.25 s in production) so a hidden match
# cannot be timed; tests that enter many people skip the wait (test_duplicate_probes sets it).
DUPLICATE_CHECK_FLOOR_SECONDS = 0

# No daily summary unless a test asks for one (test_summary sets the hour): from 07:00 UTC any
# test that ran the scheduler also mailed every staff member with an address their summary, so
# tests that count mails failed by the clock.
NOTIFY_SUMMARY_HOUR = None
