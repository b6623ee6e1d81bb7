"""Settings for the licence portal, read from the environment (django-environ).

Every default serves a laptop: SQLite in var/, mail to the console and var/mail/, an embedded
Celery broker. Production sets DEBUG=false and must then provide its own SECRET_KEY.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_DEFAULT_SECRET_KEY = "django-insecure-laptop-only-secret-key-change-me"
# Two profiles: "laptop" (the default, DEBUG on) and "production" (PORTAL_PROFILE=production, or
# DEBUG=false). Production refuses to start without its own strong SECRET_KEY and ALLOWED_HOSTS,
# and turns on every HTTPS protection that `check --deploy` asks for.
PORTAL_PROFILE = env.str("PORTAL_PROFILE", default="laptop" if env.bool("DEBUG", default=True) else "production")
if PORTAL_PROFILE not in {"laptop", "production"}:
    raise ImproperlyConfigured(f"PORTAL_PROFILE must be laptop or production, not {PORTAL_PROFILE!r}.")
PRODUCTION = PORTAL_PROFILE == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if PRODUCTION:
    from accessportal.checks import secret_key_problem

    if problem := secret_key_problem(SECRET_KEY):
        raise ImproperlyConfigured(problem)

ALLOWED_HOSTS = (
    env.list("ALLOWED_HOSTS") if PRODUCTION or "ALLOWED_HOSTS" in env else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and (not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS):
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the portal's host names in production (not '*').")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "requests_app",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the page's language from the switcher's cookie or the browser.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "requests_app.access.mfa.RequireSecondFactorMiddleware",
]

ROOT_URLCONF = "accessportal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "requests_app.context_processors.is_reviewer",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

if not DEBUG:
    # Templates compiled once per process. With DEBUG on, Django's default loaders cache too but
    # reload a template that changed on disk.
    TEMPLATES[0]["APP_DIRS"] = False
    TEMPLATES[0]["OPTIONS"]["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"],
        )
    ]

WSGI_APPLICATION = "accessportal.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: a page no longer pays for a new connection (on PostgreSQL that was most
# of a page's time). The health check, run when a request reuses one, replaces a connection the
# server dropped instead of failing the request. CONN_MAX_AGE=0 connects per request again.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every web process (rate limits count across all of them): CACHE_URL, e.g.
# redis://127.0.0.1:6379/1. The default, per process, is only right for one process on a laptop.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts: email is the login, and nobody applies before proving they own it.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The user model keeps its unique username: allauth fills it from the email (alice, alice2, ...), so a
# second person can sign up. Setting the field to None left every username blank and the second signup
# a 500 on the unique index. People are shown by their email, never by that generated name.
ACCOUNT_USER_DISPLAY = "requests_app.access.accounts.user_display"
ACCOUNT_ADAPTER = "requests_app.access.accounts.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# Lazy: every subject is prefixed in the language its email is written in (its recipient's).
ACCOUNT_EMAIL_SUBJECT_PREFIX = format_lazy("[{}] ", gettext_lazy("Licence portal"))
LOGIN_REDIRECT_URL = "requests_app:my_requests"
# Rate limits (allauth, counted in the shared cache). Failed logins are limited per account first:
# five wrong passwords lock that account for a while, not the address they came from, so one
# person cannot lock out a whole lab behind one NAT address. The per-address limit is there to
# slow down someone trying many accounts, and is set well above what a lab's users produce.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="5/5m/key,60/10m/ip"),
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
}
# Second factor (allauth.mfa): a reviewer or staff member must pass one before any page except these
# (allauth's own pages, where it is set up and asked for; the language switch; the public verify page;
# the API and key set, which a session does not authorise).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG  # security keys on http://127.0.0.1 in the laptop profile
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Licence portal")
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=True)
MFA_OPEN_PATHS = ["/accounts/", "/i18n/", "/healthz", "/verify/", "/api/", "/.well-known/"]
LOGIN_URL = "account_login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
# English and Simplified Chinese; a zh-CN / zh-SG browser gets zh-hans. Each name is written in its own
# language, so a reader who cannot read the current page still finds theirs in the switcher.
LANGUAGES = [("en-gb", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice, remembered by the browser for a year (and for a signed-in person's emails).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
# `|date` and `|date:"DATETIME_FORMAT"` read these per language: 1 Dec 2026 / 2026年12月1日.
FORMAT_MODULE_PATH = ["accessportal.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Uploaded signed copies live outside any static root and are served only by permission-checked views.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "private")
# Or in an S3-compatible bucket (django-storages) that every web and worker machine shares. Objects
# are private (no public ACL, no public URL): the portal streams them through the same checked
# views, and any URL the storage makes is signed and expires after S3_URL_SECONDS.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,  # MinIO, Ceph, Garage...
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("S3_PREFIX", default=""),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("S3_URL_SECONDS", default=300),
            "file_overwrite": False,
        },
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="requests_app.notifications.mail_backends.ConsoleAndFileBackend")
EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Licence portal <noreply@localhost>")

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Behind a TLS proxy (production profile) ------------------------------------------------------
# The proxy terminates TLS and must set X-Forwarded-Proto (and overwrite any the client sent).
# HSTS is on for a year by default; HSTS_SECONDS=0 turns it off while trying a new host name.
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The proxy and the orchestrator probe /healthz over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO"), "https")
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The proxies whose X-Forwarded-For is believed (addresses or networks, e.g. 10.0.0.0/8). Anyone
# else's header is ignored: the client's own address is the one that connected (requests_app/ops).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Content Security Policy (django-csp), in both profiles so that the laptop shows what production
# would block: no inline script or style anywhere; every script and stylesheet is a static file.
from csp.constants import SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [SELF],
        "object-src": [SELF],  # the browser's PDF viewer embeds the issued agreement
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# The agreement's embedded TrueType fonts (requests_app/documents/fonts.py): Debian's fonts-noto-core
# and fonts-wqy-zenhei install them here.
AGREEMENT_FONT_DIR = env.str("AGREEMENT_FONT_DIR", default="/usr/share/fonts/truetype")

# Signed copies of the agreement (requests_app/documents/signed_copies.py): what an upload may be.
SIGNED_COPY_MAX_BYTES = env.int("SIGNED_COPY_MAX_BYTES", default=15_000_000)
SIGNED_COPY_MAX_PAGES = env.int("SIGNED_COPY_MAX_PAGES", default=30)
SIGNED_COPY_MAX_PIXELS = env.int("SIGNED_COPY_MAX_PIXELS", default=60_000_000)  # A4 at 600 dpi is 35 MP
SIGNED_COPY_MAX_INFLATED_BYTES = env.int("SIGNED_COPY_MAX_INFLATED_BYTES", default=300_000_000)
# All the pixels of one upload together (scans of every page, images in a PDF): about 30 A4 pages at 200 dpi.
SIGNED_COPY_MAX_TOTAL_PIXELS = env.int("SIGNED_COPY_MAX_TOTAL_PIXELS", default=120_000_000)
SIGNED_COPY_CHECK_SECONDS = env.float("SIGNED_COPY_CHECK_SECONDS", default=30.0)
# The check runs in a child of the Celery worker with hard limits: address space beyond what the
# worker already holds, and CPU seconds; the worker kills it after SIGNED_COPY_CHECK_SECONDS + 10.
SIGNED_COPY_CHECK_MEMORY_BYTES = env.int("SIGNED_COPY_CHECK_MEMORY_BYTES", default=1_000_000_000)
SIGNED_COPY_CHECK_CPU_SECONDS = env.int("SIGNED_COPY_CHECK_CPU_SECONDS", default=40)
# A PEM/DER bundle of the CA certificates whose digital signatures count as identity verified; empty: none do.
SIGNED_COPY_TRUST_ROOTS = env.str("SIGNED_COPY_TRUST_ROOTS", default="")
# --- SQLite shared by the web process and the Celery worker ----------------------------------------
# `make run` has two processes writing one SQLite file: WAL lets readers and a writer work at once,
# IMMEDIATE transactions queue writers instead of failing with "database is locked", and
# synchronous=NORMAL (safe with WAL) stops every autocommit write from waiting for an fsync.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        transaction_mode="IMMEDIATE",
        timeout=20,
    )

# --- Celery: reminders and notifications -------------------------------------------------------
# The default broker is kombu's filesystem transport under var/celery/: it needs no server, so
# `make run` works on a laptop. CELERY_BROKER_URL=redis://... or amqp://... switches to a real one.
CELERY_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("queue", "processed", "control"):
        (CELERY_DIR / folder).mkdir(parents=True, exist_ok=True)
    # One folder in and out: the web process, beat and the worker share one queue directory.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),
        "store_processed": False,
    }
# Tasks record their outcome on the Notification row, so no result backend is needed.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran: a worker that dies mid-task leaves it for another worker
# (the Notification claim makes the second run a no-op if the email already went out).
CELERY_TASK_ACKS_LATE = True
# A task whose worker process was killed goes back to the queue at once instead of being acked as
# failed. Safe for every task here: each claims its rows first, so a rerun sends nothing twice.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# With late acks a worker holds one message per process beyond the one it runs, not four.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands a message a worker took but never acked (the whole worker died) to another worker
# after the visibility timeout. It must exceed the longest countdown a task is given (a retry's
# backoff, NOTIFICATION_RETRY_BACKOFF_MAX) or that task is delivered again early (harmless here,
# but noisy). RabbitMQ needs none: it redelivers as soon as the dead worker's connection drops.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=4200)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DIR / "beat-schedule")
CELERY_TIMEZONE = TIME_ZONE

# Every period the reminders use. Days are calendar days unless the name says otherwise.
REMINDER_TERMS_EVERY_MONTHS = env.int("REMINDER_TERMS_EVERY_MONTHS", default=6)
# A reminder whose moment passed longer ago than this is skipped (the beat was down): the next
# one comes in its turn. It also bounds what a sweep has to look at.
REMINDER_CATCH_UP_DAYS = env.int("REMINDER_CATCH_UP_DAYS", default=30)
NUDGE_AFTER_DAYS = tuple(env.list("NUDGE_AFTER_DAYS", cast=int, default=[3, 10]))
STALE_AFTER_DAYS = env.int("STALE_AFTER_DAYS", default=30)
EXPIRY_NOTICE_DAYS = tuple(env.list("EXPIRY_NOTICE_DAYS", cast=int, default=[30, 7]))
REVIEWER_DIGEST_HOUR = env.int("REVIEWER_DIGEST_HOUR", default=7)
# A licence can be renewed from this many days before it expires.
RENEWAL_OPENS_DAYS = env.int("RENEWAL_OPENS_DAYS", default=60)
REMINDER_SWEEP_EVERY_MINUTES = env.int("REMINDER_SWEEP_EVERY_MINUTES", default=15)
# Sweeps write this many rows per transaction, each batch committed on its own; on SQLite they pause
# between two batches so that an applicant's write gets the lock (requests_app/ops/batches.py).
SWEEP_BATCH_SIZE = env.int("SWEEP_BATCH_SIZE", default=50)
SWEEP_PAUSE_SECONDS = env.float(
    "SWEEP_PAUSE_SECONDS", default=0.15 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 0.0
)
NOTIFICATION_MAX_RETRIES = env.int("NOTIFICATION_MAX_RETRIES", default=5)
# Retry n waits up to NOTIFICATION_RETRY_BACKOFF * 2**(n-1) seconds (random jitter), at most ..._MAX.
NOTIFICATION_RETRY_BACKOFF = env.int("NOTIFICATION_RETRY_BACKOFF", default=60)
# A sweep's emails are sent in batches of this many per task: a few commits per batch, not per email.
NOTIFICATION_SEND_BATCH = env.int("NOTIFICATION_SEND_BATCH", default=100)
NOTIFICATION_RETRY_BACKOFF_MAX = env.int("NOTIFICATION_RETRY_BACKOFF_MAX", default=3600)
# A notification claimed for longer than this without being marked sent had its worker die mid-send:
# the admin shows it as uncertain (maybe sent) and only an admin sends it again (requests_app/ops/uncertain.py).
NOTIFICATION_UNCERTAIN_AFTER_SECONDS = env.int("NOTIFICATION_UNCERTAIN_AFTER_SECONDS", default=900)

# The audit digest: every request's chain head, signed, written daily to AUDIT_DIGEST_DIR and its
# root emailed to AUDIT_DIGEST_EMAILS (the owner). Keep both somewhere the database's admins cannot write.
AUDIT_DIGEST_DIR = env.path("AUDIT_DIGEST_DIR", default=VAR_DIR / "audit")
AUDIT_DIGEST_EMAILS = env.list("AUDIT_DIGEST_EMAILS", default=[])
AUDIT_DIGEST_KEY = env.str("AUDIT_DIGEST_KEY", default="")
AUDIT_DIGEST_HOUR = env.int("AUDIT_DIGEST_HOUR", default=2)

# The representative's link to confirm a request works this long; one reminder after the second period.
REPRESENTATIVE_LINK_DAYS = env.int("REPRESENTATIVE_LINK_DAYS", default=14)
REPRESENTATIVE_REMIND_AFTER_DAYS = env.int("REPRESENTATIVE_REMIND_AFTER_DAYS", default=3)

# Rejected and withdrawn requests lose their personal data this long after they closed; a licence
# keeps its record until it ended (expired or revoked), plus the same period.
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=365)

# The one beat schedule.
from celery.schedules import crontab  # noqa: E402  (only the schedule needs it)

CELERY_BEAT_SCHEDULE = {
    "reminders-sweep": {
        "task": "requests_app.tasks.reminders_sweep",
        "schedule": REMINDER_SWEEP_EVERY_MINUTES * 60,
    },
    "reviewer-digest": {
        "task": "requests_app.tasks.reviewer_digest_sweep",
        "schedule": crontab(hour=REVIEWER_DIGEST_HOUR, minute=0),
    },
    "audit-digest": {
        "task": "requests_app.audit.tasks.audit_digest",
        "schedule": crontab(hour=AUDIT_DIGEST_HOUR, minute=30),
    },
    "personal-data-sweep": {
        "task": "requests_app.privacy.tasks.personal_data_sweep",
        "schedule": crontab(hour=3, minute=30),
    },
    "representative-reminders": {
        "task": "requests_app.identity.tasks.representative_reminders_sweep",
        "schedule": REMINDER_SWEEP_EVERY_MINUTES * 60,
    },
    # Yearly per licence; looked for daily (a missed day is caught up for 30 days).
    "papers-reminders": {
        "task": "requests_app.tasks.papers_reminder_sweep",
        "schedule": crontab(hour=REVIEWER_DIGEST_HOUR, minute=30),
    },
}


# --- The download side: API, webhooks, licence tokens, Hugging Face (requests_app/integrations) ----
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["requests_app.integrations.keys.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["requests_app.integrations.keys.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["requests_app.integrations.keys.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_KEY_RATE", default="600/minute")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "requests_app.integrations.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dataset licence portal API",
    "DESCRIPTION": "Licences, their audit trail and reviewers' decisions, for the dataset owner's download side.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The documentation page's Swagger UI comes from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"LicenceStatusEnum": "requests_app.models.LicenseRequest.Status"},
}
# Webhooks: loopback, private and link-local targets (and plain http) are refused unless allowed.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_RETRIES = env.int("WEBHOOK_MAX_RETRIES", default=8)
WEBHOOK_RETRY_BACKOFF = env.int("WEBHOOK_RETRY_BACKOFF", default=30)
WEBHOOK_RETRY_BACKOFF_MAX = env.int("WEBHOOK_RETRY_BACKOFF_MAX", default=6 * 3600)
# Licence tokens (JWT, RS256): the portal's private key, generated on first use when missing.
LICENCE_TOKEN_KEY_FILE = env.path("LICENCE_TOKEN_KEY_FILE", default=VAR_DIR / "licence-token-key.pem")
LICENCE_TOKEN_GENERATE_KEY = env.bool("LICENCE_TOKEN_GENERATE_KEY", default=DEBUG)
LICENCE_TOKEN_MAX_DAYS = env.int("LICENCE_TOKEN_MAX_DAYS", default=365)
# Hugging Face gated repositories: the owner's token (write access to the repo) and the Hub's address.
HF_TOKEN = env.str("HF_TOKEN", default="")
HF_ENDPOINT = env.str("HF_ENDPOINT", default="https://huggingface.co")
HF_REPO_TYPE = env.str("HF_REPO_TYPE", default="dataset")
HF_PENDING_SWEEP_EVERY_MINUTES = env.int("HF_PENDING_SWEEP_EVERY_MINUTES", default=60)
CELERY_BEAT_SCHEDULE["hf-pending-sweep"] = {
    "task": "requests_app.integrations.tasks.hf_pending_sweep",
    "schedule": HF_PENDING_SWEEP_EVERY_MINUTES * 60,
}
