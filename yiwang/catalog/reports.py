"""The weekly unmet-demand report: what people searched for and did not find.

`build_demand_report(week_start)` aggregates the SearchLog rows of one ISO week (Monday 00:00 to the
next Monday 00:00, Asia/Shanghai) into a SearchDemandReport. A search is *unmet* when it found
nothing (zero results) or found something nobody clicked (no click). The report keeps the week's
totals and the 50 normalised queries with the most unmet searches. It is a plain, idempotent
function: running it again for the same week updates the same row (the nightly Celery task in
tasks.py calls it for the current week).
"""

import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, F, Q

from .models import SearchDemandReport, SearchLog

REPORT_TIMEZONE = ZoneInfo("Asia/Shanghai")
TOP_QUERIES = 50

_ZERO = Q(result_count=0)
_NO_CLICK = Q(result_count__gt=0, clicked_at__isnull=True)


def week_bounds(week_start: datetime.date) -> tuple[datetime.date, datetime.datetime, datetime.datetime]:
    """(monday, start, end) of the ISO week containing `week_start`; start inclusive, end exclusive."""
    monday = week_start - datetime.timedelta(days=week_start.weekday())
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=REPORT_TIMEZONE)
    end = datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time.min, tzinfo=REPORT_TIMEZONE)
    return monday, start, end


@transaction.atomic
def build_demand_report(week_start: datetime.date) -> SearchDemandReport:
    """Build (or rebuild) the report of the ISO week that contains `week_start` (normally its Monday).

    rows: [{"query", "searches", "zero_results", "no_click", "total"}], most unmet first, where
    `searches` = zero_results + no_click (the unmet searches of that query) and `total` counts every
    search of that query in the week, clicked ones included.
    """
    monday, start, end = week_bounds(week_start)
    logs = SearchLog.objects.filter(created_at__gte=start, created_at__lt=end)
    totals = logs.aggregate(
        total=Count("id"),
        zero=Count("id", filter=_ZERO),
        no_click=Count("id", filter=_NO_CLICK),
    )
    grouped = (
        logs.exclude(normalized="")
        .values("normalized")
        .annotate(
            total=Count("id"),
            zero_results=Count("id", filter=_ZERO),
            no_click=Count("id", filter=_NO_CLICK),
        )
        .annotate(searches=F("zero_results") + F("no_click"))
        .filter(searches__gt=0)
        .order_by("-searches", "-zero_results", "normalized")[:TOP_QUERIES]
    )
    rows = [
        {"query": g["normalized"], "searches": g["searches"], "zero_results": g["zero_results"],
         "no_click": g["no_click"], "total": g["total"]}
        for g in grouped
    ]
    report, _created = SearchDemandReport.objects.update_or_create(
        week_start=monday,
        defaults={
            "total_searches": totals["total"] or 0,
            "zero_result_searches": totals["zero"] or 0,
            "no_click_searches": totals["no_click"] or 0,
            "rows": rows,
        },
    )
    return report
