"""The comprehensive window: only window clerks; finding the citizen by ID number or licence QR (with
the read in their access log); the registration hint; starting, submitting and accepting a case at
the window; a 即办件 concluded on the spot; the citizen following the same case online; who gets 404."""

import datetime as dt
import re

import pytest
from django.core import signing

from yiwang.audit.models import AuditEntry
from yiwang.cases.constants import Channel
from yiwang.cases.models import Application, Case
from yiwang.cases.tests.conftest import CITIZEN, DEMO_ADDRESS, OTHER, PDF, api, make_person
from yiwang.catalog.models import LicenseType
from yiwang.core.ids import make_id_number
from yiwang.identity.constants import StaffRole
from yiwang.licenses.documents import verify_url
from yiwang.licenses.models import License
from yiwang.licenses.services import license_issue, license_revoke, license_token
from yiwang.registry.demo import DEMO_COMPANY
from yiwang.sharing.constants import AccessChannel
from yiwang.sharing.models import DataAccessRecord
from yiwang.workflow.models import Task

from .conftest import COMMITTED, IMMEDIATE, client_for, staff

pytestmark = pytest.mark.django_db

WINDOW = "/hall/window/"
PERSON_URL = re.compile(r"^/hall/window/person/([^/]+)/$")


def find(client, **body):
    return client.post(WINDOW, {"method": "id_number", **body})


def person_page(client, id_number):
    response = find(client, id_number=id_number)
    assert response.status_code == 302, response.content.decode()[:500]
    assert PERSON_URL.match(response["Location"]), response["Location"]
    return response["Location"]


def start_at_window(client, id_number, **body) -> Application:
    url = person_page(client, id_number)
    response = client.post(url + "start/", body)
    assert response.status_code == 302
    application = Application.objects.order_by("-id").first()
    assert response["Location"] == f"/cases/applications/{application.pk}/"
    return application


def fill_and_submit(client, application) -> Case:
    """The clerk fills what no registry holds, uploads what is missing and submits on the joint form page."""
    url = f"/cases/applications/{application.pk}/"
    data = {f["key"]: (f.get("options") or ["测试内容"])[0] for f in application.form
            if not f["readonly"] and f["required"] and not application.values.get(f["key"])}
    for material in application.materials.filter(required=True, status="missing"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        response = client.post(url + "materials/", {"name": material.name, "file": SimpleUploadedFile(
            "doc.pdf", PDF, content_type="application/pdf")})
        assert response.status_code == 302
    response = client.post(url, {**data, "action": "submit", "idempotency_key": "window-1",
                                 "result_delivery": "online"})
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(application=application)
    assert response["Location"] == f"/hall/window/cases/{case.number}/"
    return case


# --- who may use the window -----------------------------------------------------------------------------

def test_window_is_for_window_clerks_only(client, clerk, citizen):
    assert client.get(WINDOW).status_code == 302  # anonymous: to the login page
    handler = staff("gaj-handler", "GAJ", [StaffRole.HANDLER])
    token = signing.dumps({"c": handler.pk, "n": "x"}, salt="yiwang.hall.person")
    for user in (citizen, handler):
        other = client_for(user)
        assert other.get(WINDOW).status_code == 403
        assert find(other, id_number=CITIZEN[3]).status_code == 403
        assert other.get(f"/hall/window/person/{token}/").status_code == 403
        assert other.post(f"/hall/window/person/{token}/start/", {"item": IMMEDIATE}).status_code == 403
        assert other.get("/hall/window/cases/GAJ-GG-0011-20260101-00001/").status_code == 403
    response = client_for(clerk).get(WINDOW)
    assert response.status_code == 200
    assert "综合窗口" in response.content.decode()
    assert not DataAccessRecord.objects.exists()


# --- finding the citizen --------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    ("", "请输入公民身份号码"),
    ("3301021990", "应为18位"),
    (CITIZEN[3][:17] + ("0" if CITIZEN[3][17] != "0" else "1"), "校验位错误"),
])
def test_a_malformed_id_number_is_a_field_error(clerk, citizen, value, message):
    response = find(client_for(clerk), id_number=value)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'id="id_number-errors"' in html and 'aria-invalid="true"' in html
    assert not DataAccessRecord.objects.exists()


