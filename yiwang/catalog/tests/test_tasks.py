"""The periodic jobs run through Celery (eagerly in tests) and are safe to run twice."""

import datetime

from django.utils import timezone

from yiwang.catalog import tasks
from yiwang.catalog.models import SearchDemandReport, SearchLog, ServiceItem


def test_demand_report_task_builds_the_current_week_idempotently(demo_catalog):
    SearchLog.objects.create(query="火星移民", normalized="火星移民", result_count=0)
    SearchLog.objects.create(query="火星移民", normalized="火星移民", result_count=0)
    tasks.build_search_demand_report.delay().get()
    tasks.build_search_demand_report.delay().get()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    report = SearchDemandReport.objects.get(week_start=monday)
    assert report.zero_result_searches >= 2
    assert any(row["query"] == "火星移民" and row["searches"] == 2 for row in report.rows)


def test_popularity_task_counts_recent_clicks(demo_catalog):
    item = ServiceItem.objects.order_by("code").first()
    for _ in range(3):
        SearchLog.objects.create(query="x", normalized="x", result_count=1, clicked_kind="item",
                                 clicked_code=item.code, clicked_at=timezone.now())
    old = SearchLog.objects.create(query="x", normalized="x", result_count=1, clicked_kind="item",
                                   clicked_code=item.code, clicked_at=timezone.now() - datetime.timedelta(days=200))
    assert old.pk
    tasks.refresh_item_popularity.delay(days=90).get()
    item.refresh_from_db()
    assert item.popularity == 3
    assert tasks.refresh_item_popularity.delay(days=90).get() == 0  # second run: nothing to change
