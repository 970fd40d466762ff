"""The inbox's item filter (the item code copied onto the task) and the capped count of the history lists."""

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.identity.testing import login_verified
from yiwang.workflow import selectors, services
from yiwang.workflow.models import Task

from .conftest import open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_item(department):
    """A second SCJ item, whose parallel stage also gives GAJ a task."""
    department("GAJ")
    return services.definition_create(key="T-OTHER", name="另一事项", stages=[
        {"name": "受理", "departments": ["SCJ"], "limit_days": 1, "actions": ["accept", "refuse"]},
        {"name": "会签", "kind": "parallel", "departments": ["SCJ", "GAJ"], "limit_days": 2,
         "actions": ["agree", "disagree"]},
    ])


def test_tasks_carry_their_item_code_through_every_stage(serial_definition, other_item, start, staff):
    case = start(serial_definition, "SCJ-I-1")
    services.task_complete(task=open_task(case), actor=staff("SCJ"), action="accept")
    other = start(other_item, "SCJ-I-2")
    services.task_complete(task=open_task(other), actor=staff("SCJ"), action="accept")
    codes = dict(Task.objects.values_list("instance__subject_id", "item_code").distinct())
    assert codes == {"SCJ-I-1": "T-SERIAL", "SCJ-I-2": "T-OTHER"}
    assert Task.objects.filter(instance=other).count() == 3  # 受理 + 会签 by SCJ and GAJ, all with the code


def test_item_filter_returns_exactly_that_items_tasks_of_the_department(client, serial_definition, other_item,
                                                                        start, staff):
    serial = [start(serial_definition, f"SCJ-S-{n}") for n in range(3)]
    other = start(other_item, "SCJ-O-1")
    services.task_complete(task=open_task(other), actor=staff("SCJ"), action="accept")  # now SCJ and GAJ
    services.task_complete(task=open_task(serial[0]), actor=staff("SCJ"), action="accept")  # still SCJ's

    login_verified(client, staff("SCJ"))
    body = client.get("/api/v1/tasks?state=open&item=T-SERIAL").json()
    assert body["count"] == 3 and body["count_capped"] is False
    assert {r["item"] for r in body["results"]} == {"T-SERIAL"}
    assert sorted(r["case"] for r in body["results"]) == ["SCJ-S-0", "SCJ-S-1", "SCJ-S-2"]
    body = client.get("/api/v1/tasks?state=open&item=T-OTHER").json()
    assert [(r["case"], r["department"], r["stage"]) for r in body["results"]] == [("SCJ-O-1", "SCJ", "会签")]
    # The accepted 受理 tasks are history: they show with state=all and state=completed.
    assert client.get("/api/v1/tasks?state=all&item=T-SERIAL").json()["count"] == 4
    assert client.get("/api/v1/tasks?state=completed&item=T-OTHER").json()["count"] == 1

    # GAJ sees its own 会签 task of T-OTHER only, never SCJ's tasks of the same item.
    login_verified(client, staff("GAJ"))
    rows = client.get("/api/v1/tasks?state=all&item=T-OTHER").json()["results"]
    assert [(r["case"], r["department"]) for r in rows] == [("SCJ-O-1", "GAJ")]
    assert client.get("/api/v1/tasks?item=T-SERIAL").json() == {"count": 0, "count_capped": False, "results": []}


def test_item_filter_bad_input(client, serial_definition, start, staff):
    start(serial_definition, "SCJ-B-1")
    login_verified(client, staff("SCJ"))
    # An unknown code finds nothing, as an unknown case number does; an empty one filters nothing.
    for value in ("NO-SUCH-ITEM", "t-serial", "T-SERIAL%", "' OR 1=1 --"):
        response = client.get("/api/v1/tasks", {"item": value})
        assert response.status_code == 200 and response.json()["count"] == 0, value
    assert client.get("/api/v1/tasks?item=").json()["count"] == 1
    # Longer than any item code: a field error, like the other filters' bad values.
    response = client.get("/api/v1/tasks", {"item": "X" * 61})
    assert response.status_code == 400
    assert "item" in response.json()["error"]["fields"]
    # The staff page trims and shortens the value instead, and lists nothing for an unknown code.
    page = client.get("/workflow/tasks/", {"item": " T-SERIAL "}).context["page"]
    assert page.paginator.count == 1
    assert client.get("/workflow/tasks/", {"item": "NO-SUCH-ITEM"}).context["page"].paginator.count == 0


def test_item_filter_reads_the_task_table_only(serial_definition, start):
    start(serial_definition, "SCJ-Q-1")
    rows = selectors.tasks_for_department("SCJ", item="T-SERIAL")
    with CaptureQueriesContext(connection) as captured:
        assert rows.count() == 1
    sql = captured.captured_queries[0]["sql"]
    assert "JOIN" not in sql.upper() and "item_code" in sql


