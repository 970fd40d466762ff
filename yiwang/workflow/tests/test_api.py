"""Back office API (tasks, complete, supervision) and the staff pages."""

import datetime as dt

import pytest

from yiwang.identity.testing import login_verified
from yiwang.workflow import services
from yiwang.workflow.models import Task

from .conftest import open_task

pytestmark = pytest.mark.django_db


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


@pytest.fixture
def case(serial_definition, start):
    return start(serial_definition, "SCJ-20261121-0001")


def test_inbox_lists_own_department_with_actions(client, case, staff, parallel_definition, start):
    login_verified(client, staff("SCJ"))
    body = client.get("/api/v1/tasks?state=open").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row == {"id": open_task(case).pk, "case": "SCJ-20261121-0001", "subject_type": "test_subject",
                   "item": "T-SERIAL", "item_name": "测试事项", "stage": "受理", "department": "SCJ", "state": "open",
                   "due_at": open_task(case).due_on.isoformat(), "deadline": None, "warning": "none",
                   "actions": ["accept", "refuse", "request_supplement", "accept_tolerant"]}
    other = start(parallel_definition())
    services.task_complete(task=open_task(other), actor=staff("SCJ"), action="accept")
    login_verified(client, staff("GAJ"))
    rows = client.get("/api/v1/tasks").json()["results"]
    assert [(r["case"], r["stage"], r["actions"]) for r in rows] == [(other.subject_id, "并联审查", ["agree", "disagree"])]


def test_inbox_filters_and_bad_input(client, case, staff):
    login_verified(client, staff("SCJ"))
    task = open_task(case)
    Task.objects.filter(pk=task.pk).update(warning="yellow", due_on=dt.date(2026, 9, 30))
    assert client.get("/api/v1/tasks?warning=yellow").json()["count"] == 1
    assert client.get("/api/v1/tasks?warning=red").json()["count"] == 0
    assert client.get("/api/v1/tasks?due_before=2026-09-30").json()["count"] == 1
    assert client.get("/api/v1/tasks?due_before=2026-09-29").json()["count"] == 0
    assert client.get("/api/v1/tasks?item=T-SERIAL").json()["count"] == 1
    assert client.get("/api/v1/tasks?item=OTHER").json()["count"] == 0
    assert client.get("/api/v1/tasks?state=completed").json()["count"] == 0
    assert "state" in _error(client.get("/api/v1/tasks?state=closed"), 400, "invalid")["fields"]
    assert "due_before" in _error(client.get("/api/v1/tasks?due_before=tomorrow"), 400, "invalid")["fields"]


def test_inbox_requires_department_staff(client, case, citizen):
    assert client.get("/api/v1/tasks").status_code == 401
    client.force_login(citizen)
    _error(client.get("/api/v1/tasks"), 403, "permission_denied")


def test_complete_200_then_stale_409(client, case, staff):
    login_verified(client, staff("SCJ"))
    task = open_task(case)
    url = f"/api/v1/tasks/{task.pk}/complete"
    response = client.post(url, {"action": "accept", "comment": "材料齐全"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["actions"]) == ("completed", [])
    error = _error(client.post(url, {"action": "accept"}, content_type="application/json"), 409, "conflict")
    assert error["message"]
    assert client.get("/api/v1/tasks").json()["results"][0]["stage"] == "审查"


def test_complete_illegal_action_409_and_bad_body_400(client, case, staff):
    login_verified(client, staff("SCJ"))
    url = f"/api/v1/tasks/{open_task(case).pk}/complete"
    error = _error(client.post(url, {"action": "approve"}, content_type="application/json"), 409, "conflict")
    assert "accept" in error["message"]
    assert "action" in _error(client.post(url, {"action": "fly"}, content_type="application/json"),
                              400, "invalid")["fields"]
    assert "comment" in _error(client.post(url, {"action": "refuse"}, content_type="application/json"),
                               400, "invalid")["fields"]
    assert "missing" in _error(client.post(url, {"action": "request_supplement", "missing": []},
                                           content_type="application/json"), 400, "invalid")["fields"]
    response = client.post(url, {"action": "request_supplement", "missing": ["场所平面图"]},
                           content_type="application/json")
    assert response.json()["state"] == "waiting_supplement"


def test_complete_other_department_404(client, case, staff):
    login_verified(client, staff("GAJ"))
    _error(client.post(f"/api/v1/tasks/{open_task(case).pk}/complete", {"action": "accept"},
                       content_type="application/json"), 404, "not_found")
    _error(client.post("/api/v1/tasks/999999/complete", {"action": "accept"},
                       content_type="application/json"), 404, "not_found")
    assert open_task(case).state == "open"


def test_supervision_for_supervisors_only(client, case, staff):
    services.task_complete(task=open_task(case), actor=staff("SCJ"), action="accept")
    services.clock_start(instance=case, days=1, start=dt.date(2026, 9, 28))
    services.clocks_sweep(today=dt.date(2026, 10, 8))
    login_verified(client, staff("SCJ"))
    _error(client.get("/api/v1/supervision/cases"), 403, "permission_denied")
    login_verified(client, staff("JCJ", "supervisor"))
    body = client.get("/api/v1/supervision/cases?warning=yellow").json()
    assert body["count"] == 1
    assert body["results"][0] | {} == {"case": case.subject_id, "subject_type": "test_subject", "item": "T-SERIAL",
                                       "item_name": "测试事项", "state": "running", "deadline": "2026-09-29",
                                       "warning": "yellow", "departments": ["SCJ"]}
    assert body["departments"] == [{"department": "SCJ", "open": 1, "yellow": 1, "red": 0, "overdue": 1}]
    assert client.get("/api/v1/supervision/cases?warning=red").json()["count"] == 0
    _error(client.get("/api/v1/supervision/cases?warning=green"), 400, "invalid")


def test_pages_inbox_task_and_supervision(client, case, staff, recorder):
    scj = staff("SCJ")
    login_verified(client, scj)
    html = client.get("/workflow/tasks/").content.decode()
    assert case.subject_id in html and "测试事项" in html
    task = open_task(case)
    html = client.get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert "张**" in html and "受理" in html and 'value="accept"' in html
    assert "viewed" in recorder.names(case.subject_id)  # the subject's app can log the data read
    response = client.post(f"/workflow/tasks/{task.pk}/", {"action": "approve"})
    assert response.status_code == 302 and open_task(case).stage.name == "受理"
    response = client.post(f"/workflow/tasks/{task.pk}/", {"action": "accept", "comment": "齐全"})
    assert response.status_code == 302 and open_task(case).stage.name == "审查"
    login_verified(client, staff("GAJ"))
    assert client.get(f"/workflow/tasks/{task.pk}/").status_code == 404
    assert client.get("/workflow/supervision/").status_code == 403
    login_verified(client, staff("JCJ", "supervisor"))
    assert "电子监察" in client.get("/workflow/supervision/").content.decode()


def test_admin_pages(admin_client, case):
    assert admin_client.get("/admin/workflow/processdefinition/").status_code == 200
    assert admin_client.get(f"/admin/workflow/processdefinition/{case.definition_id}/change/").status_code == 200
    html = admin_client.get(f"/admin/workflow/instance/{case.pk}/change/").content.decode()
    assert "stage_started" in html
