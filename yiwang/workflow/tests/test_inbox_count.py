"""The inbox total (the paginators' count) reads the task table only, and still counts exactly the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.identity.testing import login_verified
from yiwang.workflow import selectors, services

from .conftest import open_task

pytestmark = pytest.mark.django_db


def _count_sql(rows) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        total = rows.count()
    assert len(captured.captured_queries) == 1
    return total, captured.captured_queries[0]["sql"]


def test_count_has_no_join_and_equals_the_rows(serial_definition, parallel_definition, start, staff):
    for n in range(3):
        start(serial_definition, f"SCJ-C-{n}")
    other = start(parallel_definition())
    services.task_complete(task=open_task(other), actor=staff("SCJ"), action="accept")
    rows = selectors.tasks_for_department("SCJ")
    total, sql = _count_sql(rows)
    assert total == len(list(rows)) == 3
    assert "JOIN" not in sql.upper()
    # A filter on the instance keeps its join, and the count follows it.
    total, sql = _count_sql(selectors.tasks_for_department("SCJ", subject_id="SCJ-C-1"))
    assert total == 1 and "JOIN" in sql.upper()
    assert selectors.tasks_for_department("SCJ", item="T-SERIAL").count() == 3
    assert selectors.tasks_for_department("SCJ", item="NO-SUCH-ITEM").count() == 0
    assert selectors.tasks_for_department("GAJ").count() == 1
    assert selectors.tasks_for_department("SCJ", state=None).count() == 4  # the accepted task too


def test_a_further_filter_is_counted_as_filtered(serial_definition, start):
    first = start(serial_definition, "SCJ-F-1")
    start(serial_definition, "SCJ-F-2")
    rows = selectors.tasks_for_department("SCJ")
    narrowed = rows.filter(id=open_task(first).pk)
    assert narrowed.count() == 1 and rows.count() == 2
    evaluated = list(rows)
    assert rows.count() == len(evaluated) == 2


def test_assignee_tasks_of_other_departments_are_counted(serial_definition, start, staff):
    case = start(serial_definition, "SCJ-A-1")
    handler = staff("SCJ")
    outsider = staff("GAJ")
    services.task_assign(task=open_task(case), assignee=handler, actor=handler)
    assert selectors.tasks_for_department("GAJ", assignee=handler).count() == 1
    assert selectors.tasks_for_department("GAJ", assignee=outsider).count() == 0


def test_api_and_page_totals_use_the_fast_count(client, serial_definition, start, staff):
    for n in range(25):
        start(serial_definition, f"SCJ-P-{n:02d}")
    login_verified(client, staff("SCJ"))
    body = client.get("/api/v1/tasks?state=open&page=2").json()
    assert body["count"] == 25 and len(body["results"]) == 5
    assert client.get("/api/v1/tasks?state=open&page=3").status_code == 404
    page = client.get("/workflow/tasks/").context["page"]  # 50 a page
    assert page.paginator.count == 25 and len(page.object_list) == 25
