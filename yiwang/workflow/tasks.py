"""Periodic jobs of the workflow engine; idempotent and safe to run twice.

Beat schedule (set by the lead): `yiwang.workflow.tasks.sweep_clocks` hourly — warnings are
recorded once, so running it often only makes them timelier."""

from celery import shared_task


@shared_task
def sweep_clocks() -> int:
    from .services import clocks_sweep

    return clocks_sweep()
