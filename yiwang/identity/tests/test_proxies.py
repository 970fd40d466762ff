"""代办: a person authorises another for some items or all, until a date; both are named."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.identity import selectors, services
from yiwang.identity.models import ProxyAuthorisation

from .conftest import PASSWORD


@pytest.fixture
def people(make_person, demo_catalog):
    elder = make_person(name="周桂兰", birth=dt.date(1946, 7, 1), phone="13911110001")
    son = make_person(name="吴刚", sex="M", birth=dt.date(1972, 2, 2), phone="13911110002")
    other = make_person(name="郑爽", birth=dt.date(1990, 2, 2), phone="13911110003")
    users = [services.citizen_register(name=p.name, id_number=p.id_number, phone=f"1391111000{i}", password=PASSWORD)
             for i, p in enumerate([elder, son, other], start=1)]
    return dict(zip(["elder", "son", "other"], users, strict=True))


def _grant(principal, proxy, **kw):
    kw.setdefault("relation", "family")
    kw.setdefault("valid_until", timezone.localdate() + dt.timedelta(days=30))
    return services.proxy_grant(principal=principal, proxy_id_number=proxy.id_number, **kw)


def test_a_proxy_acts_for_the_principal_within_items_and_dates(people):
    elder, son = people["elder"], people["son"]
    grant = _grant(elder, son, item_codes=["GAJ-QR-0001"])
    assert selectors.acting_subject_hashes(son, on_behalf_of=elder.pk, item_code="GAJ-QR-0001") == {elder.id_number_hash}
    assert selectors.acting_subject_hashes(son, on_behalf_of=elder.pk, item_code="SCJ-XK-0001") == set()
    assert selectors.acting_subject_hashes(people["other"], on_behalf_of=elder.pk) == set()
    ProxyAuthorisation.objects.filter(pk=grant.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert selectors.acting_subject_hashes(son, on_behalf_of=elder.pk, item_code="GAJ-QR-0001") == set()
    entry = AuditEntry.objects.get(action="proxy.granted")
    assert entry.on_behalf_of == elder.username and entry.data["proxy"] == son.username


@pytest.mark.parametrize(("change", "field"), [
    ({"proxy": "self"}, "proxy_id_number"),
    ({"valid_until": dt.date(2000, 1, 1)}, "valid_until"),
    ({"valid_until": dt.date(2099, 1, 1)}, "valid_until"),
    ({"item_codes": ["NO-SUCH-ITEM"]}, "item_codes"),
    ({"relation": "boss"}, "relation"),
])
def test_bad_grants_are_refused(people, change, field):
    elder = people["elder"]
    proxy = elder if change.pop("proxy", None) == "self" else people["son"]
    with pytest.raises(ValidationError) as exc:
        _grant(elder, proxy, **change)
    assert field in exc.value.message_dict
    assert not ProxyAuthorisation.objects.exists()


def test_proxy_must_have_a_real_name_account(people, make_person):
    stranger = make_person(name="冯七", birth=dt.date(1980, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.proxy_grant(principal=people["elder"], proxy_id_number=stranger.id_number, relation="family",
                             valid_until=timezone.localdate())
    assert "proxy_id_number" in exc.value.message_dict


def test_api_grant_list_revoke(client, people):
    elder, son, other = people["elder"], people["son"], people["other"]
    client.force_login(elder)
    created = client.post("/api/v1/me/proxies", {"proxy_id_number": son.id_number, "relation": "family",
                                                 "valid_until": str(timezone.localdate())},
                          content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert son.id_number not in created.content.decode() and body["proxy"]["name"] == son.display_name
    listed = client.get("/api/v1/me/proxies").json()
    assert listed["count"] == 1
    client.force_login(son)
    principals = client.get("/api/v1/me/principals").json()
    assert [g["principal"]["name"] for g in principals["results"]] == [elder.display_name]
    client.force_login(other)
    assert client.post(f"/api/v1/me/proxies/{body['id']}/revoke").status_code == 404
    client.force_login(elder)
    assert client.post(f"/api/v1/me/proxies/{body['id']}/revoke").status_code == 200
    assert client.post(f"/api/v1/me/proxies/{body['id']}/revoke").status_code == 409
    client.force_login(son)
    assert client.get("/api/v1/me/principals").json()["count"] == 0


def test_api_bad_grant_is_400_with_fields(client, people):
    client.force_login(people["elder"])
    response = client.post("/api/v1/me/proxies", {"proxy_id_number": "110105194912310021X", "relation": "family",
                                                  "valid_until": "2020-01-01"}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) >= {"proxy_id_number", "valid_until"}


def test_proxy_page_grants_and_revokes(client, people):
    elder, son = people["elder"], people["son"]
    client.force_login(elder)
    response = client.post("/accounts/proxies/", {"proxy_id_number": son.id_number, "relation": "family",
                                                  "valid_until": str(timezone.localdate()), "item_codes": ""})
    assert response.status_code == 302
    page = client.get("/accounts/proxies/").content.decode()
    assert son.display_name in page and son.id_number not in page
    grant = ProxyAuthorisation.objects.get()
    client.force_login(people["other"])
    assert client.post(f"/accounts/proxies/{grant.pk}/revoke/").status_code == 404
    client.force_login(son)  # the proxy may also end it
    assert client.post(f"/accounts/proxies/{grant.pk}/revoke/").status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