def test_found_by_id_number_the_read_is_in_the_citizens_access_log(clerk, citizen):
    client = client_for(clerk)
    url = person_page(client, CITIZEN[3].lower())  # a lowercase x or not, normalised
    assert CITIZEN[3] not in url and CITIZEN[3][:6] not in url  # the number is not in the URL
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "张*" in html and "3301" in html and CITIZEN[3] not in html and CITIZEN[0] not in html
    assert "已注册" in html and 'id="register-hint"' not in html
    record = DataAccessRecord.objects.get(subject_hash=citizen.id_number_hash)
    assert record.channel == AccessChannel.STAFF_LOOKUP and record.department == "SPJ"
    assert record.purpose == "综合窗口受理" and record.reader_id == clerk.pk
    assert set(record.elements) == {"person.name", "person.sex", "person.birth_date", "person.id_number"}
    # The citizen sees who read their data.
    from yiwang.sharing.selectors import access_records_for_user

    assert list(access_records_for_user(citizen)) == [record]
    assert AuditEntry.objects.filter(action="hall.person_view", actor=clerk).exists()


def test_an_unknown_person_is_not_found_without_telling_more(clerk, citizen):
    client = client_for(clerk)
    unknown = make_id_number("330102", dt.date(1990, 5, 17), 123, "F")
    response = client.get(person_page(client, unknown))
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有找到与该号码对应的在册人员" in html
    assert 'action="/hall/window/"' in html  # the clerk can search again from here
    assert "账号" not in html.split('id="not-found"')[1].split("</div>")[0]
    assert not DataAccessRecord.objects.exists()
    assert AuditEntry.objects.filter(action="hall.person_not_found", actor=clerk).exists()


def test_the_person_link_is_bound_to_the_clerk_and_expires(clerk, other_clerk, citizen, settings):
    url = person_page(client_for(clerk), CITIZEN[3])
    response = client_for(other_clerk).get(url)
    assert response.status_code == 302 and response["Location"] == WINDOW
    settings.HALL_PERSON_TOKEN_MAX_AGE = -1
    assert client_for(clerk).get(url).status_code == 302
    assert not DataAccessRecord.objects.exists()


def test_found_by_a_licence_qr(clerk, citizen, id_card):
    client = client_for(clerk)
    for scanned in (license_token(id_card), "https://portal.example" + verify_url(license_token(id_card))):
        response = client.post(WINDOW, {"method": "license", "license_token": scanned})
        assert response.status_code == 302 and PERSON_URL.match(response["Location"])
        assert "张*" in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="hall.license_scan", actor=clerk).count() == 2


def test_a_tampered_or_invalid_licence_does_not_identify_anyone(clerk, citizen, id_card):
    client = client_for(clerk)
    token = license_token(id_card)
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for value, message in ((tampered, "电子证照核验未通过"), ("", "请扫描或粘贴"), ("not a token", "格式错误")):
        response = client.post(WINDOW, {"method": "license", "license_token": value})
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html and 'id="license_token-errors"' in html
    license_revoke(license=id_card, actor=staff("issuer", id_card.issuer.code), reason="测试")
    response = client.post(WINDOW, {"method": "license", "license_token": token})
    assert response.status_code == 400 and "证照已撤销" in response.content.decode()
    assert not DataAccessRecord.objects.exists()


def test_a_licence_of_a_legal_person_does_not_identify_a_citizen(clerk, citizen):
    license = license_issue(license_type=LicenseType.objects.get(code="business_license"),
                            holder_code=DEMO_COMPANY["uscc"], holder_name=DEMO_COMPANY["name"], fields={},
                            valid_from=dt.date(2021, 4, 8), valid_until=None)
    response = client_for(clerk).post(WINDOW, {"method": "license", "license_token": license_token(license)})
    assert response.status_code == 400
    assert "持证主体不是自然人" in response.content.decode()


