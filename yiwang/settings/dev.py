"""Local development: SQLite, a file-system broker, and no external services."""

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# Celery without a broker server: kombu's file-system transport shared by web, worker and beat.
_broker_dir = BASE_DIR / "var" / "celery"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(_broker_dir / "queue"),
    "data_folder_out": str(_broker_dir / "queue"),
    "processed_folder": str(_broker_dir / "processed"),
    # kombu's default is a "control" folder in the working directory.
    "control_folder": str(_broker_dir / "control"),
    "store_processed": False,
}
for _folder in ("queue", "processed", "control"):
    (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(_broker_dir / "beat-schedule")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
