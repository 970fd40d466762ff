"""Starting an application: joint form, prefill with sources, read-only values, drafts, materials."""

import datetime as dt
import hashlib

import pytest
from django.test import override_settings

from yiwang.audit.models import AuditEntry
from yiwang.cases.models import Application, ApplicationMaterial
from yiwang.cases.scanning import EICAR
from yiwang.core.ids import make_id_number
from yiwang.sharing.models import DataAccessRecord

from .conftest import (
    CITIZEN,
    ITEM,
    NEWBORN_NAME,
    PDF,
    PNG,
    UPLOAD_ITEM,
    api,
    fields_by_key,
    issue,
    make_person,
    make_user,
    materials_by_name,
    start,
    upload,
)

pytestmark = pytest.mark.django_db


def test_life_event_prefill_values_sources_and_readonly(citizen_api, citizen, newborn, id_card,
                                                        household_register):
    body = start(citizen_api, life_event="newborn_birth")
    assert body["status"] == "draft"
    fields = fields_by_key(body)
    name = fields["applicant_name"]
    assert (name["value"], name["source"], name["source_label"], name["readonly"]) == (
        "张伟", "person.name", "来自人口库", True)
    assert name["label"] == "申请人姓名" and name["type"] == "text" and name["required"] is True
    assert fields["applicant_id_number"]["value"] == CITIZEN[3]
    # For the newborn: sex and ethnicity are the child's, the address the guardian's (she has none yet).
    assert fields["gender"]["value"] == "女" and fields["gender"]["source"] == "person.gender"
    assert fields["ethnicity"]["value"] == "汉族"
    assert fields["hukou_address"]["value"] == "浙江省杭州市上城区解放路18号"
    household = fields["household_number"]
    assert (household["value"], household["source"], household["source_label"], household["readonly"]) == (
        "330102001234", "license:household_register.户号", "来自电子证照", True)
    # Contact phone: prefilled from the registry, but the applicant may give another number.
    assert fields["phone"]["value"] == "13800000001" and fields["phone"]["readonly"] is False
    # Nothing in any registry: empty and editable, no source.
    for key in ("residence_address", "bank_name", "relation_to_head"):
        assert (fields[key]["value"], fields[key]["source"], fields[key]["readonly"]) == ("", None, False)
    # No birth certificate yet: the newborn's data comes from the hospital's birth record, read-only.
    newborn_name = fields["newborn_name"]
    assert (newborn_name["value"], newborn_name["source"], newborn_name["readonly"]) == (
        NEWBORN_NAME, "birth:新生儿姓名", True)


def test_single_item_without_a_ward_types_the_newborn_data(citizen_api, citizen):
    # 出生医学证明首次签发 alone, no child in the registry: the applicant types what the hospital gave.
    fields = fields_by_key(start(citizen_api, item="WJW-GG-0001"))
    assert fields["newborn_name"]["value"] == "" and fields["newborn_name"]["readonly"] is False
    assert fields["newborn_name"]["required"] is True


def test_prefill_reads_are_logged_with_channel_prefill(citizen_api, citizen):
    before = DataAccessRecord.objects.count()
    start(citizen_api, item=ITEM)
    records = list(DataAccessRecord.objects.order_by("-id")[: DataAccessRecord.objects.count() - before])
    assert len(records) == 1
    record = records[0]
    assert record.channel == "prefill" and record.reader == citizen
    assert record.subject_hash == citizen.id_number_hash
    assert set(record.elements) == {"person.name", "person.id_number", "person.phone"}
    assert "社会保险个人权益记录" in record.purpose


def test_no_registry_entry_means_nothing_prefilled(demo_catalog, data_catalog):
    user = make_user("newcomer", ("赵六", "M", None, "110101199003070015"))
    body = start(api(user), item=ITEM)
    assert all(f["value"] == "" and f["source"] is None and not f["readonly"] for f in body["fields"])
    assert not DataAccessRecord.objects.filter(reader=user).exists()


def test_readonly_value_cannot_be_changed(citizen_api, citizen):
    body = start(citizen_api, item=ITEM)
    response = citizen_api.patch(f"/api/v1/applications/{body['id']}",
                                 {"data": {"applicant_name": "王五", "apply_reason": "办理贷款"}}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"applicant_name": ["该项来自人口库，已经核验，不能修改。"]}
    # The whole request was rejected: the valid key was not saved either.
    assert fields_by_key(citizen_api.get(f"/api/v1/applications/{body['id']}").json())["apply_reason"]["value"] == ""


