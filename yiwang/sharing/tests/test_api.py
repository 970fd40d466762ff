"""The sharing API: status codes (no existence oracle), shapes, and no full ID number in outputs."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.registry.selectors import id_number_index
from yiwang.sharing import services
from yiwang.sharing.constants import AccessChannel, RequestStatus
from yiwang.sharing.models import DataAccessRecord, SharingRequest

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def lookup(client, number, elements="person.name", purpose="办理社保登记", **extra):
    params = {"elements": elements, "purpose": purpose, **extra}
    return client.get(f"/api/v1/registry/persons/{number}", params)


# --- staff look-up -------------------------------------------------------------------------------------

def test_lookup_returns_masked_values_and_logs(make_staff, family, grant):
    rsj = make_staff("RSJ")
    grant(rsj, ["person.spouse"], source="MZJ")
    husband = family["husband"]
    response = lookup(api(rsj), husband.id_number, "person.name,person.id_number,person.spouse", case="C-7")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id_number"] == husband.masked_id_number
    assert body["values"]["person.name"] == "张伟"
    assert body["values"]["person.id_number"] == husband.masked_id_number
    assert body["values"]["person.spouse"] == {"name": "王丽", "id_number": family["wife"].masked_id_number}
    assert husband.id_number not in response.content.decode()
    assert family["wife"].id_number not in response.content.decode()
    record = DataAccessRecord.objects.get()
    assert (record.case_number, record.channel) == ("C-7", AccessChannel.STAFF_LOOKUP)


def test_source_department_sees_masked_phone(make_staff, family):
    response = lookup(api(make_staff("GAJ")), family["wife"].id_number, "person.phone")
    assert response.status_code == 200
    assert response.json()["values"]["person.phone"] == "138****0002"


def test_lookup_without_grant_or_not_shared_is_404_like_a_missing_person(make_staff, family, make_person):
    rsj = make_staff("RSJ")
    client = api(rsj)
    denied = lookup(client, family["husband"].id_number, "person.name,person.marital_status")
    not_shared = lookup(client, family["husband"].id_number, "person.phone")
    ghost = make_person("乙")
    number = ghost.id_number
    ghost.delete()
    missing = lookup(client, number)
    assert denied.status_code == not_shared.status_code == missing.status_code == 404
    assert denied.json() == missing.json()
    assert denied.json()["error"]["code"] == "not_found"
    assert not DataAccessRecord.objects.exists()


def test_lookup_with_expired_grant_is_404(make_staff, family, grant):
    rsj = make_staff("RSJ")
    grant(rsj, ["person.marital_status"], source="MZJ", valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert lookup(api(rsj), family["husband"].id_number, "person.marital_status").status_code == 404


def test_lookup_bad_input_is_400_with_fields(make_staff, family):
    client = api(make_staff("RSJ"))
    good = family["husband"].id_number
    malformed = lookup(client, "33010219880512035")
    assert malformed.status_code == 400
    assert "id_number" in malformed.json()["error"]["fields"]
    bad_check = lookup(client, good[:17] + ("0" if good[17] != "0" else "1"))
    assert bad_check.status_code == 400 and "id_number" in bad_check.json()["error"]["fields"]
    no_purpose = client.get(f"/api/v1/registry/persons/{good}", {"elements": "person.name"})
    assert no_purpose.status_code == 400 and "purpose" in no_purpose.json()["error"]["fields"]
    blank_purpose = lookup(client, good, purpose="")
    assert blank_purpose.status_code == 400
    unknown = lookup(client, good, "person.name,person.nope")
    assert unknown.status_code == 400 and "elements" in unknown.json()["error"]["fields"]
    assert lookup(client, good, " , ").status_code == 400
    assert not DataAccessRecord.objects.exists()


def test_lookup_needs_department_staff(family):
    number = family["husband"].id_number
    assert lookup(api(), number).status_code in (401, 403)
    citizen = User.objects.create_user("cit", kind="citizen")
    assert lookup(api(citizen), number).status_code == 403


def test_entity_lookup(make_staff, family):
    from yiwang.registry.models import Entity

    Entity.objects.create(uscc="91330102712345672E", name="杭州一网餐饮管理有限公司",
                          legal_representative_name="刘强", address="河坊街88号", registered_on=dt.date(2021, 4, 8))
    client = api(make_staff("RSJ"))
    response = client.get("/api/v1/registry/entities/91330102712345672E",
                          {"elements": "entity.name,entity.status", "purpose": "核验"})
    assert response.status_code == 200
    assert response.json()["values"] == {"entity.name": "杭州一网餐饮管理有限公司", "entity.status": "active"}
    bad = client.get("/api/v1/registry/entities/91330102712345672X", {"elements": "entity.name", "purpose": "x"})
    assert bad.status_code == 400 and "uscc" in bad.json()["error"]["fields"]


# --- sharing requests ----------------------------------------------------------------------------------

def new_request(client, **overrides):
    payload = {"elements": ["person.marital_status"], "purpose": "生育登记核验婚姻状况", "legal_basis": "依据",
               "valid_until": (timezone.localdate() + dt.timedelta(days=60)).isoformat()}
    payload.update(overrides)
    return client.post("/api/v1/sharing/requests", payload, format="json")


def test_request_lifecycle_over_the_api(make_staff, officers, family):
    rsj = make_staff("RSJ")
    created = new_request(api(rsj))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["source_department"]["code"] == "MZJ"
    assert body["elements"] == [{"code": "person.marital_status", "name": "婚姻状况"}]
    assert body["overdue"] is False and body["can_decide"] is False
    pk = body["id"]

    officer = api(officers["MZJ"])
    awaiting = officer.get("/api/v1/sharing/requests", {"awaiting": "true"}).json()
    assert awaiting["count"] == 1 and awaiting["results"][0]["can_decide"] is True

    # the requester cannot decide its own request; another department cannot even see it
    assert api(rsj).post(f"/api/v1/sharing/requests/{pk}/approve").status_code == 404
    assert api(officers["GAJ"]).post(f"/api/v1/sharing/requests/{pk}/approve").status_code == 404
    assert api(officers["GAJ"]).get(f"/api/v1/sharing/requests/{pk}").status_code == 404
    assert api(make_staff("MZJ")).post(f"/api/v1/sharing/requests/{pk}/approve").status_code == 404

    assert lookup(api(rsj), family["husband"].id_number, "person.marital_status").status_code == 404
    approved = officer.post(f"/api/v1/sharing/requests/{pk}/approve", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert lookup(api(rsj), family["husband"].id_number, "person.marital_status").status_code == 200

    again = officer.post(f"/api/v1/sharing/requests/{pk}/refuse", {"reasons": "晚了"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

    listed = api(rsj).get("/api/v1/sharing/requests").json()
    assert listed["count"] == 1 and listed["results"][0]["decided_by"].endswith("*")


def test_refuse_over_the_api_needs_reasons(make_staff, officers):
    created = new_request(api(make_staff("RSJ"))).json()
    officer = api(officers["MZJ"])
    url = f"/api/v1/sharing/requests/{created['id']}/refuse"
    missing = officer.post(url, {}, format="json")
    assert missing.status_code == 400 and "reasons" in missing.json()["error"]["fields"]
    refused = officer.post(url, {"reasons": "无法定依据"}, format="json")
    assert refused.status_code == 200
    assert refused.json()["status"] == RequestStatus.REFUSED and refused.json()["reasons"] == "无法定依据"


def test_create_request_errors_are_400(make_staff):
    client = api(make_staff("RSJ"))
    two_sources = new_request(client, elements=["person.marital_status", "person.address"])
    assert two_sources.status_code == 400 and "elements" in two_sources.json()["error"]["fields"]
    past = new_request(client, valid_until="2020-01-01")
    assert past.status_code == 400 and "valid_until" in past.json()["error"]["fields"]
    assert new_request(client, valid_until="not-a-date").status_code == 400
    assert new_request(client, elements=[]).status_code == 400
    assert not SharingRequest.objects.exists()
    citizen = User.objects.create_user("cit2", kind="citizen")
    assert new_request(api(citizen)).status_code == 403


def test_overdue_filter(make_staff, officers):
    rsj = api(make_staff("RSJ"))
    late = new_request(rsj).json()["id"]
    new_request(rsj)
    SharingRequest.objects.filter(pk=late).update(due_at=timezone.localdate() - dt.timedelta(days=2))
    body = api(officers["MZJ"]).get("/api/v1/sharing/requests", {"overdue": "1"}).json()
    assert [r["id"] for r in body["results"]] == [late] and body["results"][0]["overdue"] is True
    assert api(officers["MZJ"]).get("/api/v1/sharing/requests", {"status": "bogus"}).status_code == 400


def test_withdraw_over_the_api(make_staff, officers):
    rsj = api(make_staff("RSJ"))
    pk = new_request(rsj).json()["id"]
    assert api(officers["MZJ"]).post(f"/api/v1/sharing/requests/{pk}/withdraw").status_code == 404
    assert rsj.post(f"/api/v1/sharing/requests/{pk}/withdraw").json()["status"] == "withdrawn"
    assert rsj.post(f"/api/v1/sharing/requests/{pk}/withdraw").status_code == 409
    assert rsj.post("/api/v1/sharing/requests/999999/withdraw").status_code == 404


def test_elements_api(make_staff):
    body = api(make_staff("RSJ")).get("/api/v1/sharing/elements").json()
    assert body["count"] == 20
    phone = next(e for e in body["results"] if e["code"] == "person.phone")
    assert phone["sharing_class"] == "not_shared" and phone["source_department"] == "GAJ"


# --- the access log --------------------------------------------------------------------------------------

def test_access_log_shows_only_my_records(make_staff, family, grant, departments):
    husband, wife = family["husband"], family["wife"]
    me = User.objects.create_user("zhangwei", kind="citizen", id_number=husband.id_number,
                                  id_number_hash=id_number_index(husband.id_number))
    rsj = make_staff("RSJ", name="李建国")
    grant(rsj, ["person.marital_status"], source="MZJ")
    services.person_data_read(requester=rsj, id_number=husband.id_number, elements=["person.name",
                              "person.marital_status"], purpose="办理失业登记", case_number="RSJ-2026-001")
    services.person_data_read(requester=rsj, id_number=wife.id_number, elements=["person.name"], purpose="别人")
    services.own_data_read(user=me, elements=["person.name"], purpose="预填表单")

    response = api(me).get("/api/v1/me/data-access-log")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest, staff_read = body["results"]
    assert newest["department"] is None and newest["reader"] == "本人" and newest["channel"] == "prefill"
    assert staff_read["department"] == {"code": "RSJ", "name": "市人力资源和社会保障局"}
    assert staff_read["reader"] == "李**"
    assert staff_read["elements"] == [{"code": "person.name", "name": "姓名"},
                                      {"code": "person.marital_status", "name": "婚姻状况"}]
    assert staff_read["purpose"] == "办理失业登记" and staff_read["case_number"] == "RSJ-2026-001"
    text = response.content.decode()
    assert "别人" not in text and "李建国" not in text and rsj.username not in text
    assert husband.id_number not in text and "reader_id" not in text

    stranger = User.objects.create_user("stranger", kind="citizen")
    assert api(stranger).get("/api/v1/me/data-access-log").json() == {"count": 0, "results": []}
    assert api().get("/api/v1/me/data-access-log").status_code in (401, 403)


def test_access_log_paginates(family, make_staff):
    husband = family["husband"]
    me = User.objects.create_user("zw2", kind="citizen", id_number=husband.id_number,
                                  id_number_hash=id_number_index(husband.id_number))
    gaj = make_staff("GAJ", StaffRole.HANDLER)
    for n in range(3):
        services.person_data_read(requester=gaj, id_number=husband.id_number, elements=["person.name"],
                                  purpose=f"第{n}次")
    page = api(me).get("/api/v1/me/data-access-log", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 3 and [r["purpose"] for r in page["results"]] == ["第0次"]
    assert api(me).get("/api/v1/me/data-access-log", {"page": 9}).status_code == 404


def test_schema_documents_the_sharing_api(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/registry/persons/{id_number}", "/api/v1/sharing/requests",
                 "/api/v1/sharing/requests/{id}/approve", "/api/v1/sharing/requests/{id}/refuse",
                 "/api/v1/me/data-access-log"):
        assert path in paths, path
