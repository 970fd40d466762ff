from celery import shared_task

from . import services


@shared_task
def idempotency_records_purge(older_than_days: int = 7) -> int:
    """Periodic: forget Idempotency-Key answers past the retry window (idempotent)."""
    return services.idempotency_records_purge(older_than_days=older_than_days)
