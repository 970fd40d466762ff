"""Follow-up tasks for staff: GET/POST API and the /registry/tasks/ page."""

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.identity.testing import login_verified
from yiwang.registry import outbox, services
from yiwang.registry.constants import EntryStatus, TaskKind, TaskStatus
from yiwang.registry.models import FollowUpTask

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def deceased(person, staff):
    p = person("M", dt.date(1940, 2, 3), name="吴国栋")
    services.death_record(actor=staff("WJW"), person=p, died_on=TODAY)
    outbox.outbox_dispatch()
    return p


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_list_shows_only_own_department_masked(client, staff, deceased):
    login_verified(client, staff("GAJ"))
    body = client.get("/api/v1/registry/tasks?state=open").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["department"], row["kind"], row["status"]) == ("GAJ", TaskKind.DEREGISTER_HOUSEHOLD, "open")
    assert row["person"] == {"name": "吴**", "id_number": deceased.masked_id_number}
    assert row["event"]["kind"] == "died" and row["entity"] is None
    assert deceased.id_number not in client.get("/api/v1/registry/tasks").content.decode()
    login_verified(client, staff("RSJ"))
    assert [r["kind"] for r in client.get("/api/v1/registry/tasks").json()["results"]] == [TaskKind.STOP_PENSION]
    login_verified(client, staff("SCJ"))
    assert client.get("/api/v1/registry/tasks").json() == {"count": 0, "results": []}


def test_list_rejects_bad_state_and_non_staff(client, staff, citizen_user, deceased):
    login_verified(client, staff("GAJ"))
    response = client.get("/api/v1/registry/tasks?state=closed")
    _error(response, 400, "invalid")
    assert "state" in response.json()["error"]["fields"]
    client.force_login(citizen_user)
    _error(client.get("/api/v1/registry/tasks"), 403, "permission_denied")
    client.logout()
    assert client.get("/api/v1/registry/tasks").status_code in (401, 403)


def test_complete_other_department_404_then_done_409(client, staff, deceased):
    task = FollowUpTask.objects.get(kind=TaskKind.DEREGISTER_HOUSEHOLD)
    login_verified(client, staff("RSJ"))
    _error(client.post(f"/api/v1/registry/tasks/{task.pk}/complete"), 404, "not_found")
    _error(client.post("/api/v1/registry/tasks/999999/complete"), 404, "not_found")
    login_verified(client, staff("GAJ"))
    response = client.post(f"/api/v1/registry/tasks/{task.pk}/complete")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done" and response.json()["done_at"]
    deceased.refresh_from_db()
    assert deceased.entry_status == EntryStatus.CLOSED
    _error(client.post(f"/api/v1/registry/tasks/{task.pk}/complete"), 409, "conflict")
    assert client.get("/api/v1/registry/tasks?state=done").json()["count"] == 1
    assert client.get("/api/v1/registry/tasks?state=open").json()["count"] == 0


def test_page_lists_and_completes(client, staff, deceased, citizen_user):
    gaj = staff("GAJ")
    login_verified(client, gaj)
    html = client.get("/registry/tasks/").content.decode()
    assert "注销户口" in html and deceased.masked_id_number in html and "吴**" in html
    assert deceased.id_number not in html and "吴国栋" not in html
    task = FollowUpTask.objects.get(kind=TaskKind.DEREGISTER_HOUSEHOLD)
    pension = FollowUpTask.objects.get(kind=TaskKind.STOP_PENSION)
    assert client.post(f"/registry/tasks/{pension.pk}/complete").status_code == 404
    response = client.post(f"/registry/tasks/{task.pk}/complete", follow=True)
    assert response.status_code == 200 and "已办结" in response.content.decode()
    assert FollowUpTask.objects.get(pk=task.pk).status == TaskStatus.DONE
    response = client.post(f"/registry/tasks/{task.pk}/complete", follow=True)
    assert "该任务已办结" in response.content.decode()
    assert "本部门暂无待办任务" in client.get("/registry/tasks/").content.decode()
    client.force_login(citizen_user)
    assert client.get("/registry/tasks/").status_code == 403
    client.logout()
    assert client.get("/registry/tasks/").status_code == 302
