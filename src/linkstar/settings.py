"""LinkStar settings: everything comes from the environment, with embedded defaults.

Nothing needs to be set to run: SQLite (WAL) and files live under ``LINKSTAR_DATA_DIR``
(default ``./var``), background jobs are stored in the database.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str | None = None) -> str | None:
    """Read a setting from the environment; ``NAME_FILE`` points at a file holding it."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value in (None, "") else int(value)


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("LINKSTAR_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)


def _secret_key() -> str:
    configured = env("LINKSTAR_SECRET_KEY")
    if configured:
        return configured
    # A generated key kept in the data dir: stable across restarts, never committed.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_string(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()


def _generated_key(name: str, make) -> str:
    """A key generated once into ``<data dir>/keys/<name>`` (0600), for a zero-setup install."""
    key_dir = DATA_DIR / "keys"
    key_dir.mkdir(mode=0o700, exist_ok=True)
    path = key_dir / name
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _encryption_keys() -> list[str]:
    configured = env("LINKSTAR_ENCRYPTION_KEYS")
    value = configured or _generated_key("encryption", lambda: Fernet.generate_key().decode())
    return [k.strip() for k in value.replace("\n", ",").split(",") if k.strip()]


# Sensitive fields: Fernet keys, newest first (``linkstar keys rotate`` adds one and re-encrypts).
LINKSTAR_ENCRYPTION_KEYS = _encryption_keys()
# Where the keys come from when not from the environment ("" when they do): rotation writes it.
LINKSTAR_ENCRYPTION_KEY_FILE = (
    "" if env("LINKSTAR_ENCRYPTION_KEYS") else str(DATA_DIR / "keys" / "encryption")
)
# Blind indexes of identifiers (association-risk matching without decrypting).
LINKSTAR_BLIND_INDEX_KEY = env("LINKSTAR_BLIND_INDEX_KEY") or _generated_key(
    "blind_index", lambda: __import__("secrets").token_hex(32)
)
# --- audit trail: keyed hash and signed checkpoints (issue 17 §3) ------------------------------
# The HMAC-SHA256 key of the audit chain and of its checkpoints, kept outside the database
# (generated once into <data dir>/keys/audit unless set). It never rotates by itself: to change
# it, set the new one here and the former ones in LINKSTAR_AUDIT_OLD_KEYS (comma-separated), so
# that the events and checkpoints written with them still verify.
LINKSTAR_AUDIT_KEY = env("LINKSTAR_AUDIT_KEY") or _generated_key(
    "audit", lambda: __import__("secrets").token_hex(32)
)
LINKSTAR_AUDIT_OLD_KEYS = [
    k.strip() for k in (env("LINKSTAR_AUDIT_OLD_KEYS", "") or "").split(",") if k.strip()
]
# Signed checkpoints of every organization's chain head are appended to this file (keep a copy
# elsewhere: a log host, the backups), by the worker every LINKSTAR_AUDIT_CHECKPOINT_MINUTES
# (one line per organization whose chain moved), by each backup and by `linkstar audit verify`.
LINKSTAR_AUDIT_CHECKPOINT_FILE = env("LINKSTAR_AUDIT_CHECKPOINT_FILE") or str(
    DATA_DIR / "audit" / "checkpoints.jsonl"
)
LINKSTAR_AUDIT_CHECKPOINT_MINUTES = env_int("LINKSTAR_AUDIT_CHECKPOINT_MINUTES", 60)

DEBUG = env_bool("LINKSTAR_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in (env("LINKSTAR_ALLOWED_HOSTS", "*") or "*").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in (env("LINKSTAR_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "django_htmx",
    "csp",
    "linkstar.core",
    "linkstar.accounts",
    "linkstar.audit",
    "linkstar.catalog",
    "linkstar.entities",
    "linkstar.documents",
    "linkstar.playbooks",
    "linkstar.projects",
    "linkstar.approvals",
    "linkstar.compliance",
    "linkstar.docrequests",
    "linkstar.portal",
    "linkstar.reports",
    "linkstar.notifications",
    "linkstar.delivery",
    "linkstar.platformmail",
    "linkstar.exchange",
    "linkstar.worker",
    "linkstar.archives",
    "linkstar.backups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # every answer, the early refusals below included, carries the Content-Security-Policy
    "csp.middleware.CSPMiddleware",
    # before anything reads the body (the CSRF check reads a form's fields)
    "linkstar.core.web.RequestSizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "linkstar.core.web.LanguageMiddleware",
    "linkstar.core.web.NumberBoundsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "linkstar.core.web.DomainErrorMiddleware",
]

ROOT_URLCONF = "linkstar.urls"
WSGI_APPLICATION = "linkstar.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "linkstar.accounts.web.navigation",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------
_database_url = env("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    # A test database per test process, so that test runs side by side do not collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "linkstar.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the lock when it begins, so two writers
                # queue instead of failing when one upgrades its read lock.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# --- passwords and two-factor sign-in (issue 17 §7) --------------------------------------------
# Every way a password is set (accounts.services.validate_new_password) runs these validators.
LINKSTAR_PASSWORD_MIN_LENGTH = env_int("LINKSTAR_PASSWORD_MIN_LENGTH", 8)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "name")},
    },
    {
        "NAME": "linkstar.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": LINKSTAR_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The name authenticator apps show next to the account.
LINKSTAR_TOTP_ISSUER = env("LINKSTAR_TOTP_ISSUER", "LinkStar") or "LinkStar"
# Time steps of 30 s accepted before and after the current one (clock drift of the phone).
LINKSTAR_TOTP_VALID_WINDOW = env_int("LINKSTAR_TOTP_VALID_WINDOW", 1)
# How long the second step of a sign-in waits for the code after the password was right.
LINKSTAR_TWO_FACTOR_LOGIN_SECONDS = env_int("LINKSTAR_TWO_FACTOR_LOGIN_SECONDS", 300)
LINKSTAR_RECOVERY_CODES = env_int("LINKSTAR_RECOVERY_CODES", 10)

# --- cache and background jobs ---------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS: list = []  # each app keeps its own locale/ (see core/i18n.py)
LANGUAGE_COOKIE_NAME = "linkstar_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("LINKSTAR_TIME_ZONE", "Asia/Shanghai")

# --- static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "files"
# Uploaded files are never served by URL: no MEDIA_URL, no route serves MEDIA_ROOT; documents are
# streamed by permission-checked views (documents.views.document_download and its API twin).

# --- stored files: local under <data dir>/files, or S3-compatible object storage -----------------
LINKSTAR_S3_BUCKET = env("LINKSTAR_S3_BUCKET")
if LINKSTAR_S3_BUCKET:
    _file_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": LINKSTAR_S3_BUCKET,
            "endpoint_url": env("LINKSTAR_S3_ENDPOINT_URL") or None,
            "access_key": env("LINKSTAR_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("LINKSTAR_S3_SECRET_ACCESS_KEY") or None,
            "region_name": env("LINKSTAR_S3_REGION") or None,
            "addressing_style": env("LINKSTAR_S3_ADDRESSING_STYLE") or None,
            "location": env("LINKSTAR_S3_PREFIX", "") or "",
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
    STORAGES["default"] = _file_storage
else:
    _file_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(MEDIA_ROOT),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
STORAGES["documents"] = _file_storage

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- API --------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# --- LinkStar knobs -----------------------------------------------------------------------------
LINKSTAR_DOCUMENT_EXPIRY_WARNING_DAYS = env_int("LINKSTAR_DOCUMENT_EXPIRY_WARNING_DAYS", 30)
LINKSTAR_UPLOAD_MAX_BYTES = env_int("LINKSTAR_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
# An upload past the limit is counted and dropped as it arrives, never written in full; a request
# declaring more than the limit and a margin for its other fields is refused before it is read.
FILE_UPLOAD_HANDLERS = [
    "linkstar.documents.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Requests to one document-request upload link, and from one address to the links (django-ratelimit)
LINKSTAR_LINK_RATE = env("LINKSTAR_LINK_RATE", "30/m")
# Failed sign-ins (web and POST /auth/token) before signing in pauses: per account, per address
LINKSTAR_LOGIN_ACCOUNT_RATE = env("LINKSTAR_LOGIN_ACCOUNT_RATE", "5/15m")
LINKSTAR_LOGIN_ADDRESS_RATE = env("LINKSTAR_LOGIN_ADDRESS_RATE", "30/15m")
LINKSTAR_REQUEST_MAX_BYTES = env_int(
    "LINKSTAR_REQUEST_MAX_BYTES", LINKSTAR_UPLOAD_MAX_BYTES + 5 * 1024 * 1024
)
# The vault's "expires next" list looks this far ahead (and lists what has already expired).
LINKSTAR_DOCUMENT_EXPIRY_HORIZON_DAYS = env_int("LINKSTAR_DOCUMENT_EXPIRY_HORIZON_DAYS", 60)
LINKSTAR_BATCH_MAX_ROWS = env_int("LINKSTAR_BATCH_MAX_ROWS", 1000)
# The most tasks one bulk action of the task list (assign, move, start, complete, skip) takes.
LINKSTAR_BULK_TASKS_MAX = env_int("LINKSTAR_BULK_TASKS_MAX", 5000)
# Association risks: at most this many other projects are recorded per project and detection.
LINKSTAR_ASSOCIATION_RISK_MAX_PEERS = env_int("LINKSTAR_ASSOCIATION_RISK_MAX_PEERS", 10)
LINKSTAR_PROJECT_CODE_DIGITS = env_int("LINKSTAR_PROJECT_CODE_DIGITS", 4)
LINKSTAR_TRUST_PROXY_HEADERS = env_bool("LINKSTAR_TRUST_PROXY_HEADERS", False)
# The batch wizard posts four inputs per row: let its largest batch through Django's field cap.
DATA_UPLOAD_MAX_NUMBER_FIELDS = max(1000, 5 * LINKSTAR_BATCH_MAX_ROWS + 100)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LINKSTAR_LOG_LEVEL", "INFO")},
    # Every job start and finish is logged at INFO by django-tasks: a line a second with the
    # periodic jobs. Failures are warnings and recorded on the Background jobs page anyway.
    "loggers": {"django_tasks": {"level": env("LINKSTAR_JOB_LOG_LEVEL", "WARNING")}},
}

# The address people reach LinkStar at: links in mail, chat messages and calendar feeds.
LINKSTAR_BASE_URL = (env("LINKSTAR_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")


# --- browser hardening (issue 17 §8) ----------------------------------------------------------
# Scripts come from the app's own static files only: no inline script, no inline event handler,
# no eval (htmx runs with allowEval off, see base.html). Inline styles stay allowed: templates
# and the sandboxed mail frames (which inherit this policy) use style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Over https, how long browsers are told to come back over https only (HSTS); 0 turns it off.
LINKSTAR_HSTS_SECONDS = env_int("LINKSTAR_HSTS_SECONDS", 365 * 24 * 3600)
# LinkStar runs behind a proxy that ends TLS and sets X-Forwarded-Proto (nginx, Caddy, a load
# balancer): only then may that header say a request came in over https.
LINKSTAR_BEHIND_TLS_PROXY = env_bool("LINKSTAR_BEHIND_TLS_PROXY", False)
# The rate limits (sign-ins, upload links) count per client address, read behind the proxy too.
RATELIMIT_IP_META_KEY = "linkstar.core.web.client_address"


def browser_security(
    *, base_url: str, behind_tls_proxy: bool, hsts_seconds: int, trusted_origins: list[str]
) -> dict[str, object]:
    """Django's security settings for the address people reach LinkStar at.

    Over https, cookies travel only over https (``Secure``) and browsers are told to come back
    over https only (HSTS; Django sends it on https requests only, so behind a TLS proxy it needs
    ``behind_tls_proxy``). Over http (a local install) none of that applies. The base URL's own
    origin is trusted for CSRF, so a proxy that rewrites the Host header does not refuse forms.
    X-Forwarded-Host is never trusted: links are built from the base URL, not from the request.
    """
    parts = base_url.split("://", 1)
    https = parts[0].lower() == "https"
    origin = f"{parts[0].lower()}://{parts[1].split('/', 1)[0]}" if len(parts) == 2 else ""
    return {
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "LANGUAGE_COOKIE_SECURE": https,
        "SECURE_HSTS_SECONDS": max(hsts_seconds, 0) if https else 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": (
            ("HTTP_X_FORWARDED_PROTO", "https") if behind_tls_proxy else None
        ),
        "USE_X_FORWARDED_HOST": False,
        "CSRF_TRUSTED_ORIGINS": list(
            dict.fromkeys([*trusted_origins, *([origin] if origin else [])])
        ),
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
    }


_browser_security = browser_security(
    base_url=LINKSTAR_BASE_URL,
    behind_tls_proxy=LINKSTAR_BEHIND_TLS_PROXY,
    hsts_seconds=LINKSTAR_HSTS_SECONDS,
    trusted_origins=CSRF_TRUSTED_ORIGINS,
)
SESSION_COOKIE_SECURE = _browser_security["SESSION_COOKIE_SECURE"]
CSRF_COOKIE_SECURE = _browser_security["CSRF_COOKIE_SECURE"]
LANGUAGE_COOKIE_SECURE = _browser_security["LANGUAGE_COOKIE_SECURE"]
SECURE_HSTS_SECONDS = _browser_security["SECURE_HSTS_SECONDS"]
SECURE_HSTS_INCLUDE_SUBDOMAINS = _browser_security["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
SECURE_HSTS_PRELOAD = _browser_security["SECURE_HSTS_PRELOAD"]
SECURE_PROXY_SSL_HEADER = _browser_security["SECURE_PROXY_SSL_HEADER"]
USE_X_FORWARDED_HOST = _browser_security["USE_X_FORWARDED_HOST"]
SECURE_CONTENT_TYPE_NOSNIFF = _browser_security["SECURE_CONTENT_TYPE_NOSNIFF"]
SECURE_REFERRER_POLICY = _browser_security["SECURE_REFERRER_POLICY"]
SECURE_CROSS_ORIGIN_OPENER_POLICY = _browser_security["SECURE_CROSS_ORIGIN_OPENER_POLICY"]
X_FRAME_OPTIONS = _browser_security["X_FRAME_OPTIONS"]
CSRF_TRUSTED_ORIGINS = _browser_security["CSRF_TRUSTED_ORIGINS"]

# --- worker and scheduler (issue 5 §1) ---------------------------------------------------------
# Which queue runs background jobs: "db" (embedded, the default) or "rq" (Redis; the default
# when REDIS_URL is set). `linkstar worker` runs whichever is configured.
LINKSTAR_JOB_BACKEND = (env("LINKSTAR_JOB_BACKEND") or ("rq" if REDIS_URL else "db")).lower()
# A failing job is tried this many times in all, waiting base × 2^(attempt-1) seconds (at most
# the cap) before each new try; every failure is recorded (settings → Background jobs).
LINKSTAR_JOB_MAX_ATTEMPTS = env_int("LINKSTAR_JOB_MAX_ATTEMPTS", 5)
LINKSTAR_JOB_RETRY_BASE_SECONDS = env_int("LINKSTAR_JOB_RETRY_BASE_SECONDS", 30)
LINKSTAR_JOB_RETRY_MAX_SECONDS = env_int("LINKSTAR_JOB_RETRY_MAX_SECONDS", 6 * 3600)
# RQ kills a job running longer than this.
LINKSTAR_JOB_TIMEOUT_SECONDS = env_int("LINKSTAR_JOB_TIMEOUT_SECONDS", 1800)
# Workers write a heartbeat this often; a job whose worker has been silent for the dead time is
# handed to another worker (a crash mid-job loses nothing).
LINKSTAR_WORKER_HEARTBEAT_SECONDS = env_int("LINKSTAR_WORKER_HEARTBEAT_SECONDS", 10)
LINKSTAR_WORKER_DEAD_SECONDS = env_int("LINKSTAR_WORKER_DEAD_SECONDS", 120)
# How long `linkstar serve` waits, when stopped, for its worker to finish the job it is running.
LINKSTAR_WORKER_STOP_SECONDS = env_int("LINKSTAR_WORKER_STOP_SECONDS", LINKSTAR_JOB_TIMEOUT_SECONDS)
# Periodic jobs not scheduled on this instance: comma-separated names or patterns
# ("platformmail.*"); `linkstar worker` logs the ones it runs.
LINKSTAR_PERIODIC_DISABLED = env("LINKSTAR_PERIODIC_DISABLED", "") or ""
# Finished jobs, scheduler slots and recorded failures are pruned after this many days.
LINKSTAR_JOB_HISTORY_DAYS = env_int("LINKSTAR_JOB_HISTORY_DAYS", 14)
# Idempotency-Key answers are replayed for this long, then forgotten.
LINKSTAR_IDEMPOTENCY_TTL_HOURS = env_int("LINKSTAR_IDEMPOTENCY_TTL_HOURS", 24)
# A request still "in progress" after this long is taken as abandoned (its process died).
LINKSTAR_IDEMPOTENCY_LOCK_SECONDS = env_int("LINKSTAR_IDEMPOTENCY_LOCK_SECONDS", 300)
# Org tokens act through a service user with this email domain (never a mailbox).
LINKSTAR_SERVICE_USER_DOMAIN = env("LINKSTAR_SERVICE_USER_DOMAIN", "tokens.linkstar.invalid")
if LINKSTAR_JOB_BACKEND == "rq":
    if not REDIS_URL:
        raise RuntimeError("LINKSTAR_JOB_BACKEND=rq needs REDIS_URL")
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": LINKSTAR_JOB_TIMEOUT_SECONDS}}
    TASKS = {"default": {"BACKEND": "linkstar.worker.backends.RQBackend", "QUEUES": ["default"]}}

# --- notifications: reminders, preferences, digest (issue 5 §2-3) -------------------------------
# Default "due soon" reminders, in days before the due date (0: the due day); per organization
# in its notification settings.
LINKSTAR_REMINDER_LEAD_DAYS = [
    int(d) for d in (env("LINKSTAR_REMINDER_LEAD_DAYS", "2,0") or "").split(",") if d.strip()
]
# A project with no recorded activity for this many days is reported stalled to its manager.
LINKSTAR_STALLED_DAYS = env_int("LINKSTAR_STALLED_DAYS", 5)
# The daily digest goes out from this hour (organization's time zone) on.
LINKSTAR_DIGEST_HOUR = env_int("LINKSTAR_DIGEST_HOUR", 18)
# A notification that sums up a batch of events (20 projects created at once) names this many
# of them; the rest are counted ("… and 15 more").
LINKSTAR_NOTIFY_SUMMARY_ITEMS = env_int("LINKSTAR_NOTIFY_SUMMARY_ITEMS", 5)
# Reminders (due soon, overdue, stalled …) go out from this time of day (HH:MM) in each
# organization's time zone, not in the first scan after midnight; per organization in its
# notification settings.
LINKSTAR_REMINDER_TIME = env("LINKSTAR_REMINDER_TIME", "09:00") or "09:00"
# Instant mails of one kind to one person within this many minutes of each other become one mail
# listing them (the first goes at once, the next ones together at the end of the window).
LINKSTAR_MAIL_COALESCE_MINUTES = env_int("LINKSTAR_MAIL_COALESCE_MINUTES", 5)
# Whether that coalescing is on by default (organizations and people may change it).
LINKSTAR_MAIL_COALESCE = env_bool("LINKSTAR_MAIL_COALESCE", True)
# Documents: reminders this many days before the expiry date (and once expired).
LINKSTAR_DOCUMENT_REMINDER_DAYS = [
    int(d) for d in (env("LINKSTAR_DOCUMENT_REMINDER_DAYS", "30,7") or "").split(",") if d.strip()
]

# --- delivery: outbox, mail, chat robots, webhooks (issue 5 §3-4, issue 6 §4) -------------------
# A delivery is tried this many times in all, waiting base × 2^(n-1) seconds after the n-th failure.
LINKSTAR_DELIVERY_MAX_ATTEMPTS = env_int("LINKSTAR_DELIVERY_MAX_ATTEMPTS", 6)
LINKSTAR_DELIVERY_RETRY_BASE_SECONDS = env_int("LINKSTAR_DELIVERY_RETRY_BASE_SECONDS", 60)
LINKSTAR_DELIVERY_TIMEOUT_SECONDS = env_int("LINKSTAR_DELIVERY_TIMEOUT_SECONDS", 10)
# How many deliveries one sweep claims, and how many it sends at once (HTTP and SMTP in threads).
LINKSTAR_DELIVERY_BATCH = env_int("LINKSTAR_DELIVERY_BATCH", 200)
LINKSTAR_DELIVERY_CONCURRENCY = env_int("LINKSTAR_DELIVERY_CONCURRENCY", 8)
# Mail: SMTP when a host is set, else written to files under the data dir (console: "console").
LINKSTAR_SMTP_HOST = env("LINKSTAR_SMTP_HOST", "") or ""
EMAIL_HOST = LINKSTAR_SMTP_HOST
EMAIL_PORT = env_int("LINKSTAR_SMTP_PORT", 25)
EMAIL_HOST_USER = env("LINKSTAR_SMTP_USER", "") or ""
EMAIL_HOST_PASSWORD = env("LINKSTAR_SMTP_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("LINKSTAR_SMTP_TLS", False)
EMAIL_USE_SSL = env_bool("LINKSTAR_SMTP_SSL", False)
EMAIL_TIMEOUT = env_int("LINKSTAR_DELIVERY_TIMEOUT_SECONDS", 10)
DEFAULT_FROM_EMAIL = env("LINKSTAR_MAIL_FROM", "LinkStar <linkstar@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if LINKSTAR_SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif (env("LINKSTAR_MAIL_BACKEND", "file") or "file") == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")


# --- platform mail (issue 5 §5) -----------------------------------------------------------------
# How often the worker polls each IMAP mailbox, the most messages one poll imports, the
# largest raw message accepted (upload, API, IMAP), and the IMAP connection timeout in seconds.
LINKSTAR_MAIL_POLL_MINUTES = env_int("LINKSTAR_MAIL_POLL_MINUTES", 5)
LINKSTAR_MAIL_POLL_BATCH = env_int("LINKSTAR_MAIL_POLL_BATCH", 200)
LINKSTAR_MAIL_MAX_BYTES = env_int("LINKSTAR_MAIL_MAX_BYTES", 25 * 1024 * 1024)
LINKSTAR_MAIL_IMAP_TIMEOUT = env_int("LINKSTAR_MAIL_IMAP_TIMEOUT", 30)

# --- import, export, archives, calendar (issue 6 §1-2) ------------------------------------------
LINKSTAR_IMPORT_MAX_ROWS = env_int("LINKSTAR_IMPORT_MAX_ROWS", 10000)
LINKSTAR_IMPORT_MAX_BYTES = env_int("LINKSTAR_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# An import saves its projects this many rows at a time (one transaction; progress per chunk).
LINKSTAR_IMPORT_CHUNK_ROWS = env_int("LINKSTAR_IMPORT_CHUNK_ROWS", 500)
# A project archive (.zip) can be downloaded for this long, then the cleanup job deletes it.
LINKSTAR_ARCHIVE_TTL_HOURS = env_int("LINKSTAR_ARCHIVE_TTL_HOURS", 72)
# The most projects one archive may hold (a request for more is refused, naming the filters).
LINKSTAR_ARCHIVE_MAX_PROJECTS = env_int("LINKSTAR_ARCHIVE_MAX_PROJECTS", 500)

# --- backup and restore (issue 6 §3) -------------------------------------------------------------
# Scheduled backups: the worker writes one archive a day into this directory when it is set.
LINKSTAR_BACKUP_DIR = env("LINKSTAR_BACKUP_DIR", "") or ""
# Retention: the newest archive of each of the last N days and of each of the last M ISO weeks.
LINKSTAR_BACKUP_KEEP_DAILY = env_int("LINKSTAR_BACKUP_KEEP_DAILY", 7)
LINKSTAR_BACKUP_KEEP_WEEKLY = env_int("LINKSTAR_BACKUP_KEEP_WEEKLY", 4)
# Scheduled archives hold the key files (keep them safe); false to leave them out.
LINKSTAR_BACKUP_INCLUDE_KEYS = env_bool("LINKSTAR_BACKUP_INCLUDE_KEYS", True)
