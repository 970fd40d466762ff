"""A submitted case through the workflow: acceptance and its clock, review, parallel opinions,
decisions with outputs, refusal, supplement, tolerant acceptance, suspension, denial; notices,
inbox and e-mail; the staff panel and its access log; who gets 404."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from yiwang.cases.models import Case, CaseDocument, CaseSupply
from yiwang.catalog.models import Department
from yiwang.core.calendar import add_working_days, is_working_day
from yiwang.identity.constants import AccountKind
from yiwang.identity.models import User
from yiwang.identity.selectors import subject_index
from yiwang.identity.testing import login_verified
from yiwang.licenses.models import License
from yiwang.notifications.models import InboxMessage
from yiwang.registry.demo import DEMO_COMPANY, DEMO_PEOPLE
from yiwang.sharing.models import DataAccessRecord
from yiwang.workflow import services as workflow
from yiwang.workflow.models import Instance, Suspension, Task

from .conftest import CITIZEN, ITEM, api, make_user, start, upload

pytestmark = pytest.mark.django_db

FOOD = "SCJ-XK-0007"  # 食品经营许可（新办）: outputs the food_business_license; tolerant acceptance allowed
SCHOOL = "JYJ-GG-0001"  # 小学一年级入学登记: parallel opinions of GAJ and BDC; outputs a notice (no licence)
SAMPLES = {"text": "测试内容", "address": "浙江省杭州市上城区河坊街90号", "date": "2019-03-03",
           "phone": "13800000009", "number": "3", "id_number": DEMO_PEOPLE["citizen_child"][3]}
SHANGHAI = ZoneInfo("Asia/Shanghai")
FILLED = {"print_range": "近一年", "apply_reason": "办理贷款"}


# --- helpers ---------------------------------------------------------------------------------------------

def staff(code: str) -> Client:
    user, _ = User.objects.get_or_create(username=f"staff-{code.lower()}", defaults={
        "kind": AccountKind.STAFF, "department": Department.objects.get(code=code), "display_name": f"{code}审批员"})
    client = Client()
    login_verified(client, user)
    client.user = user
    return client


def open_task(number: str, department: str) -> Task:
    return Task.objects.get(instance__subject_id=number, department=department, state="open")


def act(client, number, department, action, capture, **body):
    task = open_task(number, department)
    with capture(execute=True):
        response = client.post(f"/api/v1/tasks/{task.pk}/complete", {"action": action, **body},
                               content_type="application/json")
    return response


def fill_and_submit(client, item, capture, *, overrides=None, delivery=None) -> str:
    body = start(client, item=item)
    data = {}
    for field in body["fields"]:
        if field["readonly"]:
            continue
        if overrides and field["key"] in overrides:
            data[field["key"]] = overrides[field["key"]]
        elif field["required"] and not field["value"]:
            data[field["key"]] = field["options"][0] if field["options"] else SAMPLES.get(field["type"], "测试内容")
    if data:
        response = client.patch(f"/api/v1/applications/{body['id']}", {"data": data}, format="json")
        assert response.status_code == 200, response.json()
    for material in body["materials"]:
        if material["required"] and material["status"] == "missing":
            assert upload(client, body["id"], material["name"]).status_code == 201
    with capture(execute=True):
        response = client.post(f"/api/v1/applications/{body['id']}/submit", delivery or {}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["cases"][0]["number"]


def case_json(client, number) -> dict:
    response = client.get(f"/api/v1/cases/{number}")
    assert response.status_code == 200, response.content
    return response.json()


def actions(body) -> list[str]:
    return [row["action"] for row in body["timeline"]]


@pytest.fixture
def frozen(monkeypatch):
    """Move "now" (and so today) to a chosen moment: frozen(dt.datetime(...))."""
    def move(at: dt.datetime):
        monkeypatch.setattr(timezone, "now", lambda: at.astimezone(dt.UTC))
    return move


# --- end to end ------------------------------------------------------------------------------------------

def test_food_licence_end_to_end(company, frozen, django_capture_on_commit_callbacks):
    frozen(dt.datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI))  # Tuesday before National Day 2026
    agent = api(company)
    number = fill_and_submit(agent, FOOD, django_capture_on_commit_callbacks,
                             overrides={"business_premises": "浙江省杭州市上城区河坊街90号", "business_format": "餐饮服务经营者"})
    case = Case.objects.get(number=number)
    assert case.status == "submitted" and case.delivery == "online"
    scj = staff("SCJ")
    row = scj.get("/api/v1/tasks").json()["results"][0]
    assert (row["case"], row["stage"]) == (number, "受理") and "accept_tolerant" in row["actions"]

    # The handler opens the task: the application data is shown and the read is logged for the entity.
    page = scj.get(f"/workflow/tasks/{row['id']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "申请资料" in html and "浙江省杭州市上城区河坊街90号" in html and DEMO_COMPANY["name"] in html
    record = DataAccessRecord.objects.get(channel="case_handling", case_number=number)
    assert record.subject_hash == subject_index(DEMO_COMPANY["uscc"]) and record.department == "SCJ"
    assert "business_premises" in record.elements and record.purpose == number
    assert any(r["case_number"] == number for r in agent.get("/api/v1/me/data-access-log").json()["results"])
    # The handling department downloads an uploaded material; another department cannot.
    material = case.application.materials.exclude(file="").first()
    assert scj.get(f"/cases/{number}/staff/material/{material.pk}").status_code == 200
    rsj = staff("RSJ")
    assert rsj.get(f"/cases/{number}/staff/material/{material.pk}").status_code == 404
    assert rsj.get(f"/workflow/tasks/{row['id']}/").status_code == 404
    assert rsj.post(f"/api/v1/tasks/{row['id']}/complete", {"action": "accept"},
                    content_type="application/json").status_code == 404

    assert act(scj, number, "SCJ", "accept", django_capture_on_commit_callbacks).status_code == 200
    case.refresh_from_db()
    # 5 working days from 29 Sep: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (make-up working day), 12 Oct.
    assert case.status == "accepted" and case.deadline == dt.date(2026, 10, 12)
    assert case.deadline == add_working_days(dt.date(2026, 9, 29), 5) and is_working_day(case.deadline)
    assert Instance.objects.get(subject_id=number).deadline == case.deadline
    acceptance = CaseDocument.objects.get(case=case, kind="acceptance")
    assert acceptance.file  # rendered after commit
    assert "2026年10月12日" in json.dumps(acceptance.values, ensure_ascii=False)
    assert InboxMessage.objects.filter(recipient_hash=subject_index(DEMO_COMPANY["uscc"]), subject__startswith="办件已受理").exists()
    assert [m.to for m in mail.outbox] == [["wangfang@example.com"]] and number in mail.outbox[0].body

    # The applicant changes the delivery before the decision; bad input is refused.
    assert agent.post(f"/api/v1/cases/{number}/delivery", {"delivery": "post"}, format="json").status_code == 400
    assert agent.post(f"/api/v1/cases/{number}/delivery", {"delivery": "pickup"}, format="json").json()["delivery"] == "pickup"

    assert act(scj, number, "SCJ", "approve", django_capture_on_commit_callbacks).status_code == 200  # 审查
    assert open_task(number, "SCJ").stage.name == "决定"
    assert act(scj, number, "SCJ", "approve", django_capture_on_commit_callbacks).status_code == 200  # 决定
    body = case_json(agent, number)
    assert body["status"] == "concluded" and body["result"] == "approved" and body["concluded_at"]
    assert body["accepted_at"] and body["deadline"] == "2026-10-12" and body["warning"] == "none"
    license = License.objects.get(item_code=FOOD)
    assert body["outputs"] == [{"identifier": license.identifier, "type": "food_business_license",
                                "name": "食品经营许可证", "status": "valid", "url": body["outputs"][0]["url"]}]
    assert license.holder_hash == subject_index(DEMO_COMPANY["uscc"])
    assert license.fields["经营者名称"] == DEMO_COMPANY["name"]
    assert license.fields["经营场所"] == "浙江省杭州市上城区河坊街90号" and license.fields["主体业态"] == "餐饮服务经营者"
    assert license.fields["统一社会信用代码"] == DEMO_COMPANY["uscc"]
    wallet = agent.get("/api/v1/me/licenses").json()
    assert license.identifier in json.dumps(wallet)
    for expected in ("submitted", "stage_started", "accepted", "clock_started", "approved", "completed"):
        assert expected in actions(body)
    assert {d["kind"] for d in body["documents"]} == {"acceptance"}
    assert len(mail.outbox) == 2 and "办结" in mail.outbox[1].subject
    assert agent.post(f"/api/v1/cases/{number}/delivery", {"delivery": "online"}, format="json").status_code == 409
    # Notices download for the applicant only; the case page shows the outcome.
    pdf = agent.get(body["documents"][0]["url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    client = Client()
    client.force_login(company)
    page = client.get(f"/cases/{number}/").content.decode()
    assert "已办结" in page and "食品经营许可证" in page and "受理通知书" in page and "窗口领取" in page

    # Anyone else: 404 on the case, its notices, its list and the licence.
    other = make_user("outsider", DEMO_PEOPLE["citizen2"])
    assert api(other).get(f"/api/v1/cases/{number}").status_code == 404
    assert api(other).get(body["documents"][0]["url"]).status_code == 404
    assert api(other).get("/api/v1/cases").json()["count"] == 0
    outsider = Client()
    outsider.force_login(other)
    assert outsider.get(f"/cases/{number}/documents/{acceptance.pk}.pdf").status_code == 404
    assert outsider.get(f"/licenses/{license.identifier}/pdf").status_code == 404


def test_parallel_departments_then_decision_document(citizen, id_card, household_register, django_capture_on_commit_callbacks):
    client = api(citizen)
    number = fill_and_submit(client, SCHOOL, django_capture_on_commit_callbacks,
                             overrides={"child_name": "张小宇", "property_cert_no": "浙(2020)杭州市不动产权第0001号"})
    jyj, gaj, bdc = staff("JYJ"), staff("GAJ"), staff("BDC")
    assert act(jyj, number, "JYJ", "accept", django_capture_on_commit_callbacks).status_code == 200
    assert act(jyj, number, "JYJ", "approve", django_capture_on_commit_callbacks).status_code == 200
    # Both departments have their task at once; an uninvolved one sees nothing.
    gaj_task, bdc_task = open_task(number, "GAJ"), open_task(number, "BDC")
    assert gaj_task.stage_id == bdc_task.stage_id
    assert staff("RSJ").get(f"/workflow/tasks/{gaj_task.pk}/").status_code == 404
    assert gaj.get(f"/workflow/tasks/{gaj_task.pk}/").status_code == 200  # GAJ reads the data too
    assert act(gaj, number, "GAJ", "agree", django_capture_on_commit_callbacks, comment="户籍核验一致").status_code == 200
    assert act(bdc, number, "BDC", "agree", django_capture_on_commit_callbacks, comment="房产核验一致").status_code == 200
    page = jyj.get(f"/workflow/tasks/{open_task(number, 'JYJ').pk}/").content.decode()
    assert "户籍核验一致" in page and "房产核验一致" in page
    assert act(jyj, number, "JYJ", "approve", django_capture_on_commit_callbacks).status_code == 200
    body = case_json(client, number)
    assert body["result"] == "approved" and body["outputs"] == []
    assert [d["name"] for d in body["documents"]] == ["受理通知书", "入学通知书"]
    assert {r.department for r in DataAccessRecord.objects.filter(case_number=number)} == {"GAJ", "JYJ"}
    assert actions(body).count("opinion") == 2 and "parallel_decided" in actions(body)


# --- pre-review outcomes ---------------------------------------------------------------------------------

def _ready_item(client, capture) -> str:
    return fill_and_submit(client, ITEM, capture, overrides=FILLED)


def test_refusal_concludes_with_reasons_and_appeal_notice(citizen, id_card, django_capture_on_commit_callbacks):
    citizen.email = "zhangwei@example.com"
    citizen.save(update_fields=["email"])
    client = api(citizen)
    number = _ready_item(client, django_capture_on_commit_callbacks)
    rsj = staff("RSJ")
    assert act(rsj, number, "RSJ", "refuse", django_capture_on_commit_callbacks).status_code == 400  # reasons needed
    assert act(rsj, number, "RSJ", "refuse", django_capture_on_commit_callbacks,
               comment="不属于本机关职权范围").status_code == 200
    body = case_json(client, number)
    assert (body["status"], body["result"], body["deadline"]) == ("concluded", "refused", None)
    document = CaseDocument.objects.get(case__number=number, kind="refusal")
    text = json.dumps(document.values, ensure_ascii=False)
    assert "不属于本机关职权范围" in text and "60日" in text and "6个月" in text
    assert InboxMessage.objects.filter(recipient_hash=citizen.id_number_hash, subject__startswith="申请不予受理").exists()
    assert len(mail.outbox) == 1
    # A concluded case takes no more actions.
    assert not Task.objects.filter(instance__subject_id=number, state="open").exists()


def test_supplement_request_then_applicant_supplies_and_review_resumes(
        citizen, id_card, django_capture_on_commit_callbacks):
    client = api(citizen)
    number = _ready_item(client, django_capture_on_commit_callbacks)
    rsj = staff("RSJ")
    missing = ["授权委托书", "申请事由"]  # a material and a form field, listed at once
    assert act(rsj, number, "RSJ", "request_supplement", django_capture_on_commit_callbacks, missing=missing,
               comment="申请事由不明确").status_code == 200
    body = case_json(client, number)
    assert body["status"] == "supplement_requested"
    assert body["pending"]["supplement"] == missing and body["pending"]["notice"] == "申请事由不明确"
    notice = CaseDocument.objects.get(case__number=number, kind="supplement")
    assert notice.values["items"] == missing
    assert InboxMessage.objects.filter(subject__startswith="请补正申请材料").exists()

    url = f"/api/v1/cases/{number}/supplement"
    # Bad input: an item not on the notice, a field not on it, nothing at all, a non-PDF file.
    def pdf():
        return SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    assert client.post(url, {"营业执照": pdf()}, format="multipart").status_code == 400
    assert client.post(url, {"data": {"print_range": "近三年"}}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(url, {"授权委托书": SimpleUploadedFile("a.pdf", b"MZ...", content_type="application/pdf")},
                       format="multipart").status_code == 400
    assert api(make_user("someone", DEMO_PEOPLE["citizen2"])).post(url, {"授权委托书": pdf()},
                                                                     format="multipart").status_code == 404
    # One item now, the other later: review resumes once everything has arrived.
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"授权委托书": pdf()}, format="multipart")
    assert first.status_code == 200 and first.json() == {"supplied": ["授权委托书"], "pending": ["申请事由"]}
    assert Case.objects.get(number=number).status == "supplement_requested"
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, {"data": json.dumps({"apply_reason": "申请公积金贷款"})}, format="multipart")
    assert second.status_code == 200 and second.json()["pending"] == []
    body = case_json(client, number)
    assert body["status"] == "under_review" and "supplement_received" in actions(body)
    assert Case.objects.get(number=number).application.values["apply_reason"] == "申请公积金贷款"
    assert CaseSupply.objects.filter(case__number=number).count() == 2
    assert client.post(url, {"授权委托书": pdf()}, format="multipart").status_code == 409  # nothing pending now
    # The staff see the supplied file and accept.
    task = open_task(number, "RSJ")
    supply = CaseSupply.objects.get(case__number=number, name="授权委托书")
    assert rsj.get(f"/cases/{number}/staff/supply/{supply.pk}").status_code == 200
    assert act(rsj, number, "RSJ", "accept", django_capture_on_commit_callbacks).status_code == 200
    assert Case.objects.get(number=number).status == "accepted" and Task.objects.get(pk=task.pk).action == "accept"


def test_tolerant_acceptance_cannot_conclude_before_the_material_arrives(
        company, django_capture_on_commit_callbacks):
    agent = api(company)
    number = fill_and_submit(agent, FOOD, django_capture_on_commit_callbacks)
    scj = staff("SCJ")
    assert act(scj, number, "SCJ", "accept_tolerant", django_capture_on_commit_callbacks,
               missing=["食品安全管理制度目录"]).status_code == 200
    body = case_json(agent, number)
    assert body["status"] == "accepted" and body["deadline"] and body["pending"]["tolerant"] == ["食品安全管理制度目录"]
    acceptance = CaseDocument.objects.get(case__number=number, kind="acceptance")
    assert acceptance.values["items"] == ["食品安全管理制度目录"]
    assert act(scj, number, "SCJ", "approve", django_capture_on_commit_callbacks).status_code == 200  # 审查
    decide = scj.get("/api/v1/tasks").json()["results"][0]
    assert decide["stage"] == "决定" and "approve" not in decide["actions"]
    assert act(scj, number, "SCJ", "approve", django_capture_on_commit_callbacks).status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        supplied = agent.post(f"/api/v1/cases/{number}/supplement", {
            "食品安全管理制度目录": SimpleUploadedFile("m.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")},
            format="multipart")
    assert supplied.status_code == 200 and supplied.json()["pending"] == []
    assert "materials_received" in actions(case_json(agent, number))
    assert act(scj, number, "SCJ", "approve", django_capture_on_commit_callbacks).status_code == 200
    assert Case.objects.get(number=number).result == "approved"


def test_suspension_pauses_the_clock_and_extends_the_deadline(citizen, id_card, django_capture_on_commit_callbacks):
    client = api(citizen)
    number = _ready_item(client, django_capture_on_commit_callbacks)
    rsj = staff("RSJ")
    act(rsj, number, "RSJ", "accept", django_capture_on_commit_callbacks)
    deadline = Case.objects.get(number=number).deadline
    assert act(rsj, number, "RSJ", "suspend", django_capture_on_commit_callbacks, suspension_kind="expert_review",
               comment="需专家论证").status_code == 200
    body = case_json(client, number)
    assert body["status"] == "suspended" and body["suspension"] == {"kind": "expert_review", "reason": "需专家论证"}
    assert CaseDocument.objects.filter(case__number=number, kind="suspension").exists()
    assert InboxMessage.objects.filter(subject__startswith="办件进入特别程序").exists()
    # The expert review took a week: move its start back, then resume.
    instance = Instance.objects.get(subject_id=number)
    week_ago = timezone.now() - dt.timedelta(days=7)
    Instance.objects.filter(pk=instance.pk).update(suspended_since=week_ago)
    Suspension.objects.filter(instance=instance).update(started_at=week_ago)
    assert act(rsj, number, "RSJ", "resume", django_capture_on_commit_callbacks).status_code == 200
    paused = Suspension.objects.get(instance=instance).working_days
    case = Case.objects.get(number=number)
    assert paused >= 4 and case.deadline == add_working_days(deadline, paused) > deadline
    assert case.status == "accepted" and case.suspension_kind == ""
    assert CaseDocument.objects.filter(case=case, kind="resumption").exists()
    # E-supervision: overdue → yellow on the case.
    workflow.clocks_sweep(today=add_working_days(case.deadline, 1))
    assert case_json(client, number)["warning"] == "yellow"


def test_denial_gives_reasons_and_the_right_to_appeal(citizen, id_card, django_capture_on_commit_callbacks):
    client = api(citizen)
    number = _ready_item(client, django_capture_on_commit_callbacks)
    rsj = staff("RSJ")
    act(rsj, number, "RSJ", "accept", django_capture_on_commit_callbacks)
    assert act(rsj, number, "RSJ", "deny", django_capture_on_commit_callbacks,
               comment="申请期间无参保记录").status_code == 200
    body = case_json(client, number)
    assert (body["status"], body["result"]) == ("concluded", "denied")
    denial = next(d for d in body["documents"] if d["kind"] == "denial")
    document = CaseDocument.objects.get(pk=denial["id"])
    assert document.values["items"] == ["申请期间无参保记录"]
    assert "60日内依法申请行政复议" in document.values["notes"][0] and "6个月内" in document.values["notes"][0]
    response = client.get(denial["url"])
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get("/api/v1/cases?result=denied").json()["count"] == 1
    assert client.get("/api/v1/cases?result=approved").json()["count"] == 0
    assert client.get("/api/v1/cases?status=closed").status_code == 400


def test_case_page_offers_supplement_upload_and_delivery(citizen, id_card, django_capture_on_commit_callbacks):
    number = _ready_item(api(citizen), django_capture_on_commit_callbacks)
    act(staff("RSJ"), number, "RSJ", "request_supplement", django_capture_on_commit_callbacks, missing=["授权委托书"])
    page = Client()
    page.force_login(citizen)
    html = page.get(f"/cases/{number}/").content.decode()
    assert "需要您补正或补齐的材料" in html and 'name="授权委托书"' in html and "一次性告知书" in html
    response = page.post(f"/cases/{number}/delivery/", {"delivery": "post", "delivery_address": "杭州市文三路1号"})
    assert response.status_code == 302 and Case.objects.get(number=number).delivery == "post"
    assert Case.objects.get(number=number).delivery_address == "杭州市文三路1号"
    assert CITIZEN[0] in html
