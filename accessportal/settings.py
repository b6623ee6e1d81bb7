"""Settings for the licence portal, read from the environment (django-environ).

Every default serves a laptop: SQLite in var/, mail to the console and var/mail/, an embedded
Celery broker. Production sets DEBUG=false and must then provide its own SECRET_KEY.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_DEFAULT_SECRET_KEY = "django-insecure-laptop-only-secret-key-change-me"
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
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
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "requests_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
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
            ],
        },
    },
]

WSGI_APPLICATION = "accessportal.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
ACCOUNT_USER_DISPLAY = "requests_app.accounts.user_display"
ACCOUNT_ADAPTER = "requests_app.accounts.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Licence portal] "
LOGIN_REDIRECT_URL = "requests_app:my_requests"
LOGIN_URL = "account_login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
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

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="requests_app.mail_backends.ConsoleAndFileBackend")
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Signed copies of the agreement (requests_app/signed_copies.py): what an upload may be.
SIGNED_COPY_MAX_BYTES = env.int("SIGNED_COPY_MAX_BYTES", default=15_000_000)
SIGNED_COPY_MAX_PAGES = env.int("SIGNED_COPY_MAX_PAGES", default=30)
SIGNED_COPY_MAX_PIXELS = env.int("SIGNED_COPY_MAX_PIXELS", default=60_000_000)  # A4 at 600 dpi is 35 MP
SIGNED_COPY_MAX_INFLATED_BYTES = env.int("SIGNED_COPY_MAX_INFLATED_BYTES", default=300_000_000)
# All the pixels of one upload together (scans of every page, images in a PDF): about 30 A4 pages at 200 dpi.
SIGNED_COPY_MAX_TOTAL_PIXELS = env.int("SIGNED_COPY_MAX_TOTAL_PIXELS", default=120_000_000)
SIGNED_COPY_CHECK_SECONDS = env.float("SIGNED_COPY_CHECK_SECONDS", default=30.0)
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
REMINDER_SWEEP_EVERY_MINUTES = env.int("REMINDER_SWEEP_EVERY_MINUTES", default=15)
NOTIFICATION_MAX_RETRIES = env.int("NOTIFICATION_MAX_RETRIES", default=5)
# Retry n waits up to NOTIFICATION_RETRY_BACKOFF * 2**(n-1) seconds (random jitter), at most ..._MAX.
NOTIFICATION_RETRY_BACKOFF = env.int("NOTIFICATION_RETRY_BACKOFF", default=60)
# A sweep's emails are sent in batches of this many per task: a few commits per batch, not per email.
NOTIFICATION_SEND_BATCH = env.int("NOTIFICATION_SEND_BATCH", default=100)
NOTIFICATION_RETRY_BACKOFF_MAX = env.int("NOTIFICATION_RETRY_BACKOFF_MAX", default=3600)

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
}
