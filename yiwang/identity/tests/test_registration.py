"""Real-name registration (API.md auth/register; issue 3 "Done when": wrong check digit, name that does
not match, ID already registered → field error and nothing created)."""

import logging

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from yiwang.audit.models import AuditEntry
from yiwang.identity import services
from yiwang.identity.constants import AccountKind, EntityRole
from yiwang.identity.models import User

from .conftest import PASSWORD

API = "/api/v1/auth/register"


def _payload(person, **overrides):
    data = {"name": person.name, "id_number": person.id_number, "phone": "13912345678", "password": PASSWORD}
    data.update(overrides)
    return data


def _wrong_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def test_register_creates_a_verified_account_with_encrypted_numbers(client, person):
    response = client.post(API, _payload(person), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "citizen" and body["real_name_verified"] is True
    assert person.id_number not in response.content.decode()
    assert body["id_number"] == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    user = User.objects.get(username=body["username"])
    assert user.id_number == person.id_number and user.phone == "13912345678"
    raw = User.objects.filter(pk=user.pk).values_list("id_number", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM identity_user WHERE id = %s", [user.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert person.id_number not in stored_id and "13912345678" not in stored_phone
    assert list(raw) == [person.id_number]  # decrypted again by the field
    # Citizens log in with their ID or mobile number as well as the user name.
    request = RequestFactory().post("/")
    assert authenticate(request, username=person.id_number, password=PASSWORD) == user
    assert authenticate(request, username="13912345678", password=PASSWORD) == user
    assert AuditEntry.objects.filter(action="account.registered", target_id=str(user.pk)).exists()
    # The registry look-up of the real-name check shows in the person's own access log.
    client.force_login(user)
    log = client.get("/api/v1/me/data-access-log")
    assert log.status_code == 200 and log.json()["count"] == 1


@pytest.mark.parametrize(("field", "change"), [
    ("id_number", lambda p: {"id_number": _wrong_check_digit(p.id_number)}),
    ("id_number", lambda p: {"id_number": p.id_number[:6] + "19990230" + p.id_number[14:]}),
    ("id_number", lambda p: {"id_number": "12345"}),
    ("name", lambda p: {"name": "李四"}),
    ("phone", lambda p: {"phone": "12345"}),
    ("phone", lambda p: {"phone": "13700000000"}),  # not the phone the registry holds
    ("password", lambda p: {"password": "123456"}),
])
def test_bad_registration_gives_a_field_error_and_creates_nothing(client, person, field, change):
    users = User.objects.count()
    response = client.post(API, _payload(person, **change(person)), content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert User.objects.count() == users
    assert not AuditEntry.objects.filter(action="account.registered").exists()


def test_unknown_and_mismatching_people_get_the_same_message(client, person, make_person):
    # No oracle: "not in the registry" reads exactly like "wrong name".
    from yiwang.core.ids import make_id_number

    stranger = make_id_number("330106", person.birth_date, 77, "F")
    a = client.post(API, _payload(person, id_number=stranger), content_type="application/json").json()
    b = client.post(API, _payload(person, name="李四"), content_type="application/json").json()
    assert a["error"]["fields"] == b["error"]["fields"]


def test_an_id_number_registers_once(client, person):
    assert client.post(API, _payload(person), content_type="application/json").status_code == 201
    second = client.post(API, _payload(person, id_number=person.id_number.lower()), content_type="application/json")
    assert second.status_code == 400 and "id_number" in second.json()["error"]["fields"]
    assert User.objects.filter(id_number_hash=person.id_number_hash).count() == 1


def test_the_dead_cannot_register(client, make_person):
    import datetime as dt

    dead = make_person(name="孙立", died_on=dt.date(2025, 6, 1))
    response = client.post(API, _payload(dead, phone="13600000000"), content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]


def test_legal_representative_registers_an_enterprise_account(entity):
    rep = entity.legal_representative
    user = services.citizen_register(name=rep.name, id_number=rep.id_number, phone="13511112222",
                                     password=PASSWORD, uscc=entity.uscc)
    assert user.kind == AccountKind.ENTERPRISE
    membership = user.entity_memberships.get()
    assert membership.entity_uscc == entity.uscc and membership.role == EntityRole.LEGAL_REPRESENTATIVE


def test_only_the_legal_representative_may_bind_the_entity(person, entity):
    with pytest.raises(ValidationError) as exc:
        services.citizen_register(name=person.name, id_number=person.id_number, phone="13912345678",
                                  password=PASSWORD, uscc=entity.uscc)
    assert "uscc" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.citizen_register(name=person.name, id_number=person.id_number, phone="13912345678",
                                  password=PASSWORD, uscc=entity.uscc[:-1] + ("0" if entity.uscc[-1] != "0" else "1"))
    assert "uscc" in exc.value.message_dict
    assert not User.objects.exists()


def test_legal_representative_authorises_an_agent(entity, person):
    rep = entity.legal_representative
    boss = services.citizen_register(name=rep.name, id_number=rep.id_number, phone="13511112222",
                                     password=PASSWORD, uscc=entity.uscc)
    agent = services.citizen_register(name=person.name, id_number=person.id_number, phone="13912345678",
                                      password=PASSWORD)
    from yiwang.identity.selectors import own_subject_hashes, subject_index

    assert subject_index(entity.uscc) not in own_subject_hashes(agent)
    services.entity_agent_authorise(actor=boss, uscc=entity.uscc, agent_id_number=person.id_number)
    assert subject_index(entity.uscc) in own_subject_hashes(agent)
    # An agent cannot appoint further agents.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.entity_agent_authorise(actor=agent, uscc=entity.uscc, agent_id_number=rep.id_number)


def test_registration_page_shows_field_errors_and_registers(client, person):
    url = reverse("identity:register")
    page = client.get(url)
    assert page.status_code == 200 and 'autocomplete="new-password"' in page.content.decode()
    bad = client.post(url, {**_payload(person, id_number=_wrong_check_digit(person.id_number)), "password2": PASSWORD})
    html = bad.content.decode()
    assert bad.status_code == 200 and 'aria-invalid="true"' in html and "校验位" in html
    good = client.post(url, {**_payload(person), "password2": PASSWORD})
    assert good.status_code == 302 and good["Location"] == reverse("identity:account")
    account = client.get(reverse("identity:account")).content.decode()
    assert person.id_number not in account and person.id_number[-4:] in account


def test_registration_logs_no_full_id_number(client, person, caplog):
    # Raw records, before the masking filter of settings.LOGGING: the code itself must not log them.
    caplog.set_level(logging.DEBUG)
    client.post(API, _payload(person, name="李四"), content_type="application/json")
    client.post(API, _payload(person), content_type="application/json")
    client.post(API, _payload(person), content_type="application/json")
    assert caplog.records, "the failed attempts are logged"
    for record in caplog.records:
        assert person.id_number not in record.getMessage()
        assert person.id_number not in str(record.__dict__)
