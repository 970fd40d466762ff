"""Background and periodic jobs of the registries; each is idempotent and safe to run twice.

Beat schedule (set by the lead): `yiwang.registry.tasks.outbox_dispatch` every minute (the sweep
behind the on-commit trigger) and `yiwang.registry.tasks.ensure_death_followups` hourly."""

from celery import shared_task


@shared_task
def outbox_dispatch() -> int:
    from .outbox import outbox_dispatch as dispatch

    return dispatch()


@shared_task
def ensure_death_followups() -> int:
    from .services import ensure_death_followups as sweep

    return sweep()
