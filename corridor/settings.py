"""Django settings for Corridor, read from the environment and failing closed.

DEBUG is off unless CORRIDOR_DEBUG says otherwise; the instance lives in
CORRIDOR_DATA_DIR (default ./var); secrets accept a *_FILE variant.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from corridor.env import env_bool, env_int, env_list, env_networks, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("CORRIDOR_DATA_DIR") or BASE_DIR / "var").resolve()

DEBUG = env_bool("CORRIDOR_DEBUG", False)
# Plain HTTP is only for a laptop demo or an onion service behind Tor; it must be asked for.
INSECURE_HTTP = env_bool("CORRIDOR_INSECURE_HTTP", False)


def _secret_key() -> str:
    given = env_secret("CORRIDOR_SECRET_KEY")
    if given is not None:
        if len(given) < 50:
            raise ImproperlyConfigured("CORRIDOR_SECRET_KEY must be at least 50 characters")
        return given
    # No key given: keep a random one inside the data directory (0600), never a default.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("CORRIDOR_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CORRIDOR_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "django_otp",
    "rest_framework",
    "drf_spectacular",
    "corridor.keys",
    "corridor.core",
    "corridor.audit",
    "corridor.accounts",
    "corridor.cases",
    "corridor.intake",
    "corridor.relocation",
    "corridor.documentation",
    "corridor.notifications",
    "corridor.transfer",
    "corridor.statistics",
    "corridor.web",
    "corridor.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corridor.core.middleware.SecurityHeadersMiddleware",
    # Near the top, so that pages refused by a middleware below (a bad Host's 400) carry it too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, keeping a view's answer when the database is lost just after it (see there).
    "corridor.core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "corridor.audit.middleware.ReadChannelMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "corridor.core.middleware.SealedMiddleware",
    "corridor.accounts.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "corridor.urls"
WSGI_APPLICATION = "corridor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "corridor.core.context.corridor",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "db.sqlite3"),
            "OPTIONS": {
                # WAL for concurrent readers; secure_delete so erased rows are overwritten on disk.
                # recursive_triggers: so INSERT OR REPLACE fires the audit log's DELETE trigger too.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    # Password sign-in only: it grants no permission, the roles' rules above decide every one.
    "corridor.accounts.backends.PasswordBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    # Django ships a list of 20,000 common and breached passwords; no network lookup is made.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"

# Sessions: idle timeout by cookie age renewed on each request, absolute timeout checked
# by StaffSessionMiddleware; both fail closed.
# Only SHA-256 of each session key is stored: a copy of the database signs no one in.
SESSION_ENGINE = "corridor.accounts.session_store"
SESSION_COOKIE_AGE = env_int("CORRIDOR_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = env_int("CORRIDOR_SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300)
STEP_UP_SECONDS = env_int("CORRIDOR_STEP_UP_SECONDS", 5 * 60, minimum=30)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
# Under /api/ a CSRF refusal is the API's JSON error body (code csrf_failed); pages keep Django's.
CSRF_FAILURE_VIEW = "corridor.core.error_pages.csrf_failure"
SESSION_COOKIE_SECURE = not INSECURE_HTTP
CSRF_COOKIE_SECURE = not INSECURE_HTTP
SECURE_SSL_REDIRECT = not INSECURE_HTTP
SECURE_HSTS_SECONDS = 0 if INSECURE_HTTP else 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not INSECURE_HTTP
SECURE_HSTS_PRELOAD = not INSECURE_HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("CORRIDOR_BEHIND_PROXY") else None
# The reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks). Only the
# intake's per-source rate limits use the client address; with none listed it is REMOTE_ADDR.
TRUSTED_PROXIES = env_networks("CORRIDOR_TRUSTED_PROXIES")
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin", not "no-referrer": with no-referrer Chromium sends `Origin: null` on form posts,
# which CSRF protection must refuse. Same-origin still tells no other host anything.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# WebAuthn: in production name the site explicitly; otherwise the (allowed) Host header is used.
WEBAUTHN_RP_ID = env_str("CORRIDOR_WEBAUTHN_RP_ID")
WEBAUTHN_ORIGIN = env_str("CORRIDOR_WEBAUTHN_ORIGIN")
ORGANISATION_NAME = env_str("CORRIDOR_ORGANISATION_NAME") or "Corridor"
# A person's broad region is the one location kept unencrypted (for statistics), and only when
# the organisation chooses so; otherwise no door (page, API, import) accepts it.
CORRIDOR_REGION_IN_CLEAR = env_bool("CORRIDOR_REGION_IN_CLEAR", False)

# Anonymous intake; corridor/intake/conf.py documents each setting and its default.
INTAKE_PATH = env_str("CORRIDOR_INTAKE_PATH") or "help/"


def _unseal_path() -> str:
    """CORRIDOR_UNSEAL_PATH, or a random path kept in the data directory (made on first use).

    The unseal page needs no sign-in (shares are the credential). keyd refuses forged shares
    on their own, so a stranger who finds the page cannot spoil the trustees' work, but a page
    nobody can guess is one nobody probes. Not a secret — it sits in URLs, the trustees' notes
    and access logs — only unguessable; `corridor init`, `corridor demo` and `make run` print it.
    """
    given = env_str("CORRIDOR_UNSEAL_PATH")
    if given:
        return given
    path = DATA_DIR / "unseal_path"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Written aside and linked into place, so a concurrent reader never sees a half file.
        fd, tmp = tempfile.mkstemp(prefix=".unseal_path-", dir=DATA_DIR)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(f"unseal-{secrets.token_hex(10)}/\n")
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


UNSEAL_PATH = _unseal_path()
if not UNSEAL_PATH.endswith("/") or UNSEAL_PATH.startswith("/"):
    raise ImproperlyConfigured("CORRIDOR_UNSEAL_PATH must look like 'some/path/' (no leading slash, a trailing one)")
# How long a share entered on the unseal page or with `corridor unseal` waits for the others
# before the key service forgets it (measured in keyd's memory on a monotonic clock).
UNSEAL_SHARE_MINUTES = env_int("CORRIDOR_UNSEAL_SHARE_MINUTES", 10, minimum=1)

# A neutral name for the public pages (title and header); the organisation's name otherwise.
INTAKE_ORGANISATION_NAME = env_str("CORRIDOR_INTAKE_NAME") or ""
INTAKE_MIN_FILL_SECONDS = env_int("CORRIDOR_INTAKE_MIN_FILL_SECONDS", 3, minimum=0)
INTAKE_PURGE_SPAM_DAYS = env_int("CORRIDOR_INTAKE_PURGE_SPAM_DAYS", 7, minimum=1)
INTAKE_PURGE_UNANSWERED_DAYS = env_int("CORRIDOR_INTAKE_PURGE_UNANSWERED_DAYS", 60, minimum=1)
# Per hour; 0 switches a limit off (per-address limits mean nothing behind an onion service).
INTAKE_RATE_LIMITS = {
    "submit_global": env_int("CORRIDOR_INTAKE_SUBMITS_PER_HOUR", 600, minimum=0),
    "submit_address": env_int("CORRIDOR_INTAKE_SUBMITS_PER_HOUR_PER_ADDRESS", 20, minimum=0),
    "login_global": env_int("CORRIDOR_INTAKE_LOGINS_PER_HOUR", 3000, minimum=0),
    "login_address": env_int("CORRIDOR_INTAKE_LOGINS_PER_HOUR_PER_ADDRESS", 60, minimum=0),
    "message_codename": env_int("CORRIDOR_INTAKE_MESSAGES_PER_HOUR_PER_CODENAME", 30, minimum=0),
}
# Requests that arrive past a rate limit are held for triage, never refused, up to this many
# waiting at once (they carry no file); past it the form asks the person to try again later.
INTAKE_HELD_MAX = env_int("CORRIDOR_INTAKE_HELD_MAX", 2000, minimum=0)
# Passphrases each web worker derives ahead of time while idle and unsealed (memory only; 0: none).
INTAKE_PASSPHRASE_POOL = env_int("CORRIDOR_INTAKE_PASSPHRASE_POOL", 8, minimum=0)

# Audit: pin the checkpoint signing key printed by `corridor init`, so a swapped keystore is caught.
AUDIT_KEY_FINGERPRINT = env_str("CORRIDOR_AUDIT_KEY_FINGERPRINT")
# Intake: pin the age recipient printed by `corridor init`; requests are never encrypted to another.
INTAKE_RECIPIENT = env_str("CORRIDOR_INTAKE_RECIPIENT")
KEY_EPOCH_RETENTION_DAYS = env_int("CORRIDOR_KEY_EPOCH_RETENTION_DAYS", 35, minimum=0)

# Lockout: failures per account in a window; the lock always lifts (never forever).
LOCKOUT_THRESHOLD = env_int("CORRIDOR_LOCKOUT_THRESHOLD", 5, minimum=3)
LOCKOUT_WINDOW_SECONDS = env_int("CORRIDOR_LOCKOUT_WINDOW_SECONDS", 15 * 60, minimum=60)
LOCKOUT_MAX_SECONDS = env_int("CORRIDOR_LOCKOUT_MAX_SECONDS", 60 * 60, minimum=60)
# Duplicate checks ("is this name and year, or this phone, already known?") per staff user
# per hour: each one asks about the whole organisation, so an insider cannot run through a list.
DUPLICATE_CHECKS_PER_HOUR = env_int("CORRIDOR_DUPLICATE_CHECKS_PER_HOUR", 30, minimum=1)
# A duplicate check answers no sooner than this, so a match in a case the user cannot see
# (which files a review for the admins) takes as long as no match at all.
DUPLICATE_CHECK_FLOOR_SECONDS = 0.25
ENROLMENT_HOURS = env_int("CORRIDOR_ENROLMENT_HOURS", 72, minimum=1)

# Mail to staff (issue 14): alerts that carry no content, through the organisation's own SMTP
# server (docs/operators/notifications.md). With no CORRIDOR_SMTP_HOST nothing is sent: alerts
# stay queued in the outbox and show in the app. CORRIDOR_SMTP_TLS: starttls (default), tls
# (implicit TLS, usually port 465) or off (loopback relays only).
BASE_URL = (env_str("CORRIDOR_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
# Unset, enrolment links use the address `corridor serve` binds (corridor.core.served).
BASE_URL_CONFIGURED = bool(env_str("CORRIDOR_BASE_URL"))
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("CORRIDOR_SMTP_HOST") or ""
EMAIL_HOST_USER = env_str("CORRIDOR_SMTP_USER") or ""
EMAIL_HOST_PASSWORD = env_secret("CORRIDOR_SMTP_PASSWORD") or ""
SMTP_TLS = (env_str("CORRIDOR_SMTP_TLS") or "starttls").strip().lower()
if SMTP_TLS not in ("starttls", "tls", "off"):
    raise ImproperlyConfigured(f"CORRIDOR_SMTP_TLS must be starttls, tls or off; got {SMTP_TLS!r}")
EMAIL_USE_TLS = SMTP_TLS == "starttls"
EMAIL_USE_SSL = SMTP_TLS == "tls"
EMAIL_PORT = env_int("CORRIDOR_SMTP_PORT", 465 if EMAIL_USE_SSL else 587, minimum=1, maximum=65535)
EMAIL_TIMEOUT = env_int("CORRIDOR_SMTP_TIMEOUT_SECONDS", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("CORRIDOR_MAIL_FROM") or "corridor@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The worker: how often `corridor worker` (and the scheduler thread of `corridor serve`) looks at
# the outbox and the job registry, and how long a claimed message is held before another worker
# may send it again (longer than one SMTP conversation can take).
NOTIFY_TICK_SECONDS = env_int("CORRIDOR_NOTIFY_TICK_SECONDS", 10, minimum=1)
NOTIFY_LEASE_SECONDS = env_int("CORRIDOR_NOTIFY_LEASE_SECONDS", 300, minimum=30)
# "off": no daily summary (then the absence of mail says that nothing happened; see
# docs/operators/notifications.md before choosing it).
NOTIFY_SUMMARY_HOUR: int | None = (
    None
    if os.environ.get("CORRIDOR_NOTIFY_SUMMARY_HOUR", "").strip().lower() == "off"
    else env_int("CORRIDOR_NOTIFY_SUMMARY_HOUR", 7, minimum=0, maximum=23)
)

_redis_url = env_str("CORRIDOR_REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# One date and time format per language, 24-hour, on every page (corridor/formats/).
FORMAT_MODULE_PATH = ["corridor.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_PERMISSIONS = 0o600
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# One limit for stored files, with a clear message; uploads stay in memory up to it and are never
# spooled to a plaintext temporary file (Django's default above FILE_UPLOAD_MAX_MEMORY_SIZE).
DOCUMENT_MAX_BYTES = env_int("CORRIDOR_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024 * 1024)
# The most memory one uploaded picture may decode to; cleaning keeps two copies at most, so the
# default keeps a request under 256 MiB (corridor/cases/files.py, test_file_limits.py).
DOCUMENT_MAX_DECODED_BYTES = env_int("CORRIDOR_DOCUMENT_MAX_DECODED_BYTES", 96 * 1024 * 1024, minimum=16 * 1024 * 1024)
# Relocation figures count another team's applications only in programmes with at least this many.
RELOCATION_MIN_CELL = env_int("CORRIDOR_RELOCATION_MIN_CELL", 5, minimum=2)
FILE_UPLOAD_HANDLERS = ["corridor.core.uploads.BoundedMemoryUploadHandler"]

# Key service: "inprocess" holds keys in the web process (tests, single-process demo);
# otherwise the path of keyd's Unix socket.
KEYRING = env_str("CORRIDOR_KEYRING") or str(DATA_DIR / "run" / "keyd.sock")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "corridor.accounts.api_auth.TokenAuthentication",
        "corridor.accounts.api_auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "corridor.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: nested shapes (names, contacts) have no faithful form encoding, and one parser
    # is one less way in. Anything else is a declared 415.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_METADATA_CLASS": "corridor.api.metadata.SchemaPointerMetadata",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Corridor API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Request bodies get their own components, so the schema says what input is refused
    # (minLength 1 for text that may not be blank; no read-only fields to send).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "corridor.api.schema.declare_error_answers",
    ],
    # Two different choice sets are both called "status"; one is shared by two fields.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "corridor.cases.models.Status",
        "NeedStatusEnum": "corridor.cases.models.NeedStatus",
        "PriorityEnum": "corridor.cases.models.Priority",
        "ApplicationStatusEnum": "corridor.relocation.models.ApplicationStatus",
        "ChecklistStatusEnum": "corridor.relocation.models.ChecklistStatus",
        # Documentation: dates of events and acts share one precision; two kinds of "kind".
        "DatePrecisionEnum": "corridor.cases.models.DatePrecision",
        "PerpetratorKindEnum": "corridor.documentation.models.PerpetratorKind",
        "SourceKindEnum": "corridor.documentation.models.SourceKind",
    },
}

# Logs go to stderr; the filter removes addresses and masks secret-looking keys.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "corridor.core.logging.ScrubFilter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "filters": ["scrub"]}},
    "root": {"handlers": ["stderr"], "level": env_str("CORRIDOR_LOG_LEVEL") or "INFO"},
    # django.request logs the path and, for errors, the request; keep it but scrubbed.
    # Pillow logs EXIF values (GPS positions, names) at DEBUG.
    # Django's own "django" handlers are replaced: its console handler (DEBUG only) prints paths
    # unscrubbed, and mail_admins would mail whole requests; everything goes to the root handler.
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "propagate": False},
        "PIL": {"level": "INFO"},
        "pikepdf": {"level": "WARNING"},
    },
}
