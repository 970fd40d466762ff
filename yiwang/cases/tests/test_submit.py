"""Submitting: cases with numbers, idempotency, conflicts, licence uses, proxies, receipts."""

import datetime as dt
import re
import zlib

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.cases import services
from yiwang.cases import submit as submitting
from yiwang.cases.documents import receipt_context
from yiwang.cases.models import Application, Case, IdempotencyRecord
from yiwang.licenses.models import License, LicenseUse

from .conftest import ITEM, UPLOAD_ITEM, api, issue, materials_by_name, start, upload

pytestmark = pytest.mark.django_db

FILLED = {"print_range": "近一年", "apply_reason": "办理贷款"}


def ready(client, item=ITEM, **extra):
    body = start(client, item=item, **extra)
    if item == ITEM:
        response = client.patch(f"/api/v1/applications/{body['id']}", {"data": FILLED}, format="json")
        assert response.status_code == 200, response.json()
    return body


def application_materials(pk) -> dict:
    return {m.name: m for m in Application.objects.get(pk=pk).materials.all()}


def submit(client, application_id, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1/applications/{application_id}/submit", **headers)


def test_submit_creates_a_numbered_case_and_uses_the_licence(citizen_api, citizen, id_card):
    body = ready(citizen_api)
    response = submit(citizen_api, body["id"])
    assert response.status_code == 201, response.json()
    cases = response.json()["cases"]
    today = timezone.localdate()
    assert cases == [{"number": f"{ITEM}-{today:%Y%m%d}-00001", "item": ITEM,
                      "item_name": "社会保险个人权益记录（参保证明）查询打印", "status": "submitted"}]
    case = Case.objects.get(number=cases[0]["number"])
    assert case.applicant == citizen and case.submitted_by == citizen and case.department_code == "RSJ"
    # 受托人居民身份证 is the proxy's document: without a proxy the applicant's card is not offered.
    assert application_materials(body["id"])["受托人居民身份证"].status == "missing"
    use = LicenseUse.objects.get(license=id_card)
    assert (use.case_number, use.item_code, use.used_by) == (case.number, ITEM, citizen)
    application = Application.objects.get(pk=body["id"])
    assert application.status == "submitted" and application.submitted_at is not None
    assert application.materials.get(name="申请人居民身份证").license_use_ids == [use.pk]
    entry = AuditEntry.objects.get(action="application.submit")
    assert entry.data["cases"] == [case.number] and entry.on_behalf_of == ""
    # The next submission of the same item today takes the next serial.
    second = ready(citizen_api)
    assert submit(citizen_api, second["id"]).json()["cases"][0]["number"].endswith("-00002")


def test_idempotent_submit_returns_the_same_body_and_creates_nothing(citizen_api, citizen, id_card):
    body = ready(citizen_api)
    first = submit(citizen_api, body["id"], key="k-123")
    assert first.status_code == 201
    again = submit(citizen_api, body["id"], key="k-123")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1 and LicenseUse.objects.count() == 1
    assert IdempotencyRecord.objects.filter(user=citizen, key="k-123").count() == 1
    # The same key for another request is a conflict, not a replay.
    other = ready(citizen_api)
    assert submit(citizen_api, other["id"], key="k-123").status_code == 409


def test_second_submit_without_key_is_409(citizen_api, citizen, id_card):
    body = ready(citizen_api)
    assert submit(citizen_api, body["id"]).status_code == 201
    response = submit(citizen_api, body["id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert Case.objects.count() == 1
    # A new key on a submitted application is a conflict too, and a submitted draft is frozen.
    assert submit(citizen_api, body["id"], key="fresh").status_code == 409
    patch = citizen_api.patch(f"/api/v1/applications/{body['id']}", {"data": {"apply_reason": "x"}}, format="json")
    assert patch.status_code == 409
    assert upload(citizen_api, body["id"], "申请人居民身份证").status_code == 409


def test_submit_lists_everything_missing_at_once(citizen_api, citizen):
    body = start(citizen_api, item=ITEM)  # no licence, nothing typed
    response = submit(citizen_api, body["id"], key="k-missing")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "print_range": ["此项为必填项。"], "apply_reason": ["此项为必填项。"],
        "materials": ["请上传“申请人居民身份证”。"]}
    assert not Case.objects.exists() and not IdempotencyRecord.objects.exists()
    # Fixed and retried with the same key: it goes through.
    citizen_api.patch(f"/api/v1/applications/{body['id']}", {"data": FILLED}, format="json")
    assert upload(citizen_api, body["id"], "申请人居民身份证").status_code == 201
    assert submit(citizen_api, body["id"], key="k-missing").status_code == 201


def test_uploaded_material_satisfies_submit(citizen_api, citizen):
    body = start(citizen_api, item=UPLOAD_ITEM)
    assert submit(citizen_api, body["id"]).json()["error"]["fields"] == {
        "materials": ["请上传“居民身份证受理回执”。"]}
    upload(citizen_api, body["id"], "居民身份证受理回执")
    assert submit(citizen_api, body["id"]).status_code == 201


def test_revoked_licence_after_start_blocks_submit(citizen_api, citizen, id_card):
    body = ready(citizen_api)
    License.objects.filter(pk=id_card.pk).update(status="revoked")
    response = submit(citizen_api, body["id"])
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"materials": ["“申请人居民身份证”所用的电子证照已失效，请上传该材料。"]}
    # Uploading instead replaces the licence.
    row = upload(citizen_api, body["id"], "申请人居民身份证").json()
    assert row["status"] == "uploaded" and row["license"] is None
    assert submit(citizen_api, body["id"]).status_code == 201
    assert not LicenseUse.objects.exists()


def test_life_event_yields_one_case_per_item(citizen_api, citizen):
    body = start(citizen_api, life_event="open_restaurant")
    application = Application.objects.get(pk=body["id"])
    # Fill every required field and upload every required material directly through the services.
    values = {f["key"]: "2026-01-01" if f["type"] == "date" else "1" if f["type"] == "number" else
              "330102198805120356" if f["type"] == "id_number" else "13800000009" if f["type"] == "phone" else "测试"
              for f in application.form if not f["readonly"]}
    services.application_update(user=citizen, application=application, data=values)
    for material in materials_by_name(body).values():
        if material["required"] and material["status"] == "missing":
            assert upload(citizen_api, body["id"], material["name"]).status_code == 201
    response = submit(citizen_api, body["id"])
    assert response.status_code == 201, response.json()
    items = [c["item"] for c in response.json()["cases"]]
    assert items == ["SCJ-XK-0001", "SCJ-XK-0007", "CGJ-XK-0002", "XFJ-XK-0001", "ZJJ-XK-0004"]
    assert len({c["number"] for c in response.json()["cases"]}) == 5
    assert Case.objects.filter(application=application).count() == 5


def test_proxy_submission_names_both(citizen, other_citizen, grant, id_card):
    her_card = issue("resident_id_card", ("李秀英", "F", None, other_citizen.id_number), {"姓名": "李秀英"})
    proxy = api(citizen)
    body = ready(proxy, on_behalf_of=other_citizen.pk)
    materials = materials_by_name(body)
    # Her card for 申请人居民身份证, the proxy's own card for 受托人居民身份证.
    assert materials["申请人居民身份证"]["license"]["identifier"] == her_card.identifier
    assert materials["受托人居民身份证"]["license"]["identifier"] == id_card.identifier
    response = submit(proxy, body["id"])
    assert response.status_code == 201, response.json()
    case = Case.objects.get(number=response.json()["cases"][0]["number"])
    assert case.applicant == other_citizen and case.submitted_by == citizen and case.is_proxy
    entry = AuditEntry.objects.get(action="application.submit")
    assert entry.actor_id == citizen.pk and entry.on_behalf_of == "lixiuying"
    assert entry.data["applicant"] == "李秀英" and entry.data["submitted_by"] == "张伟"
    use = LicenseUse.objects.get(license=her_card)
    assert use.used_by == citizen and use.on_behalf_of == other_citizen
    own = LicenseUse.objects.get(license=id_card)
    assert own.used_by == citizen and own.on_behalf_of is None
    # Both see the case, with both names.
    for user in (citizen, other_citizen):
        detail = api(user).get(f"/api/v1/cases/{case.number}").json()
        assert detail["applicant"]["name"] == "李秀英" and detail["submitted_by"]["name"] == "张伟"
    context = receipt_context(case)
    assert context["applicant"] == "李秀英（3301**********0820）"
    assert context["submitted_by"] == "张伟（3301**********0356）"


def test_cases_list_detail_and_receipt(citizen_api, citizen, other_citizen, id_card):
    number = submit(citizen_api, ready(citizen_api)["id"]).json()["cases"][0]["number"]
    listing = citizen_api.get("/api/v1/cases").json()
    assert listing["count"] == 1 and listing["results"][0]["number"] == number
    detail = citizen_api.get(f"/api/v1/cases/{number}").json()
    assert detail["status"] == "submitted" and detail["warning"] == "none" and detail["result"] is None
    assert detail["timeline"][0]["action"] == "submitted"
    response = citizen_api.get(detail["receipt_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"Noto-Sans-CJK-SC" in _pdf_streams(response.content)  # the CJK font is embedded
    context = receipt_context(Case.objects.get(number=number))
    assert context["url"].endswith(f"/cases/{number}/")
    assert context["applicant"] == "张伟（3301**********0356）" and context["submitted_by"] == ""
    # Someone else: 404 on the case, its receipt and in their list.
    other = api(other_citizen)
    assert other.get(f"/api/v1/cases/{number}").status_code == 404
    assert other.get(f"/api/v1/cases/{number}/receipt.pdf").status_code == 404
    assert other.get("/api/v1/cases").json()["count"] == 0
    assert citizen_api.get("/api/v1/cases/NO-SUCH-20260101-00001").status_code == 404


def _pdf_streams(pdf: bytes) -> bytes:
    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"".join(out)


def test_case_numbers_are_sequential_per_item_and_day():
    day = dt.date(2026, 10, 8)
    numbers = [submitting.case_numbers_next(item_code="X-1", day=day)[0] for _ in range(3)]
    assert numbers == ["X-1-20261008-00001", "X-1-20261008-00002", "X-1-20261008-00003"]
    assert submitting.case_numbers_next(item_code="X-2", day=day)[0] == "X-2-20261008-00001"
    assert submitting.case_numbers_next(item_code="X-1", day=day + dt.timedelta(days=1))[0] == "X-1-20261009-00001"


def test_idempotency_records_are_purged_after_the_window(citizen):
    IdempotencyRecord.objects.create(user=citizen, key="old", endpoint="x", response_status=201)
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(days=8))
    IdempotencyRecord.objects.create(user=citizen, key="new", endpoint="x", response_status=201)
    assert services.idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
