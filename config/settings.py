"""Waypoint settings: one file, driven by the environment, with safe embedded defaults.

With nothing set: SQLite in the project folder, eager Celery tasks, console email, local media.
With DEBUG off the process refuses to start without a real SECRET_KEY.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "engagements",
    "diagnostics",
    "architecture",
    "sprints",
    "launch",
    "enablement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: an oversized upload is refused at once (413).
    "engagements.uploads.UploadLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "engagements.middleware.TenantMiddleware",
    # Inside the tenant scope, so a refusal's page is resolved as the request was.
    "engagements.middleware.RefusalMiddleware",
    # Axes last, as its documentation asks, so it sees the authentication outcome.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "engagements.context_processors.membership",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'waypoint.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has a web server, a worker and beat writing one file: write-ahead
    # logging lets readers go on while one writes, and writers wait their turn instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "engagements.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# Repeated failed sign-ins lock the account name out for a while (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# A name is locked from one address after repeated failures; other addresses are unaffected.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The sign-in form posts the email as "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Uploads: the largest file any form accepts (a migration export); a request whose body is
# larger than that plus REQUEST_BODY_OVERHEAD_BYTES (the form's other fields) is refused with
# 413 before it is read, and a streamed upload is stopped at the same limit. Set the reverse
# proxy's limit (nginx `client_max_body_size`) to REQUEST_BODY_MAX_BYTES too.
MIGRATION_UPLOAD_MAX_BYTES = env.int("MIGRATION_UPLOAD_MAX_BYTES", default=256 * 1024 * 1024)
UPLOAD_MAX_BYTES = MIGRATION_UPLOAD_MAX_BYTES
REQUEST_BODY_OVERHEAD_BYTES = 1024 * 1024
REQUEST_BODY_MAX_BYTES = UPLOAD_MAX_BYTES + REQUEST_BODY_OVERHEAD_BYTES
FILE_UPLOAD_HANDLERS = [
    "engagements.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
# Reports larger than this are linked in the email instead of attached.
REPORT_ATTACHMENT_MAX_BYTES = env.int("REPORT_ATTACHMENT_MAX_BYTES", default=8 * 1024 * 1024)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Waypoint <waypoint@localhost>")

# Celery: Redis when REDIS_URL is set. Without it, the embedded default: kombu's filesystem
# transport on a local folder, a broker that needs no server, so `make run` has a real worker
# and beat. Like Redis without persistence it keeps no unacknowledged message through a worker
# killed outright: the job watchdog and the outbox sweeper re-queue what that strands.
# Eager, in-process execution is for tests (and `seed_demo`) only.
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_FOLDER = Path(env.str("BROKER_FOLDER", default=str(BASE_DIR / "var" / "broker")))
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Broker visibility timeout: a task whose worker was killed outright (no chance to reject it)
# is redelivered only after this. It must exceed the longest task, or a slow task is handed to a
# second worker while the first still runs it. The longest task is a migration commit run of the
# largest accepted upload (256 MB, about 1M rows at ~3,600 rows/s: 5 minutes, 10 with storing):
# 30 minutes leaves room, and the hard time limit below stops any task before it, so no task is
# ever run twice at once. The cost of a long timeout — a killed worker's message waits that long
# — is not what users see: the job watchdog re-queues a job whose heartbeat is JOB_STALE_AFTER
# old, and the late redelivery finds the job finished and does nothing.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=30 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=CELERY_VISIBILITY_TIMEOUT - 120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int(
    "CELERY_TASK_SOFT_TIME_LIMIT", default=CELERY_TASK_TIME_LIMIT - 60
)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT < CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "Celery limits must satisfy 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT "
        "< CELERY_VISIBILITY_TIMEOUT (seconds)."
    )
# Enqueuing while Redis is down gives up after a few seconds instead of holding the request:
# the job or email row is committed already, and the watchdog or outbox sweeper queues it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0.2,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)

# Jobs: a job in flight whose heartbeat is older than this has lost its worker (a running task
# beats every JOB_HEARTBEAT_SECONDS from a thread, besides its progress writes). The watchdog
# (every JOB_WATCHDOG_SECONDS) re-queues it up to JOB_MAX_REQUEUES times, and fails a job that
# was lost with its worker JOB_MAX_LOST times.
JOB_STALE_AFTER = env.int("JOB_STALE_AFTER", default=5 * 60)
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=30.0)
JOB_WATCHDOG_SECONDS = env.float("JOB_WATCHDOG_SECONDS", default=60.0)
JOB_MAX_REQUEUES = env.int("JOB_MAX_REQUEUES", default=3)
JOB_MAX_LOST = env.int("JOB_MAX_LOST", default=3)

# Tasks: database errors a retry may fix are retried this many times, with backoff from 3 s
# doubling up to TASK_DB_RETRY_BACKOFF_MAX (about 7 minutes in all).
TASK_DB_MAX_RETRIES = env.int("TASK_DB_MAX_RETRIES", default=8)
TASK_DB_RETRY_BACKOFF_MAX = env.int("TASK_DB_RETRY_BACKOFF_MAX", default=120)

# Outbox: an email still queued after OUTBOX_GRACE_SECONDS (its task was lost, or Redis was
# down when we tried to enqueue it) is queued again by the sweeper (every OUTBOX_SWEEP_SECONDS);
# one left "sending" for OUTBOX_SENDING_STALE_SECONDS (its worker died mid-send; well above
# EMAIL_TIMEOUT) is sent again with the same Message-ID. A failed attempt waits the next of
# EMAIL_RETRY_DELAYS (seconds: 1, 5, 15, 30 minutes, then 1, 2, 4 and 8 hours, about 16 hours
# in all) before the next; after the last the email is failed and offers a resend.
OUTBOX_GRACE_SECONDS = env.int("OUTBOX_GRACE_SECONDS", default=120)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=60.0)
OUTBOX_SENDING_STALE_SECONDS = env.int("OUTBOX_SENDING_STALE_SECONDS", default=5 * 60)
EMAIL_RETRY_DELAYS = [
    int(seconds)
    for seconds in env.list(
        "EMAIL_RETRY_DELAYS", default=[60, 300, 900, 1800, 3600, 7200, 14400, 28800]
    )
]
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=60)
if EMAIL_TIMEOUT >= OUTBOX_SENDING_STALE_SECONDS:
    raise ImproperlyConfigured("EMAIL_TIMEOUT must be below OUTBOX_SENDING_STALE_SECONDS.")
if not REDIS_URL:
    # The embedded broker folder has no visibility timeout: a message is taken from the folder
    # when a worker picks it up, and the watchdog and sweeper re-queue what a killed worker held.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER),
        "data_folder_out": str(BROKER_FOLDER),
        "store_processed": False,
    }
    BROKER_FOLDER.mkdir(parents=True, exist_ok=True)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "daily-digests": {
        "task": "engagements.tasks.send_daily_digests",
        "schedule": crontab(hour=7, minute=0),
    },
    # Every 5 minutes: each notice is sent once, so this only sets how soon after its day a
    # notice goes out (and how soon the demo's overdue request is chased after `make run`).
    "signoff-reminders": {
        "task": "engagements.tasks.send_signoff_reminders",
        "schedule": 5 * 60.0,
    },
    "launch-communications": {"task": "launch.tasks.send_due_communications", "schedule": 60.0},
    "hypercare-escalations": {"task": "launch.tasks.escalate_incidents", "schedule": 60.0},
    "adoption-metrics": {
        "task": "enablement.tasks.compute_adoption_metrics",
        "schedule": 15 * 60.0,
    },
    "adoption-alerts": {"task": "enablement.tasks.evaluate_adoption_alerts", "schedule": 60 * 60.0},
    "job-watchdog": {"task": "engagements.tasks.jobs_watchdog", "schedule": JOB_WATCHDOG_SECONDS},
    "outbox-sweeper": {"task": "engagements.tasks.outbox_sweep", "schedule": OUTBOX_SWEEP_SECONDS},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A service's refusal is a problem+json 400 (RFC 9457), mapped once.
    "EXCEPTION_HANDLER": "engagements.api.problem_exception_handler",
}

# The OpenAPI schema and its Swagger UI, with the UI's assets served from our own static files
# (drf-spectacular-sidecar), so the documentation works offline.
SPECTACULAR_SETTINGS = {
    "TITLE": "Waypoint API",
    "DESCRIPTION": "Usage events in from a client's sales system, adoption metrics out. "
    "Authenticate with a firm API key: `Authorization: Api-Key wp_…`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Eager tasks would log every run into the web process; a worker logs them itself.
    "loggers": {
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        # WeasyPrint and fontTools log every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
