"""One settings module, driven by the environment (STYLE.md 8; healthchecks ``hc/settings.py``).

Defaults run on a laptop with no services: SQLite, a filesystem Celery broker, local folders for artifacts.
Production sets ``DATABASE_URL``, ``REDIS_URL``, ``AWS_STORAGE_BUCKET_NAME``, ``SECRET_KEY`` and ``DEBUG=false``.
Every value can also come from ``<NAME>_FILE`` (a Docker/Kubernetes secret), which django-environ reads.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)


def _secret_key() -> str:
    """A real key from the environment; in development one generated once and kept in ``var/``."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise environ.ImproperlyConfigured("Set SECRET_KEY (or SECRET_KEY_FILE) when DEBUG is false.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")  # e-mails link here: how people reach the site

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served from our static files: no CDN
    "listings",
    "validation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace_prep.request_memo.RequestMemoMiddleware",  # per-request lookups (role in a team, the SLA)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "marketplace_prep.middleware.ContentSecurityPolicyMiddleware",
    "marketplace_prep.middleware.DatabaseUnavailableMiddleware",  # a lost DB connection: 503, not 500
]

ROOT_URLCONF = "marketplace_prep.urls"
WSGI_APPLICATION = "marketplace_prep.wsgi.application"

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
                "listings.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web process and the worker write to one file: WAL lets readers and one writer work at once, and
    # IMMEDIATE transactions take the write lock up front instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (login rate limits, small shared state) ------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Sessions are read from the cache (Redis in production; the folder cache above for `make run`) and written
# through to the database, which stays the source of truth: a page view costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth -----------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LOGIN_ATTEMPTS_PER_WINDOW = env.int("LOGIN_ATTEMPTS_PER_WINDOW", default=10)
LOGIN_ATTEMPT_WINDOW_SECONDS = env.int("LOGIN_ATTEMPT_WINDOW_SECONDS", default=300)

# --- I18N / static --------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder on every request
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- Storage (STYLE.md 9): named private storages reached through listings/storage.py -------------------
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
ARTIFACT_ROOT = Path(env.str("ARTIFACT_ROOT", default=str(VAR_DIR / "artifacts")))
EXPORT_ROOT = Path(env.str("EXPORT_ROOT", default=str(VAR_DIR / "exports")))
SCRATCH_ROOT = Path(env.str("SCRATCH_ROOT", default=str(VAR_DIR / "scratch")))
# django-storages keeps a file it opens in memory up to this size, then spills to disk (0 would mean never).
AWS_S3_MAX_MEMORY_SIZE = env.int("AWS_S3_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)


def _private_storage(prefix: str, local_root: Path) -> dict:
    if AWS_STORAGE_BUCKET_NAME:
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "location": prefix,
                "default_acl": "private",
                "querystring_auth": True,  # presigned, short-lived download links
                "querystring_expire": 300,
                "signature_version": "s3v4",
                "file_overwrite": False,
                "endpoint_url": AWS_S3_ENDPOINT_URL,
                "region_name": AWS_S3_REGION_NAME,
            },
        }
    return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(local_root)}}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "artifacts": _private_storage("artifacts", ARTIFACT_ROOT),
    "exports": _private_storage("exports", EXPORT_ROOT),
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_BACKEND", default="whitenoise.storage.CompressedStaticFilesStorage"),
    },
}

# --- Celery (STYLE.md 6; Read the Docs settings/base.py) ------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
BROKER_DIR = VAR_DIR / "broker"
if not REDIS_URL:
    # kombu's filesystem transport: a broker with no server for `make run`. Both sides share one folder.
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis re-delivers an unacknowledged task after the visibility timeout; it must outlast the longest
    # task (the container rehearsal, hard limit 1 h) or a long task runs twice.
    # https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
    # (CELERY_VISIBILITY_TIMEOUT overrides it in seconds; the fault tests lower it to watch a re-delivery.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)}
CELERY_RESULT_BACKEND = None  # job rows in the database are the source of truth
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged when it finishes, so a killed worker's task comes back
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long tasks: don't hoard work another worker could start
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=10 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=11 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "validation.tasks.run_validation": {"queue": "validation"},
    "validation.tasks.run_container_validation": {"queue": "containers"},
    "listings.tasks.build_bundle": {"queue": "exports"},
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-jobs": {"task": "validation.tasks.sweep_stale_jobs", "schedule": 60.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A job whose heartbeat is older than this is considered dead (its worker vanished): the sweep fails it.
JOB_STALE_AFTER_SECONDS = env.int("JOB_STALE_AFTER_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)

# --- Email ----------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
globals().update(EMAIL_CONFIG)  # EMAIL_BACKEND, EMAIL_HOST, … as django-environ documents
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="marketplace_prep <noreply@localhost>")

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "listings.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_ANON", default="50/hour"),
        "user": env.str("API_RATE_USER", default="1000/hour"),
        "validation": env.str("API_RATE_VALIDATION", default="120/hour"),
        "export": env.str("API_RATE_EXPORT", default="60/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "marketplace_prep API", "VERSION": "1", "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR",
}

# --- Product settings -----------------------------------------------------------------------------------
VALIDATION_POLICY = env.str("VALIDATION_POLICY", default="strict")
# Registry, S3 and URL fields refuse loopback, private and link-local addresses (SSRF) unless listed here:
# host names, addresses or networks, e.g. "registry.internal,10.20.0.0/16".
OUTBOUND_ALLOWED_HOSTS = env.list("OUTBOUND_ALLOWED_HOSTS", default=[])
# The container rehearsal's time budgets are AWS's (8 min start-up, 60 s per invocation, 30 s after SIGTERM …);
# JSON overrides of ``validation.container.rehearsal.Budgets`` fields shorten them, e.g. '{"startup": 20}'.
REHEARSAL_BUDGETS = env.json("REHEARSAL_BUDGETS", default={})
REVIEW_SLA_HOURS = env.int("REVIEW_SLA_HOURS", default=48)  # a submitted version should be decided within this
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=20 * 1024**3)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2500  # 100 hyperparameter rows of up to 11 fields fit in one section form
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads stream to a temporary file, never memory

# --- Security -------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page's <meta>, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # "preload" only lets the domain be submitted to the browsers' HSTS list (hstspreload.org); it submits
    # nothing. On by default so `manage.py check --deploy` passes clean (security.W021); set false to opt out.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Export (listings/export/, docs/EXPORT.md) ------------------------------------------------------------
# An AWS endpoint for the bundle's API dry run and the S3 hand-off (moto_server in tests); empty = AWS itself.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="") or None
EXPORT_AWS_REGION = env.str("EXPORT_AWS_REGION", default="")  # empty: the storage's Region, else us-east-1
# Artifacts at least this large may be referenced by S3 URI and sha256 instead of embedded, when the seller asks.
EXPORT_REFERENCE_MIN_BYTES = env.int("EXPORT_REFERENCE_MIN_BYTES", default=100 * 1024 * 1024)
EXPORT_PRESIGNED_SECONDS = env.int("EXPORT_PRESIGNED_SECONDS", default=15 * 60)
EXPORT_MULTIPART_CHUNK_BYTES = env.int("EXPORT_MULTIPART_CHUNK_BYTES", default=16 * 1024 * 1024)  # S3 minimum 5 MiB
EXPORT_HEARTBEAT_SECONDS = env.float("EXPORT_HEARTBEAT_SECONDS", default=5.0)
