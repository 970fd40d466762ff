"""Periodic sealing of the audit chain; idempotent and safe to run twice (one sealer at a time).

Beat schedule (set by the lead): `yiwang.audit.tasks.seal` every 10 s, expiring after 9 s so that a
stopped worker does not find a queue of them. Entries are normally sealed right after their
transaction commits; this seals what an after-commit seal skipped (another sealer held the lock) or
lost (a crash between commit and seal, an error)."""

from celery import shared_task


@shared_task
def seal(limit: int | None = None) -> int:
    from .services import audit_seal

    return audit_seal(limit=limit)
