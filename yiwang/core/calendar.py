"""The working-day calendar: deadlines count working days, never weekdays alone.

A day is a working day when it is Monday to Friday, unless a CalendarDay row says otherwise (an
official holiday on a weekday, or a make-up working weekend day 调休上班). Staff enter each year's
rows from the State Council notice in the admin (工作日历); 2026 is seeded by a migration from
core/data/calendar_2026.json.

Years with no row at all are computed from weekends alone: the functions keep working (a deadline
never blocks a case) but log a warning once per process and year, and the admin shows a warning
for this year and next (`calendar_year_is_configured`). Nothing else should compute deadlines.

The rows are few (about 25 a year), so each process keeps them all in memory. Every change to a
CalendarDay bumps a version stamp in the Django cache (shared by all processes in production via
Redis); a process reloads its copy when the stamp differs from the one it loaded with.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

VERSION_KEY = "core:calendar:version"
MAX_DAYS = 3660  # no deadline is ten years away; guards against a runaway loop


@dataclass(frozen=True)
class _Snapshot:
    version: str
    days: dict[dt.date, bool]
    years: frozenset[int]


_snapshot: _Snapshot | None = None
_warned_years: set[int] = set()


def _current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Evicted or never set: start a new stamp so every process reloads once.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or ""
    return version


def _load() -> _Snapshot:
    global _snapshot
    version = _current_version()
    snapshot = _snapshot
    if snapshot is None or snapshot.version != version or not version:
        from .models import CalendarDay

        days = dict(CalendarDay.objects.values_list("date", "is_working"))
        snapshot = _Snapshot(version=version, days=days, years=frozenset(d.year for d in days))
        _snapshot = snapshot
    return snapshot


def calendar_changed() -> None:
    """Called on every CalendarDay save or delete: bump now (this transaction sees its own change)
    and again after commit (other processes may have reloaded the old rows in between)."""
    global _snapshot
    _snapshot = None
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None))


def calendar_cache_clear() -> None:
    """Forget this process's copy (tests that roll back calendar edits call it)."""
    global _snapshot
    _snapshot = None
    _warned_years.clear()
    cache.delete(VERSION_KEY)


def calendar_year_is_configured(year: int) -> bool:
    """True when staff have entered at least one CalendarDay of `year` (the State Council notice)."""
    return year in _load().years


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _is_working(snapshot: _Snapshot, day: dt.date) -> bool:
    if day.year not in snapshot.years and day.year not in _warned_years:
        _warned_years.add(day.year)
        logger.warning("Working-day calendar has no entries for %s: counting weekends only", day.year)
    return snapshot.days.get(day, day.weekday() < 5)


def is_working_day(day: dt.date | dt.datetime) -> bool:
    return _is_working(_load(), _as_date(day))


def next_working_day(day: dt.date | dt.datetime) -> dt.date:
    """`day` itself when it is a working day, else the first working day after it."""
    return add_working_days(day, 0)


def add_working_days(start: dt.date | dt.datetime, n: int) -> dt.date:
    """The n-th working day after `start` (a deadline of n working days from `start`).

    n = 0 gives `start` if it is a working day, else the next working day, so a deadline always falls
    on a working day. working_days_between(start, add_working_days(start, n)) == n for working starts.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    snapshot = _load()
    day = _as_date(start)
    if n == 0:
        for _ in range(MAX_DAYS):
            if _is_working(snapshot, day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("no working day found")
    remaining = n
    for _ in range(MAX_DAYS + n * 2):
        day += dt.timedelta(days=1)
        if _is_working(snapshot, day):
            remaining -= 1
            if remaining == 0:
                return day
    raise ValueError("no working day found")


def working_days_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
    """The number of working days d with a < d <= b (negative when b is before a): how many working
    days of a time limit have passed between `a` and `b`."""
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(b, a)
    snapshot = _load()
    count, day = 0, a
    while day < b:
        day += dt.timedelta(days=1)
        count += _is_working(snapshot, day)
    return count
