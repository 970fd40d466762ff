"""The applicant's pages: start, joint form with sources and badges, uploads, submit, my cases."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases.models import Application, Case

from .conftest import ITEM, PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, citizen):
    client.force_login(citizen)
    return client


def test_pages_need_login(client, demo_catalog):
    for url in ("/cases/", f"/cases/apply/{ITEM}/", "/cases/apply/life-event/newborn_birth/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_start_page_and_unknown_codes(browser):
    response = browser.get("/cases/apply/life-event/newborn_birth/")
    assert response.status_code == 200
    assert "新生儿出生一件事" in response.content.decode()
    assert browser.get("/cases/apply/NO-SUCH-0001/").status_code == 404
    assert browser.get("/cases/apply/life-event/no_such/").status_code == 404


def test_apply_fill_upload_and_submit(browser, citizen, id_card):
    response = browser.post(f"/cases/apply/{ITEM}/")
    application = Application.objects.get(applicant=citizen)
    assert response.status_code == 302 and response["Location"] == f"/cases/applications/{application.pk}/"
    page = browser.get(response["Location"]).content.decode()
    assert "来自人口库" in page and "政府部门已持有，无需提交" in page
    assert 'id="f-applicant_name" class="form-control" value="张伟" readonly' in page
    assert 'name="applicant_name"' not in page  # verified values are never posted
    assert 'value="3301**********0356" readonly' in page and "330102198805120356" not in page
    assert 'for="f-apply_reason"' in page and 'name="apply_reason"' in page

    # Save a draft with an invalid phone: the page shows the message at the field.
    response = browser.post(response["Location"], {"action": "save", "apply_reason": "办理贷款", "phone": "123"})
    assert response.status_code == 400
    assert "请输入有效的11位手机号码。" in response.content.decode()
    response = browser.post(f"/cases/applications/{application.pk}/",
                            {"action": "save", "apply_reason": "办理贷款", "print_range": "近一年"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.values["apply_reason"] == "办理贷款"

    # An optional upload through the page.
    response = browser.post(f"/cases/applications/{application.pk}/materials/",
                            {"name": "授权委托书", "file": SimpleUploadedFile("委托书.pdf", PDF)})
    assert response.status_code == 302 and response["Location"].endswith("#materials")
    material = application.materials.get(name="授权委托书")
    assert material.status == "uploaded"
    download = browser.get(f"/cases/applications/{application.pk}/materials/{material.pk}/file")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    response = browser.post(f"/cases/applications/{application.pk}/",
                            {"action": "submit", "idempotency_key": "page-key-1"})
    case = Case.objects.get(application=application)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.number}/"
    # A double click posts the same key: the same case, nothing new.
    again = browser.post(f"/cases/applications/{application.pk}/", {"action": "submit", "idempotency_key": "page-key-1"})
    assert again.status_code == 302 and again["Location"] == f"/cases/{case.number}/"
    assert Case.objects.count() == 1
    # Without the same key it is refused, and the page says so.
    response = browser.post(f"/cases/applications/{application.pk}/", {"action": "submit"}, follow=True)
    assert "该申报已提交，不能重复提交。" in response.content.decode() and Case.objects.count() == 1

    page = browser.get(f"/cases/{case.number}/").content.decode()
    assert case.number in page and f"/cases/{case.number}/receipt.pdf" in page
    receipt = browser.get(f"/cases/{case.number}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert case.number in browser.get("/cases/").content.decode()


def test_submit_with_missing_fields_lists_them(browser, citizen):
    browser.post(f"/cases/apply/{ITEM}/")
    application = Application.objects.get(applicant=citizen)
    response = browser.post(f"/cases/applications/{application.pk}/", {"action": "submit", "idempotency_key": "k"})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("此项为必填项。") == 2 and "请上传“申请人居民身份证”。" in page
    assert not Case.objects.exists()


def test_someone_elses_pages_are_404(client, citizen, other_citizen, id_card):
    client.force_login(citizen)
    client.post(f"/cases/apply/{ITEM}/")
    application = Application.objects.get(applicant=citizen)
    client.force_login(other_citizen)
    assert client.get(f"/cases/applications/{application.pk}/").status_code == 404
    assert client.post(f"/cases/applications/{application.pk}/", {"action": "save"}).status_code == 404
    assert client.post(f"/cases/applications/{application.pk}/materials/", {"name": "授权委托书"}).status_code == 404
    material = application.materials.first()
    assert client.get(f"/cases/applications/{application.pk}/materials/{material.pk}/file").status_code == 404
    assert client.get("/cases/NO-SUCH-20260101-00001/").status_code == 404


def test_proxy_start_page_offers_principals(client, citizen, other_citizen, grant):
    client.force_login(citizen)
    page = client.get(f"/cases/apply/{ITEM}/").content.decode()
    assert f'value="{other_citizen.pk}"' in page and "代 李秀英 办理" in page
    response = client.post(f"/cases/apply/{ITEM}/", {"on_behalf_of": str(other_citizen.pk)})
    application = Application.objects.get(submitted_by=citizen)
    assert response.status_code == 302 and application.applicant == other_citizen
    page = client.get(f"/cases/applications/{application.pk}/").content.decode()
    assert "代办人" in page and "李秀英" in page and "张伟" in page
