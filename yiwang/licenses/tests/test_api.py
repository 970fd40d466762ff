"""The licences API: public verification, the holder's licences and uses, issuer transitions."""

import pytest
from rest_framework.test import APIClient

from yiwang.identity.models import EntityMembership
from yiwang.licenses import services
from yiwang.licenses.api import serializers as s
from yiwang.licenses.constants import LicenseStatus
from yiwang.registry.demo import DEMO_COMPANY

from .conftest import CITIZEN_ID, OTHER_ID, make_user

VERIFY = "/api/v1/licenses/verify"
MINE = "/api/v1/me/licenses"


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]
    if field:
        assert field in body["error"]["fields"]


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def use(license, user):
    return services.license_use(license=license, used_by=user, item_code="X1", item_name="开办餐饮店",
                                case_number="CASE-1")


# --- verify (public) -------------------------------------------------------------------------------

def test_verify_without_login(client, id_card):
    response = client.get(VERIFY, {"token": services.license_token(id_card)})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(s.VerifyResultSerializer().fields)
    assert body["valid"] is True and body["reason"] is None
    lic = body["license"]
    assert set(lic) == set(s.PublicLicenseSerializer().fields)
    assert lic["identifier"] == id_card.identifier and lic["status"] == "valid"
    assert lic["type"] == {"code": "resident_id_card", "name": "居民身份证"}
    assert lic["issuer"]["name"] == "市公安局" and lic["valid_until"] == "2036-07-01"
    assert lic["holder"]["name"] == "张*" and lic["holder"]["code"] == "3301**********0356"
    assert CITIZEN_ID not in response.content.decode()


def test_verify_missing_or_blank_token_is_400(client):
    assert_error(client.get(VERIFY), 400, "invalid", "token")
    assert_error(client.get(VERIFY, {"token": "  "}), 400, "invalid", "token")
    assert_error(client.get(VERIFY, {"token": "A" * 1001}), 400, "invalid", "token")


def test_verify_malformed_and_forged_give_no_licence(client, id_card):
    body = client.get(VERIFY, {"token": "not-a-token"}).json()
    assert body == {"valid": False, "reason": "malformed", "reason_label": body["reason_label"], "license": None}
    token = services.license_token(id_card)
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BA")
    body = client.get(VERIFY, {"token": forged}).json()
    assert body["valid"] is False and body["reason"] == "bad_signature" and body["license"] is None


def test_verify_revoked_shows_status(client, id_card, gaj_staff):
    token = services.license_token(id_card)
    services.license_revoke(license=id_card, actor=gaj_staff)
    body = client.get(VERIFY, {"token": token}).json()
    assert body["valid"] is False and body["reason"] == "revoked" and body["reason_label"]
    assert body["license"]["status"] == "revoked"


def test_verify_business_licence_shows_company(client, business_license):
    body = client.get(VERIFY, {"token": services.license_token(business_license)}).json()
    assert body["valid"] and body["license"]["holder"] == {
        "name": DEMO_COMPANY["name"], "code": DEMO_COMPANY["uscc"], "code_type": "001"}


# --- the holder's licences -------------------------------------------------------------------------

def test_my_licences_lists_only_own(id_card, other_id_card, citizen):
    response = api_as(citizen).get(MINE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) == set(s.OwnLicenseSerializer().fields)
    assert row["identifier"] == id_card.identifier and row["number"] == id_card.number
    assert row["type"] == {"code": "resident_id_card", "name": "居民身份证"}
    assert row["issuer"] == {"code": "GAJ", "name": "市公安局"} and row["status"] == "valid"
    assert row["fields"]["姓名"] == "张伟" and row["fields"]["公民身份号码"] == "3301**********0356"
    assert list(row["fields"]) == ["姓名", "性别", "住址", "公民身份号码"]  # the type's order
    assert services.license_verify_token(row["token"]).license == id_card
    text = response.content.decode()
    assert CITIZEN_ID not in text and OTHER_ID not in text


def test_my_licences_requires_login(client, id_card):
    assert client.get(MINE).status_code in (401, 403)


def test_enterprise_account_sees_company_licence(business_license, id_card):
    agent = make_user("agent-t", kind="enterprise")
    EntityMembership.objects.create(user=agent, entity_uscc=DEMO_COMPANY["uscc"], entity_name=DEMO_COMPANY["name"],
                                    role="agent")
    rows = api_as(agent).get(MINE).json()["results"]
    assert [r["identifier"] for r in rows] == [business_license.identifier]


def test_my_licence_uses(id_card, other_id_card, citizen, other_citizen):
    use(id_card, citizen)
    response = api_as(citizen).get(f"{MINE}/{id_card.identifier}/uses")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert set(row) == set(s.LicenseUseSerializer().fields)
    assert row["case_number"] == "CASE-1" and row["item_name"] == "开办餐饮店" and row["used_by"] == "张伟"
    assert "开办餐饮店" in row["stamp_text"]
    # someone else's licence, or one that does not exist: 404
    assert_error(api_as(citizen).get(f"{MINE}/{other_id_card.identifier}/uses"), 404, "not_found")
    assert_error(api_as(other_citizen).get(f"{MINE}/{id_card.identifier}/uses"), 404, "not_found")
    assert_error(api_as(citizen).get(f"{MINE}/1.2.3/uses"), 404, "not_found")


# --- issuer transitions ----------------------------------------------------------------------------

def test_issuer_staff_suspend_then_conflict(id_card, gaj_staff):
    url = f"/api/v1/licenses/{id_card.identifier}/suspend"
    response = api_as(gaj_staff).post(url, {"reason": "涉案"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    assert_error(api_as(gaj_staff).post(url, {}, format="json"), 409, "conflict")
    response = api_as(gaj_staff).post(f"/api/v1/licenses/{id_card.identifier}/revoke", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert_error(api_as(gaj_staff).post(f"/api/v1/licenses/{id_card.identifier}/cancel", {}, format="json"),
                 409, "conflict")


@pytest.mark.parametrize("who", ["scj_staff", "citizen"])
def test_others_cannot_change_status(request, id_card, who):
    user = request.getfixturevalue(who)
    assert_error(api_as(user).post(f"/api/v1/licenses/{id_card.identifier}/revoke", {}, format="json"),
                 404, "not_found")
    id_card.refresh_from_db()
    assert id_card.status == LicenseStatus.VALID


def test_transition_of_unknown_licence_is_404(gaj_staff, demo_catalog):
    assert_error(api_as(gaj_staff).post("/api/v1/licenses/nope/revoke", {}, format="json"), 404, "not_found")


def test_schema_lists_licence_endpoints(client, demo_catalog):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/licenses/verify" in text and "/api/v1/me/licenses" in text
