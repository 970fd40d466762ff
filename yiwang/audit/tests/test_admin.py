import pytest
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import audit_anchor
from yiwang.audit.services import audit_record, audit_seal

from .conftest import triggers_disabled

pytestmark = pytest.mark.django_db
LIST = "/admin/audit/auditentry/"
VERIFY = LIST + "verify/"


def _login(client, user):
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def admin_client_2fa(client):
    _login(client, get_user_model().objects.create_superuser("audit-admin", password="x", kind="staff"))
    return client


@pytest.fixture
def entries():
    audit_record(action="case.viewed", target_type="case", target_id="CASE-1", department="D01")
    audit_record(action="case.viewed", target_type="case", target_id="CASE-2", department="D02")
    last = audit_record(action="user.login", target_id="u-7")
    audit_seal()
    last.refresh_from_db()
    return last


def test_list_filters_and_search(admin_client_2fa, entries):
    page = admin_client_2fa.get(LIST).content.decode()
    assert "CASE-1" in page and "u-7" in page and "校验哈希链" in page
    page = admin_client_2fa.get(LIST, {"action": "user.login"}).content.decode()
    assert "u-7" in page and "CASE-1" not in page
    page = admin_client_2fa.get(LIST, {"department": "D02"}).content.decode()
    assert "CASE-2" in page and "CASE-1" not in page
    page = admin_client_2fa.get(LIST, {"q": "CASE-1"}).content.decode()
    assert "CASE-1" in page and "CASE-2" not in page


def test_nobody_may_add_change_or_delete_entries(admin_client_2fa, entries):
    pk = entries.pk
    assert admin_client_2fa.get(LIST + "add/").status_code == 403
    detail = admin_client_2fa.get(f"{LIST}{pk}/change/")
    assert detail.status_code == 200 and entries.hash in detail.content.decode()
    assert admin_client_2fa.post(f"{LIST}{pk}/change/", {"action": "forged"}).status_code == 403
    assert admin_client_2fa.post(f"{LIST}{pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_client_2fa.post(LIST, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert AuditEntry.objects.count() == 3 and AuditEntry.objects.get(pk=pk).action == "user.login"
    assert response.status_code in (200, 302)


def test_verify_view_shows_ok_and_the_current_anchor(admin_client_2fa, entries):
    page = admin_client_2fa.get(VERIFY, {"verify": "1"}).content.decode()
    seq, digest = audit_anchor()
    assert "哈希链完整：共 3 条记录" in page and f"{seq}:{digest}" in page
    page = admin_client_2fa.get(VERIFY).content.decode()  # the form alone does not run the check
    assert "校验结果" not in page


def test_verify_view_names_the_broken_entry(admin_client_2fa, entries):
    with triggers_disabled():
        AuditEntry.objects.filter(seq=2).update(department="D09")
    page = admin_client_2fa.get(VERIFY, {"verify": "1"}).content.decode()
    assert "第 2 条记录" in page and "hash_mismatch" in page and "哈希链完整" not in page


def test_verify_view_with_anchor(admin_client_2fa, entries):
    seq, digest = audit_anchor()
    with triggers_disabled():
        AuditEntry.objects.filter(seq=3).delete()
    page = admin_client_2fa.get(VERIFY, {"anchor": f"{seq}:{digest}"}).content.decode()
    assert "tail_truncated" in page
    page = admin_client_2fa.get(VERIFY, {"anchor": "nonsense"}).content.decode()
    assert "锚点格式" in page and "校验结果" not in page


def test_staff_without_view_permission_is_refused(client, entries):
    _login(client, get_user_model().objects.create_user("clerk", password="x", kind="staff", is_staff=True))
    assert client.get(VERIFY, {"verify": "1"}).status_code == 403
    assert client.get(LIST).status_code == 403


def test_unsealed_entries_list_and_the_verify_view_counts_them(admin_client_2fa, entries):
    pending = audit_record(action="case.viewed", target_id="CASE-PENDING")  # not sealed yet
    page = admin_client_2fa.get(LIST).content.decode()
    assert "CASE-PENDING" in page and "CASE-1" in page
    assert admin_client_2fa.get(f"{LIST}{pending.pk}/change/").status_code == 200
    page = admin_client_2fa.get(VERIFY, {"verify": "1"}).content.decode()
    assert "哈希链完整：共 3 条记录" in page and "另有 1 条记录待封存" in page and "等待时间过长" not in page