def test_patch_saves_draft_and_reports_field_errors(citizen_api, citizen):
    body = start(citizen_api, item=ITEM)
    url = f"/api/v1/applications/{body['id']}"
    response = citizen_api.patch(url, {"data": {"apply_reason": "办理贷款", "phone": "139 0000 0009"}}, format="json")
    assert response.status_code == 200
    fields = fields_by_key(response.json())
    assert fields["apply_reason"]["value"] == "办理贷款" and fields["phone"]["value"] == "13900000009"
    assert Application.objects.get(pk=body["id"]).values["apply_reason"] == "办理贷款"

    response = citizen_api.patch(url, {"data": {"phone": "12345", "nope": "1"}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"phone": ["请输入有效的11位手机号码。"], "nope": ["表单中没有该项。"]}
    response = citizen_api.patch(url, {"data": {"phone": "12345"}}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["fields"] == {"phone": ["Please enter a valid 11-digit mobile number."]}
    response = citizen_api.patch(url, {"data": "oops"}, format="json")
    assert response.status_code == 400 and "data" in response.json()["error"]["fields"]


def test_id_number_check_digit_on_an_editable_field(citizen_api, citizen):
    body = start(citizen_api, item="WJW-GG-0001")
    response = citizen_api.patch(f"/api/v1/applications/{body['id']}",
                                 {"data": {"mother_id_number": "330102199008200466", "newborn_birth_time": "2026-13-01"}},
                                 format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "mother_id_number": ["公民身份号码校验位错误，请核对后重新输入。"],
        "newborn_birth_time": ["请输入有效的日期，格式为 YYYY-MM-DD。"]}


def test_unknown_codes_and_bad_bodies(citizen_api, citizen):
    for body, field in (({"item": "NO-SUCH-0001"}, "item"), ({"life_event": "nothing"}, "life_event"),
                        ({}, "item"), ({"item": ITEM, "life_event": "newborn_birth"}, "item"),
                        ({"item": ITEM, "on_behalf_of": "abc"}, "on_behalf_of")):
        response = citizen_api.post("/api/v1/applications", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"]
    assert not Application.objects.exists()


def test_anonymous_gets_401(demo_catalog):
    assert api().post("/api/v1/applications", {"item": ITEM}, format="json").status_code in (401, 403)


def test_someone_elses_application_is_404(citizen_api, citizen, other_citizen):
    body = start(citizen_api, item=ITEM)
    other = api(other_citizen)
    url = f"/api/v1/applications/{body['id']}"
    assert other.get(url).status_code == 404
    assert other.patch(url, {"data": {"apply_reason": "x"}}, format="json").status_code == 404
    assert upload(other, body["id"], "申请人居民身份证").status_code == 404
    assert other.post(f"{url}/submit").status_code == 404
    assert other.get("/api/v1/applications/999999").status_code == 404


def test_spouse_fields_follow_marital_status(demo_catalog, data_catalog):
    married = make_user("married", CITIZEN)
    make_person(CITIZEN, marital_status="married")
    single_person = ("钱七", "M", dt.date(1995, 1, 1), make_id_number("330102", dt.date(1995, 1, 1), 7, "M"))
    make_person(single_person, marital_status="unmarried")
    single = make_user("single", single_person)
    married_fields = fields_by_key(start(api(married), item="GAJ-QR-0004"))
    single_fields = fields_by_key(start(api(single), item="GAJ-QR-0004"))
    assert married_fields["spouse_name"]["required"] is True
    assert single_fields["spouse_name"]["required"] is False
    assert single_fields["spouse_id_number"]["required"] is False
    # Marriage registration: the partner-to-be is asked for whatever the status.
    assert fields_by_key(start(api(single), item="MZJ-QR-0001"))["spouse_name"]["required"] is True


def test_materials_held_by_government_or_to_upload(citizen_api, citizen, newborn, id_card):
    materials = materials_by_name(start(citizen_api, life_event="newborn_birth"))
    card = materials["父母双方居民身份证"]
    assert card["status"] == "held_by_government" and card["required"] is True
    assert card["license"] == {"identifier": id_card.identifier, "type": "resident_id_card"}
    assert materials["监护人居民身份证"]["status"] == "held_by_government"
    # The birth certificate is issued by this very application (出生医学证明首次签发): not uploaded.
    birth = materials["出生医学证明"]
    assert (birth["status"], birth["license"], birth["license_type"]) == (
        "from_bundle", None, "birth_medical_certificate")
    # The paper self-fill form is the online form itself.
    form = materials["《出生医学证明自填单》"]
    assert (form["status"], form["required"], form["license_type"]) == ("filled_online", True, None)
    # A licence-backed material neither held nor issued here must be uploaded.
    assert materials["落户方居民户口簿"]["status"] == "missing"
    assert materials["新生儿乙肝疫苗、卡介苗首针接种记录"]["required"] is False
    assert materials["证件照片（数码照片回执）"]["required"] is False  # the photo field


def test_expired_licence_is_not_held(citizen_api, citizen):
    issue("resident_id_card", CITIZEN, {"姓名": "张伟"}, valid_until=dt.date(2020, 1, 1))
    materials = materials_by_name(start(citizen_api, item=ITEM))
    assert materials["申请人居民身份证"]["status"] == "missing"


def test_upload_pdf_and_png(citizen_api, citizen):
    body = start(citizen_api, item=UPLOAD_ITEM)
    response = upload(citizen_api, body["id"], "居民身份证受理回执", PDF, filename="回执.pdf")
    assert response.status_code == 201, response.json()
    row = response.json()
    assert row["status"] == "uploaded"
    assert row["file"]["content_type"] == "application/pdf" and row["file"]["name"] == "回执.pdf"
    assert row["file"]["size"] == len(PDF) and row["file"]["scan_status"] == "clean"
    assert row["file"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    material = ApplicationMaterial.objects.get(pk=row["id"])
    assert material.file.name.startswith("private/cases/") and "回执" not in material.file.name
    # A PNG sent as ".pdf" is stored as what it is.
    response = upload(citizen_api, body["id"], "居民身份证受理回执", PNG, filename="x.pdf")
    assert response.status_code == 201 and response.json()["file"]["content_type"] == "image/png"
    assert AuditEntry.objects.filter(action="application.material_uploaded").count() == 2


def test_upload_file_is_served_only_to_the_applicant(citizen_api, citizen, other_citizen):
    body = start(citizen_api, item=UPLOAD_ITEM)
    row = upload(citizen_api, body["id"], "居民身份证受理回执").json()
    response = citizen_api.get(row["file"]["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert api(other_citizen).get(row["file"]["url"]).status_code == 404
    assert api().get(row["file"]["url"]).status_code in (401, 403)


def test_upload_rejects_wrong_type_by_content(citizen_api, citizen):
    body = start(citizen_api, item=UPLOAD_ITEM)
    response = upload(citizen_api, body["id"], "居民身份证受理回执", b"MZ\x90\x00 not a pdf", filename="a.pdf")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别，而非扩展名）。"]}
    assert materials_by_name(citizen_api.get(f"/api/v1/applications/{body['id']}").json())[
        "居民身份证受理回执"]["status"] == "missing"


@override_settings(CASES_MAX_UPLOAD_MB=1)
def test_upload_rejects_too_big(citizen_api, citizen):
    body = start(citizen_api, item=UPLOAD_ITEM)
    response = upload(citizen_api, body["id"], "居民身份证受理回执", PDF + b"0" * (1024 * 1024))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["文件不能超过 1 MB。"]}


def test_upload_rejects_eicar_and_keeps_nothing(citizen_api, citizen):
    body = start(citizen_api, item=UPLOAD_ITEM)
    response = upload(citizen_api, body["id"], "居民身份证受理回执", PDF + EICAR)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["文件未通过病毒检测（EICAR-Test-File），已被拒绝且未保存。"]}
    material = ApplicationMaterial.objects.get(application_id=body["id"], name="居民身份证受理回执")
    assert not material.file and material.status == "missing"
    entry = AuditEntry.objects.get(action="application.material_rejected")
    assert entry.data["signature"] == "EICAR-Test-File"


def test_upload_bad_requests(citizen_api, citizen):
    body = start(citizen_api, item=UPLOAD_ITEM)
    response = upload(citizen_api, body["id"], "不存在的材料")
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]
    response = citizen_api.post(f"/api/v1/applications/{body['id']}/materials", {"name": "居民身份证受理回执"},
                                format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]


def test_proxy_application_is_the_principals(citizen, other_citizen, grant):
    proxy = api(citizen)
    body = start(proxy, item=ITEM, on_behalf_of=other_citizen.pk)
    assert body["applicant"] == {"id": other_citizen.pk, "name": "李秀英"}
    assert body["submitted_by"] == {"id": citizen.pk, "name": "张伟"}
    # Prefilled from the principal's registry entry, and logged as a read of her data.
    assert fields_by_key(body)["applicant_name"]["value"] == "李秀英"
    record = DataAccessRecord.objects.filter(channel="prefill").latest("id")
    assert record.subject_hash == other_citizen.id_number_hash and "代办人" in record.purpose
    entry = AuditEntry.objects.filter(action="application.start").latest("id")
    assert entry.actor_id == citizen.pk and entry.on_behalf_of == "lixiuying"
    # The principal sees it too.
    assert api(other_citizen).get(f"/api/v1/applications/{body['id']}").status_code == 200


def test_proxy_without_a_grant_is_refused(citizen, other_citizen):
    response = api(citizen).post("/api/v1/applications", {"item": ITEM, "on_behalf_of": other_citizen.pk},
                                 format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"on_behalf_of": ["您没有该委托人办理这些事项的有效代办授权。"]}


def test_proxy_grant_must_cover_every_item(citizen, other_citizen, grant):
    grant.item_codes = ["WJW-GG-0001"]
    grant.save()
    response = api(citizen).post("/api/v1/applications", {"life_event": "newborn_birth",
                                                          "on_behalf_of": other_citizen.pk}, format="json")
    assert response.status_code == 400 and "on_behalf_of" in response.json()["error"]["fields"]


def test_revoked_grant_hides_the_application_from_the_proxy(citizen, other_citizen, grant):
    body = start(api(citizen), item=ITEM, on_behalf_of=other_citizen.pk)
    grant.revoked_at = dt.datetime.now(dt.UTC)
    grant.save()
    assert api(citizen).get(f"/api/v1/applications/{body['id']}").status_code == 404
    assert api(other_citizen).get(f"/api/v1/applications/{body['id']}").status_code == 200


def test_enterprise_prefill_from_the_entity_registry(demo_catalog, data_catalog):
    from yiwang.identity.constants import AccountKind
    from yiwang.identity.models import EntityMembership
    from yiwang.registry.demo import DEMO_COMPANY
    from yiwang.registry.models import Entity

    Entity.objects.create(uscc=DEMO_COMPANY["uscc"], name=DEMO_COMPANY["name"], legal_representative_name="刘强",
                          address=DEMO_COMPANY["address"], registered_on=DEMO_COMPANY["registered_on"])
    agent_person = ("王芳", "F", dt.date(1985, 11, 2), "330102198511020161")
    make_person(agent_person, phone="13800000004")
    agent = make_user("wangfang", agent_person, kind=AccountKind.ENTERPRISE)
    EntityMembership.objects.create(user=agent, entity_uscc=DEMO_COMPANY["uscc"], entity_name=DEMO_COMPANY["name"],
                                    role="agent")
    body = start(api(agent), item="SCJ-XK-0009")  # 食品经营许可（注销）
    fields = fields_by_key(body)
    assert (fields["entity_name"]["value"], fields["entity_name"]["source_label"]) == (DEMO_COMPANY["name"], "来自法人库")
    assert fields["uscc"]["value"] == DEMO_COMPANY["uscc"] and fields["uscc"]["readonly"] is True
    assert fields["legal_rep_name"]["value"] == "刘强"
    assert fields["contact_name"]["value"] == "王芳"  # the agent's own person data
    assert fields["cancel_reason"]["value"] == "" and fields["cancel_reason"]["readonly"] is False
    kinds = set(DataAccessRecord.objects.filter(reader=agent, channel="prefill").values_list("subject_kind", flat=True))
    assert kinds == {"person", "entity"}
    assert Application.objects.get(pk=body["id"]).subject_uscc == DEMO_COMPANY["uscc"]