def test_a_page_picks_its_task_ids_first_and_keeps_the_order(serial_definition, other_item, start):
    cases = [start(serial_definition if n % 2 else other_item, f"SCJ-D-{n}") for n in range(7)]
    for n, case in enumerate(cases):  # due dates with ties: the order is due date, then id
        Task.objects.filter(instance=case).update(due_on=dt.date(2026, 12, 1) + dt.timedelta(days=n * 3 % 4))
    expected = list(Task.objects.filter(department="SCJ", state="open").order_by("due_on", "id")
                    .values_list("id", flat=True))
    rows = selectors.tasks_for_department("SCJ")
    with CaptureQueriesContext(connection) as captured:
        pages = [[r["id"] for r in rows[low:low + 3]] for low in (0, 3, 6)]
    assert [i for page in pages for i in page] == expected and [len(p) for p in pages] == [3, 3, 1]
    assert len(captured.captured_queries) == 3
    assert all("IN (SELECT" in q["sql"] and "LIMIT 3" in q["sql"] for q in captured.captured_queries)
    # Filtered further, the rows are sliced as usual, with the filter.
    narrowed = rows.filter(instance__subject_id="SCJ-D-4")
    assert [r["instance__subject_id"] for r in narrowed[0:3]] == ["SCJ-D-4"]
    # The item filter pages the same way.
    item_rows = selectors.tasks_for_department("SCJ", item="T-SERIAL")
    assert [r["instance__subject_id"] for r in item_rows[0:10]] == [
        r["instance__subject_id"] for r in rows[0:10] if r["instance__definition__key"] == "T-SERIAL"]


def _finished(start, definition, staff, n: int, prefix: str) -> None:
    """n instances of `definition` refused at their first stage: n completed SCJ tasks."""
    for i in range(n):
        case = start(definition, f"{prefix}-{i}")
        services.task_complete(task=open_task(case), actor=staff("SCJ"), action="refuse", comment="不符合条件")


def test_history_counts_stop_at_the_cap(client, settings, serial_definition, start, staff):
    settings.WORKFLOW_INBOX_COUNT_CAP = 3
    _finished(start, serial_definition, staff, 4, "SCJ-H")
    for n in range(5):
        start(serial_definition, f"SCJ-L-{n}")  # 5 open
    login_verified(client, staff("SCJ"))

    # The work at hand is counted exactly, beyond the cap.
    body = client.get("/api/v1/tasks?state=open").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (5, False, 5)
    # History and all states: the cap, flagged; the rows themselves are not cut.
    body = client.get("/api/v1/tasks?state=completed").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 3)
    body = client.get("/api/v1/tasks?state=all&page_size=2").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 2)
    # Pages end at the cap: page 2 holds the third row only, page 3 is out of range like any other.
    body = client.get("/api/v1/tasks?state=all&page_size=2&page=2").json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 1)
    assert client.get("/api/v1/tasks?state=all&page_size=2&page=3").status_code == 404
    # Exactly at the cap is an exact count.
    body = client.get("/api/v1/tasks?state=cancelled").json()
    assert (body["count"], body["count_capped"]) == (0, False)
    settings.WORKFLOW_INBOX_COUNT_CAP = 4
    body = client.get("/api/v1/tasks?state=completed").json()
    assert (body["count"], body["count_capped"]) == (4, False)
    # A filter narrows below the cap: exact again.
    settings.WORKFLOW_INBOX_COUNT_CAP = 3
    body = client.get("/api/v1/tasks?state=all&case=SCJ-H-1").json()
    assert (body["count"], body["count_capped"]) == (1, False)


def test_capped_count_reads_at_most_cap_plus_one_rows_without_joins(settings, serial_definition, start, staff):
    settings.WORKFLOW_INBOX_COUNT_CAP = 2
    _finished(start, serial_definition, staff, 3, "SCJ-K")
    rows = selectors.tasks_for_department("SCJ", state=None)
    with CaptureQueriesContext(connection) as captured:
        assert rows.count() == 2
    assert rows.count_capped is True
    sql = captured.captured_queries[0]["sql"].upper()
    assert "LIMIT 3" in sql and "JOIN" not in sql
    assert len(list(rows)) == 3  # the rows are not limited, only the count


def test_staff_page_says_more_than_the_cap(client, settings, serial_definition, start, staff):
    settings.WORKFLOW_INBOX_COUNT_CAP = 2
    _finished(start, serial_definition, staff, 3, "SCJ-W")
    login_verified(client, staff("SCJ"))
    response = client.get("/workflow/tasks/?state=completed")
    assert response.context["count_capped"] is True and response.context["page"].paginator.count == 2
    assert "超过 2 项" in response.content.decode()
    response = client.get("/workflow/tasks/?state=open")
    assert response.context["count_capped"] is False


def test_migration_fills_existing_tasks(serial_definition, other_item, start):
    start(serial_definition, "SCJ-M-1")
    start(other_item, "SCJ-M-2")
    Task.objects.update(item_code="")
    fill = importlib.import_module("yiwang.workflow.migrations.0004_task_item_code_fill").fill
    fill(django_apps, SimpleNamespace(connection=connection))
    assert dict(Task.objects.values_list("instance__subject_id", "item_code")) == {
        "SCJ-M-1": "T-SERIAL", "SCJ-M-2": "T-OTHER"}