def test_a_person_without_an_account_gets_the_registration_hint(clerk, demo_catalog, data_catalog):
    make_person(OTHER, marital_status="widowed")  # in the registry, never registered
    client = client_for(clerk)
    url = person_page(client, OTHER[3])
    html = client.get(url).content.decode()
    assert 'id="register-hint"' in html and 'href="/accounts/register/"' in html and "未注册" in html
    assert "start/" not in html  # nothing to start without an account
    response = client.post(url + "start/", {"item": IMMEDIATE}, follow=True)
    assert "还没有实名账号" in response.content.decode()
    assert not Application.objects.exists()


def test_the_person_page_searches_items_without_reading_the_person_again(clerk, citizen):
    client = client_for(clerk)
    url = person_page(client, CITIZEN[3])
    assert client.get(url).status_code == 200
    html = client.get(url + "?q=户籍证明").content.decode()
    assert IMMEDIATE in html and 'name="item"' in html and 'name="life_event"' in html
    assert "张*" in html
    assert DataAccessRecord.objects.count() == 1  # one find, one read
    client.get(person_page(client, CITIZEN[3]))  # a new search for the person reads again
    assert DataAccessRecord.objects.count() == 2


# --- starting, submitting, accepting --------------------------------------------------------------------

def test_the_clerk_starts_and_submits_and_accepts_at_the_window(clerk, citizen, id_card):
    client = client_for(clerk)
    application = start_at_window(client, CITIZEN[3], item=COMMITTED)
    assert (application.applicant, application.submitted_by, application.channel) == (citizen, clerk, Channel.WINDOW)
    assert application.values["applicant_name"] == CITIZEN[0]  # prefilled like online
    assert application.materials.get(name="申请人居民身份证").status == "held_by_government"
    prefill = DataAccessRecord.objects.get(channel=AccessChannel.PREFILL)
    assert prefill.subject_hash == citizen.id_number_hash and "综合窗口受理" in prefill.purpose
    assert "clerk" in prefill.purpose  # names the clerk (display name "SPJ clerk")
    page = client.get(f"/cases/applications/{application.pk}/")
    assert page.status_code == 200 and "综合窗口受理人员" in page.content.decode()
    assert 'href="/hall/window/"' in page.content.decode()

    case = fill_and_submit(client, application)
    assert case.channel == Channel.WINDOW and case.applicant == citizen and case.submitted_by == clerk
    task = Task.objects.get(instance__subject_id=case.number, state="open")
    assert task.department == "SPJ" and task.assignee == clerk and task.stage.name == "受理"
    # The draft is no longer the clerk's to open; the window case page is.
    assert client.get(f"/cases/applications/{application.pk}/").status_code == 404
    html = client.get(f"/hall/window/cases/{case.number}/").content.decode()
    assert f'name="task" value="{task.pk}"' in html and 'value="accept"' in html
    assert case.number in client.get(WINDOW).content.decode()

    response = client.post(f"/hall/window/cases/{case.number}/", {"task": task.pk, "action": "accept"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "accepted" and case.deadline is not None
    nxt = Task.objects.get(instance__subject_id=case.number, state="open")
    assert nxt.department == "GAJ" and nxt.assignee is None  # the deciding department does the rest
    # A second click on the same task changes nothing.
    response = client.post(f"/hall/window/cases/{case.number}/", {"task": task.pk, "action": "accept"}, follow=True)
    assert "该任务已办理或已取消" in response.content.decode()
    assert Task.objects.filter(instance__subject_id=case.number).count() == 2


def test_the_clerk_can_ask_for_a_supplement_at_the_window(clerk, citizen, id_card):
    client = client_for(clerk)
    case = fill_and_submit(client, start_at_window(client, CITIZEN[3], item=COMMITTED))
    task = Task.objects.get(instance__subject_id=case.number, state="open")
    client.post(f"/hall/window/cases/{case.number}/", {"task": task.pk, "action": "request_supplement",
                                                        "missing": "户口簿首页\n现住址证明"})
    case.refresh_from_db()
    assert case.status == "supplement_requested"
    body = api(citizen).get(f"/api/v1/cases/{case.number}").json()
    assert body["pending"]["supplement"] == ["户口簿首页", "现住址证明"]


def test_an_immediate_item_concludes_at_the_window(clerk, citizen, id_card):
    client = client_for(clerk)
    case = fill_and_submit(client, start_at_window(client, CITIZEN[3], item=IMMEDIATE))
    assert case.item_version.case_kind.label == "即办件"
    html = client.get(f"/hall/window/cases/{case.number}/").content.decode()
    assert "受理并当场办结" in html
    response = client.post(f"/hall/window/cases/{case.number}/", {"conclude": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.result) == ("concluded", "approved")
    tasks = Task.objects.filter(instance__subject_id=case.number)
    assert tasks.count() == 3 and all(t.state == "completed" and t.completed_by == clerk for t in tasks)
    issued = License.objects.get(license_type__code="household_certificate", holder_hash=citizen.id_number_hash)
    assert case.outputs.filter(license=issued).exists()
    assert issued.issuer.code == "GAJ"  # in the deciding department's name, not the window's
    # Printed at the window for the citizen: the receipt and the notices.
    receipt = client.get(f"/hall/window/cases/{case.number}/receipt.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    notice = case.documents.get(kind="acceptance")
    assert client.get(f"/hall/window/cases/{case.number}/documents/{notice.pk}.pdf").status_code == 200
    assert AuditEntry.objects.filter(action="hall.document_print", actor=clerk).count() == 2


def test_a_committed_item_cannot_be_concluded_on_the_spot(clerk, citizen, id_card):
    client = client_for(clerk)
    case = fill_and_submit(client, start_at_window(client, CITIZEN[3], item=COMMITTED))
    response = client.post(f"/hall/window/cases/{case.number}/", {"conclude": "1"}, follow=True)
    assert "不是即办件" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "submitted"


def test_the_citizen_sees_the_window_case_and_its_timeline_online(clerk, citizen, id_card):
    client = client_for(clerk)
    case = fill_and_submit(client, start_at_window(client, CITIZEN[3], item=COMMITTED))
    task = Task.objects.get(instance__subject_id=case.number, state="open")
    client.post(f"/hall/window/cases/{case.number}/", {"task": task.pk, "action": "accept"})
    response = api(citizen).get(f"/api/v1/cases/{case.number}")
    assert response.status_code == 200
    body = response.json()
    assert body["channel"] == "window" and body["status"] == "accepted"
    assert body["applicant"]["id"] == citizen.pk and body["submitted_by"]["id"] == clerk.pk
    actions = [row["action"] for row in body["timeline"]]
    assert actions[0] == "submitted" and "accepted" in actions
    assert body["timeline"][0]["action_label"] == "综合窗口提交申请"
    accepted = next(row for row in body["timeline"] if row["action"] == "accepted")
    assert "于综合窗口受理" in accepted["comment"] and accepted["department"] == "SPJ"
    assert case.number in [c["number"] for c in api(citizen).get("/api/v1/cases").json()["results"]]
    assert client_for(citizen).get(f"/cases/{case.number}/").status_code == 200
    # The case is the citizen's: the clerk is not a party online, and not in their own lists.
    assert api(clerk).get(f"/api/v1/cases/{case.number}").status_code == 404
    assert api(clerk).get("/api/v1/cases").json()["count"] == 0


def test_a_window_draft_is_only_the_applicants_and_its_clerks(clerk, other_clerk, citizen, other_citizen):
    application = start_at_window(client_for(clerk), CITIZEN[3], item=COMMITTED)
    url = f"/cases/applications/{application.pk}/"
    for user in (other_citizen, other_clerk):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).post(url, {"residence_address": DEMO_ADDRESS}).status_code == 404
        assert api(user).patch(f"/api/v1/applications/{application.pk}", {"data": {"apply_reason": "x"}},
                               format="json").status_code == 404
    assert client_for(citizen).get(url).status_code == 200  # the applicant may finish it online
    assert client_for(clerk).get(url).status_code == 200
    # Another clerk's window case page is not theirs either.
    case = fill_and_submit(client_for(clerk), application)
    assert client_for(other_clerk).get(f"/hall/window/cases/{case.number}/").status_code == 404
    assert client_for(other_clerk).get(f"/hall/window/cases/{case.number}/receipt.pdf").status_code == 404
