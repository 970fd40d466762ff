"""Periodic and background jobs of the catalogue. Each is idempotent: running it twice is harmless."""

import datetime

from celery import shared_task
from django.utils import timezone


@shared_task
def build_search_demand_report(week_start: str | None = None) -> int:
    """Nightly: (re)build the unmet-demand report of the current ISO week (and the last one on Mondays)."""
    from .reports import build_demand_report

    today = timezone.localdate()
    if week_start:
        weeks = [datetime.date.fromisoformat(week_start)]
    else:
        monday = today - datetime.timedelta(days=today.weekday())
        weeks = [monday] if today.weekday() else [monday - datetime.timedelta(days=7), monday]
    for week in weeks:
        build_demand_report(week)
    return len(weeks)


@shared_task
def refresh_item_popularity(days: int = 90) -> int:
    """Nightly: count clicks from search over the last `days` into the ranking's popularity."""
    from .search.popularity import refresh_popularity

    return refresh_popularity(days=days)


@shared_task
def rebuild_search_index() -> int:
    """After the lexicon changes: segment every document again with the new words."""
    from .search.indexing import rebuild_index

    return rebuild_index()
