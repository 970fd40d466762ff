"""Unit tests: SQLite in memory unless DATABASE_URL names PostgreSQL; Celery runs eagerly."""

from .base import *  # noqa: F403
from .base import DATABASES, env

SECRET_KEY = "test-only-key"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
# Argon2 costs ~50 ms a hash; tests check behaviour, not the hasher (test_passwords checks that).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DATABASES["default"]["CONN_MAX_AGE"] = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TEST_DB_NAME = env("TEST_DB_NAME", default=None)
if TEST_DB_NAME:
    DATABASES["default"]["TEST"] = {"NAME": TEST_DB_NAME}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Test flushes TRUNCATE every table; the audit table refuses that unless this session flag is on.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c yiwang.audit_allow_truncate=on"
# Tests look at each search's log row at once; tests of the batching set their own size.
SEARCH_LOG_BATCH_SIZE = 1
