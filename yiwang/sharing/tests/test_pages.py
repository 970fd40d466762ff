"""The sharing pages: the catalogue (staff), requests with the data officers' review, and
谁查看了我的数据 for the logged-in person."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.identity.models import User
from yiwang.registry.selectors import id_number_index
from yiwang.sharing import services
from yiwang.sharing.constants import RequestStatus
from yiwang.sharing.models import SharingRequest

from .conftest import otp_login

pytestmark = pytest.mark.django_db


def make_request(user, **kw):
    return services.sharing_request_create(
        user=user, elements=["person.marital_status"], purpose="核验婚姻状况", legal_basis="依据",
        valid_until=timezone.localdate() + dt.timedelta(days=30), **kw)


def test_catalog_page_for_staff(client, make_staff):
    otp_login(client, make_staff("RSJ"))
    response = client.get(reverse("sharing:catalog"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "数据资源目录" in page and "person.marital_status" in page and "市民政局" in page
    assert "不予共享" in page and 'scope="col"' in page


def test_staff_pages_refuse_other_accounts(client, departments):
    assert client.get(reverse("sharing:catalog")).status_code == 302  # to the login page
    client.force_login(User.objects.create_user("cit", kind="citizen"))
    assert client.get(reverse("sharing:catalog")).status_code == 403
    assert client.get(reverse("sharing:requests")).status_code == 403


def test_requests_page_shows_forms_due_date_and_overdue_badge(client, make_staff, officers):
    late = make_request(make_staff("RSJ"))
    SharingRequest.objects.filter(pk=late.pk).update(due_at=timezone.localdate() - dt.timedelta(days=3))
    fresh = make_request(make_staff("RSJ"))
    otp_login(client, officers["MZJ"])
    page = client.get(reverse("sharing:requests")).content.decode()
    assert "待我审核（2）" in page
    assert reverse("sharing:request-approve", args=[late.pk]) in page
    assert reverse("sharing:request-refuse", args=[fresh.pk]) in page
    assert f'for="refuse-{late.pk}-reasons"' in page and f'id="refuse-{late.pk}-reasons"' in page
    assert fresh.due_at.isoformat() in page
    assert page.count("已逾期") == 1


def test_requester_page_has_no_decision_forms(client, make_staff, officers):
    rsj = make_staff("RSJ")
    request = make_request(rsj)
    otp_login(client, rsj)
    page = client.get(reverse("sharing:requests")).content.decode()
    assert "待我审核" not in page
    assert reverse("sharing:request-approve", args=[request.pk]) not in page
    assert reverse("sharing:request-withdraw", args=[request.pk]) in page


def test_approve_and_refuse_through_the_page(client, make_staff, officers):
    rsj = make_staff("RSJ")
    first, second = make_request(rsj), make_request(rsj)
    otp_login(client, officers["MZJ"])
    assert client.post(reverse("sharing:request-approve", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.status == RequestStatus.APPROVED

    response = client.post(reverse("sharing:request-refuse", args=[second.pk]), {"reasons": ""}, follow=True)
    assert "拒绝共享须说明理由" in response.content.decode()
    second.refresh_from_db()
    assert second.status == RequestStatus.PENDING
    client.post(reverse("sharing:request-refuse", args=[second.pk]), {"reasons": "超出职责"})
    second.refresh_from_db()
    assert (second.status, second.reasons) == (RequestStatus.REFUSED, "超出职责")

    again = client.post(reverse("sharing:request-approve", args=[first.pk]), follow=True)
    assert "不能重复审核" in again.content.decode()


def test_deciding_someone_elses_request_is_404(client, make_staff, officers):
    request = make_request(make_staff("RSJ"))
    otp_login(client, officers["GAJ"])
    assert client.post(reverse("sharing:request-approve", args=[request.pk])).status_code == 404
    client.logout()
    otp_login(client, make_staff("RSJ"))
    assert client.post(reverse("sharing:request-approve", args=[request.pk])).status_code == 404
    assert client.get(reverse("sharing:request-approve", args=[request.pk])).status_code == 405
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING


def test_create_request_page(client, make_staff):
    otp_login(client, make_staff("RSJ"))
    url = reverse("sharing:request-create")
    page = client.get(url).content.decode()
    assert "person.spouse" in page and "person.phone" not in page and "person.name" not in page
    bad = client.post(url, {"elements": ["person.marital_status", "person.address"], "purpose": "p",
                            "legal_basis": "b", "valid_until": (timezone.localdate() + dt.timedelta(days=9)).isoformat()})
    assert bad.status_code == 200 and "同一来源部门" in bad.content.decode()
    good = client.post(url, {"elements": ["person.marital_status", "person.spouse"], "purpose": "p", "legal_basis": "b",
                             "valid_until": (timezone.localdate() + dt.timedelta(days=9)).isoformat()})
    assert good.status_code == 302
    assert SharingRequest.objects.get().source_department.code == "MZJ"


def test_my_data_access_page(client, family, make_staff):
    husband = family["husband"]
    me = User.objects.create_user("zw", kind="citizen", id_number=husband.id_number,
                                  id_number_hash=id_number_index(husband.id_number))
    gaj = make_staff("GAJ", name="赵警官")
    for n in range(22):
        services.person_data_read(requester=gaj, id_number=husband.id_number, elements=["person.address"],
                                  purpose=f"户籍核查{n:02d}", case_number=f"GAJ-{n:02d}")
    services.person_data_read(requester=gaj, id_number=family["wife"].id_number, elements=["person.name"],
                              purpose="他人记录")
    client.force_login(me)
    url = reverse("sharing:my-data-access")
    page = client.get(url).content.decode()
    assert "谁查看了我的数据" in page and "共 22 条记录" in page
    assert "户籍核查21" in page and "户籍核查01" not in page  # newest first, 20 a page
    assert "市公安局" in page and "户籍地址" in page and "赵*" in page and "赵警官" not in page
    assert "他人记录" not in page and husband.id_number not in page
    assert 'data-label="查阅部门"' in page and 'rel="next"' in page
    second = client.get(url, {"page": 2}).content.decode()
    assert "户籍核查01" in second and "户籍核查00" in second and "户籍核查21" not in second
    assert client.get(url, {"page": "x"}).status_code == 200


def test_my_data_access_needs_login(client):
    assert client.get(reverse("sharing:my-data-access")).status_code == 302
