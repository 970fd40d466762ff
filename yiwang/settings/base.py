"""Settings shared by every environment; each value can be overridden from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = BASE_DIR / "yiwang"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "yiwang.core",
    "yiwang.audit",
    "yiwang.identity",
    "yiwang.catalog",
    "yiwang.registry",
    "yiwang.licenses",
    "yiwang.sharing",
    "yiwang.cases",
    "yiwang.notifications",
    "yiwang.workflow",
    "yiwang.hall",
    "yiwang.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yiwang.identity.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"
AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "catalog:home"
LOGOUT_REDIRECT_URL = "catalog:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.core.context_processors.ui_preferences",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'yiwang.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The search postings' covering index (INCLUDE weight) is a PostgreSQL optimisation; SQLite keeps
# the plain (term, document) index, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

CACHES = {"default": env.cache("REDIS_URL", default="locmemcache://")}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "yiwang.identity.auth.IdentifierBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Lockout after repeated failures (django-axes), per user name and address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "identity/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "一网通办"

# Personal data at rest (yiwang.core.crypto). Prod must set both; dev and test derive them.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", default="")
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("API_TOKEN_TTL_HOURS", default=12)),
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_LIMIT_PER_USER": 20,
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static", ("vendor", BASE_DIR / "var" / "vendor")]
# Every uploaded or generated file (materials, stamped copies) is personal data: the default storage
# is private and never served as media; views check who may read each file (S3 with private ACLs
# through django-storages in a multi-node deployment).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "private"

def _rate(name: str, default: str) -> str | None:
    value = env(name, default=default)
    return None if value.lower() in ("", "none") else value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "yiwang.identity.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "yiwang.core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "yiwang.core.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # "none" turns a throttle off, e.g. behind a proxy that limits rates itself, or in benchmarks.
    "DEFAULT_THROTTLE_RATES": {
        "anon": _rate("THROTTLE_ANON", "600/min"),
        "user": _rate("THROTTLE_USER", "1200/min"),
        # Token and registration requests per client address: slows down password guessing even
        # across user names (django-axes locks per user name and address).
        "auth": _rate("THROTTLE_AUTH", "30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yiwang API",
    "DESCRIPTION": "The public HTTP API v1 of the Yiwang government services platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Served from our own static files: the platform must not depend on a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: the broker comes from the environment; tasks must be idempotent.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "search-demand-report-nightly": {
        "task": "yiwang.catalog.tasks.build_search_demand_report",
        "schedule": crontab(hour=2, minute=15),
    },
    "search-popularity-nightly": {
        "task": "yiwang.catalog.tasks.refresh_item_popularity",
        "schedule": crontab(hour=2, minute=45),
    },
    # Registry events: the outbox is also dispatched after each commit; this catches anything a
    # crashed worker left behind. The sweep makes sure no death goes without its follow-up tasks.
    "registry-outbox-dispatch": {
        "task": "yiwang.registry.tasks.outbox_dispatch",
        "schedule": crontab(minute="*"),
    },
    "registry-death-followups-hourly": {
        "task": "yiwang.registry.tasks.ensure_death_followups",
        "schedule": crontab(minute=20),
    },
    "cases-idempotency-purge-daily": {
        "task": "yiwang.cases.tasks.idempotency_records_purge",
        "schedule": crontab(hour=3, minute=30),
    },
    "workflow-sweep-clocks-hourly": {
        "task": "yiwang.workflow.tasks.sweep_clocks",
        "schedule": crontab(minute=5),
    },
    "sharing-expire-requests-daily": {
        "task": "yiwang.sharing.tasks.expire_sharing_requests",
        "schedule": crontab(hour=1, minute=5),
    },
    # Audit entries are sealed into the hash chain after each commit; this catches what a process
    # stopped between commit and seal left pending.
    "audit-seal-every-10s": {
        "task": "yiwang.audit.tasks.seal",
        "schedule": 10.0,
        "options": {"expires": 9},  # a stopped worker does not pile these up
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"mask_personal_data": {"()": "yiwang.core.masking.MaskPersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"jieba": {"level": "WARNING"}},
}

DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="一网通办 <noreply@yiwang.example>")

# The platform's public address, for links made without a request (QR codes on stamped copies).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# Catalogue and search.
CATALOG_DEMO_DIR = BASE_DIR / "data" / "catalog"
SEARCH_LEXICON_DIR = BASE_DIR / "data" / "search"
# API searches are logged in batches (yiwang.catalog.search.logbuffer).
SEARCH_LOG_BATCH_SIZE = env.int("SEARCH_LOG_BATCH_SIZE", default=50)
SEARCH_LOG_FLUSH_SECONDS = env.float("SEARCH_LOG_FLUSH_SECONDS", default=5.0)

# Staff inbox: history lists (completed, cancelled, all) count up to this many tasks; open ones are
# always counted exactly. 0 counts everything.
WORKFLOW_INBOX_COUNT_CAP = env.int("WORKFLOW_INBOX_COUNT_CAP", default=10_000) or None
# Submits arriving together in one process are written in one transaction, at most this many (1: each
# alone). See cases/submit.py and docs/decisions.md.
CASES_SUBMIT_BATCH_MAX = env.int("CASES_SUBMIT_BATCH_MAX", default=32)

UI_NAME = _("一网通办")
