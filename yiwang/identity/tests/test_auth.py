"""API tokens (expiry, revocation), lockout and throttling, argon2, and mandatory staff TOTP."""

import datetime as dt

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from yiwang.identity.constants import AccountKind
from yiwang.identity.models import User
from yiwang.identity.testing import current_code, login_verified

from .conftest import PASSWORD

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def citizen(db):
    return User.objects.create_user(username="lisi", password=PASSWORD, kind=AccountKind.CITIZEN, display_name="李四")


@pytest.fixture
def staff(demo_catalog):
    from yiwang.catalog.models import Department

    return User.objects.create_user(username="staff-x", password=PASSWORD, kind=AccountKind.STAFF,
                                    department=Department.objects.get(code="GAJ"))


def _token(client, **data):
    return client.post(TOKEN, data, content_type="application/json")


def test_token_is_issued_used_and_revoked(client, citizen):
    response = _token(client, username="lisi", password=PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timezone.now() < expires <= timezone.now() + dt.timedelta(hours=12, minutes=1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}
    me = client.get("/api/v1/me", **auth)
    assert me.status_code == 200 and me.json()["username"] == "lisi"
    # Tokens are stored hashed, never in clear.
    assert not AuthToken.objects.filter(digest=body["token"]).exists()
    assert client.delete(TOKEN, **auth).status_code == 204
    assert client.get("/api/v1/me", **auth).status_code == 401


def test_expired_and_forged_tokens_are_refused(client, citizen):
    token = _token(client, username="lisi", password=PASSWORD).json()["token"]
    AuthToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer " + "a" * 64).status_code == 401
    assert client.get("/api/v1/me").status_code in (401, 403)


def test_wrong_password_is_401_and_repeated_failures_lock_out(client, citizen, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _token(client, username="lisi", password="wrong")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "authentication_failed"
    locked = _token(client, username="lisi", password="wrong")
    assert locked.status_code == 429
    # Locked out even with the right password now.
    assert _token(client, username="lisi", password=PASSWORD).status_code == 429


def test_token_requests_are_throttled_per_client(client, citizen, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "auth": "3/min"}}
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        codes = [_token(client, username=f"nobody{i}", password="x").status_code for i in range(4)]
    finally:
        from rest_framework.settings import api_settings

        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [401, 401, 401, 429]


def test_malformed_token_request_is_a_field_error(client):
    response = client.post(TOKEN, {"username": "x"}, content_type="application/json")
    assert response.status_code == 400 and "password" in response.json()["error"]["fields"]


def test_passwords_are_hashed_with_argon2_outside_tests(settings):
    from yiwang.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    encoded = make_password("correct horse")
    assert identify_hasher(encoded).algorithm == "argon2" and encoded.startswith("argon2$argon2id$")


def test_staff_token_needs_the_totp_code(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    missing = _token(client, username="staff-x", password=PASSWORD)
    assert missing.status_code == 401 and "otp" in missing.json()["error"]["fields"]
    ok = _token(client, username="staff-x", password=PASSWORD, otp=current_code(device))
    assert ok.status_code == 200
    wrong = str((int(current_code(device)) + 1) % 1_000_000).zfill(6)
    assert _token(client, username="staff-x", password=PASSWORD, otp=wrong).status_code == 401


def test_staff_pages_and_session_api_need_the_second_factor(client, staff):
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("identity:two_factor"))
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    # Enrolment: the page shows a QR code; the first valid code confirms the device and verifies.
    page = client.get(reverse("identity:two_factor"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed
    wrong = client.post(reverse("identity:two_factor"), {"token": "12345x"})
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.content.decode()
    done = client.post(reverse("identity:two_factor"), {"token": current_code(device), "next": "/api/v1/me"})
    assert done.status_code == 302 and done["Location"] == "/api/v1/me"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/api/v1/me").status_code == 200


def test_repeated_wrong_codes_end_the_session(client, staff):
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff)
    for _ in range(4):
        assert client.post(reverse("identity:two_factor"), {"token": "000001"}).status_code == 200
    last = client.post(reverse("identity:two_factor"), {"token": "000001"})
    assert last.status_code == 302 and last["Location"] == reverse("identity:login")
    assert client.get("/api/v1/me").status_code in (401, 403)


def test_citizens_are_not_asked_for_a_second_factor(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("identity:account")).status_code == 200


def test_verified_staff_reach_the_admin(client, staff):
    staff.is_staff = True
    staff.save()
    login_verified(client, staff)
    assert client.get("/admin/").status_code == 200


def test_page_login_locks_out_after_repeated_failures(client, citizen, settings):
    url = reverse("identity:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "lisi", "password": "wrong"})
    response = client.post(url, {"username": "lisi", "password": PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
