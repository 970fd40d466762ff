"""Periodic jobs of the sharing context. Idempotent: running one twice is harmless."""

from celery import shared_task


@shared_task
def expire_sharing_requests() -> int:
    """Daily: approved requests past their validity become expired (reads check validity anyway)."""
    from .services import sharing_requests_expire

    return sharing_requests_expire()
