"""The admin: read-only licences and keys, private keys never shown, suspend/revoke via services."""

import pytest
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.audit.models import AuditEntry
from yiwang.licenses.constants import LicenseStatus

from .conftest import CITIZEN_ID


@pytest.fixture
def admin_client(client, demo_catalog):
    user = get_user_model().objects.create_superuser("lic-admin", password="x", kind="staff")
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_licence_pages_mask_holder_and_fields(admin_client, id_card):
    assert id_card.identifier in admin_client.get("/admin/licenses/license/").content.decode()
    page = admin_client.get(f"/admin/licenses/license/{id_card.pk}/change/").content.decode()
    assert "3301**********0356" in page and CITIZEN_ID not in page
    assert admin_client.get("/admin/licenses/license/add/").status_code == 403


def test_signing_key_page_never_shows_private_key(admin_client, id_card):
    key = id_card.signing_key
    page = admin_client.get(f"/admin/licenses/signingkey/{key.pk}/change/").content.decode()
    assert key.key_id in page and key.public_key in page
    assert key.private_key_encrypted not in page and "private" not in page.lower()


@pytest.mark.parametrize("action, status", [("suspend", LicenseStatus.SUSPENDED), ("revoke", LicenseStatus.REVOKED)])
def test_admin_actions_use_the_services(admin_client, id_card, action, status):
    response = admin_client.post("/admin/licenses/license/", {"action": action, "_selected_action": [id_card.pk]})
    assert response.status_code == 302
    id_card.refresh_from_db()
    assert id_card.status == status
    assert AuditEntry.objects.filter(action=f"license.{status.value}").exists()


def test_admin_action_reports_illegal_transition(admin_client, id_card):
    admin_client.post("/admin/licenses/license/", {"action": "revoke", "_selected_action": [id_card.pk]})
    response = admin_client.post("/admin/licenses/license/", {"action": "suspend", "_selected_action": [id_card.pk]},
                                 follow=True)
    assert "不能变更为" in response.content.decode()
    id_card.refresh_from_db()
    assert id_card.status == LicenseStatus.REVOKED
