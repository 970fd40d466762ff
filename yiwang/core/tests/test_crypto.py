import datetime as dt
from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from yiwang.core.crypto import blind_index, clear_key_cache, decrypt, encrypt, rotate
from yiwang.core.ids import make_id_number
from yiwang.core.management.commands.rotate_field_keys import encrypted_columns
from yiwang.registry.constants import Sex
from yiwang.registry.models import Person
from yiwang.registry.selectors import id_number_index, person_by_id_number

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _fresh_keys():
    clear_key_cache()
    yield
    clear_key_cache()


class keys(override_settings):  # noqa: N801 - used like override_settings
    """override_settings(FIELD_ENCRYPTION_KEYS=...) that also drops the cached MultiFernet."""

    def __init__(self, *field_keys, **kwargs):
        super().__init__(FIELD_ENCRYPTION_KEYS=list(field_keys), **kwargs)

    def enable(self):
        super().enable()
        clear_key_cache()

    def disable(self):
        super().disable()
        clear_key_cache()


def _person(n: int, *, phone: str = PHONE) -> Person:
    number = make_id_number("330106", dt.date(1980, 1, 1) + dt.timedelta(days=n), n, "F")
    return Person.objects.create(id_number=number, id_number_hash=id_number_index(number), name=f"测试{n}",
                                 sex=Sex.FEMALE, birth_date=dt.date(1980, 1, 1), phone=phone)


def _raw(person: Person) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone FROM {Person._meta.db_table} WHERE id = %s", [person.pk])  # noqa: S608
        return cursor.fetchone()


@pytest.mark.django_db
def test_encrypted_field_round_trips_and_stores_only_ciphertext():
    person = _person(1)
    raw_id, raw_phone = _raw(person)
    assert raw_id != person.id_number and person.id_number not in raw_id and PHONE not in raw_phone
    assert raw_id.startswith("gAAAAA") and decrypt(raw_id) == person.id_number  # a Fernet token
    assert _raw(person)[0] != encrypt(person.id_number)  # random IV: equal values, different tokens
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.id_number, fresh.phone) == (person.id_number, PHONE)
    assert person_by_id_number(person.id_number.lower()) == person  # found through the blind index
    assert Person.objects.filter(pk=person.pk).values_list("id_number", flat=True).get() == person.id_number


@pytest.mark.django_db
def test_blank_encrypted_value_stays_blank():
    person = _person(2, phone="")
    assert _raw(person)[1] == ""
    assert Person.objects.get(pk=person.pk).phone == ""


def test_blind_index_is_stable_normalised_and_purpose_separated():
    number = "11010119900307071X"
    digest = blind_index(number)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert blind_index(number) == digest == blind_index(" 11010119900307071x ")
    assert blind_index(number, purpose="phone") != digest
    assert blind_index(PHONE, purpose="phone") != blind_index(PHONE, purpose="id")
    assert blind_index("11010119900307072X") != digest
    with override_settings(BLIND_INDEX_KEY="another-index-key"):
        clear_key_cache()
        assert blind_index(number) != digest
    clear_key_cache()
    assert blind_index(number) == digest


def test_key_rotation_keeps_old_values_readable_and_rotate_moves_them_to_the_new_key():
    with keys(KEY_A):
        token = encrypt("机密")
    with keys(KEY_B, KEY_A):
        assert decrypt(token) == "机密"
        assert encrypt("新值") != token and Fernet(KEY_B).decrypt(encrypt("新值").encode()) == "新值".encode()
        rotated = rotate(token)
    assert Fernet(KEY_B).decrypt(rotated.encode()).decode() == "机密"
    with pytest.raises(InvalidToken):
        Fernet(KEY_A).decrypt(rotated.encode())
    with keys(KEY_B):
        assert decrypt(rotated) == "机密"
        with pytest.raises(InvalidToken):
            decrypt(token)


@pytest.mark.django_db
def test_reading_with_a_missing_key_names_the_field():
    with keys(KEY_A):
        person = _person(3)
    with keys(KEY_B), pytest.raises(ImproperlyConfigured, match="Person.id_number"):
        Person.objects.get(pk=person.pk)


def test_encrypted_columns_finds_every_encrypted_field():
    found = {model._meta.label: [f.name for f in fields] for model, fields in encrypted_columns()}
    assert found["registry.Person"] == ["id_number", "phone"]
    assert found["identity.User"] == ["id_number", "phone"]


@pytest.mark.django_db
def test_rotate_field_keys_reencrypts_every_row_under_the_first_key():
    from yiwang.audit.models import AuditEntry

    with keys(KEY_A):
        people = [_person(n) for n in range(10, 15)] + [_person(20, phone="")]
        before = {p.pk: _raw(p) for p in people}
    out = StringIO()
    with keys(KEY_B, KEY_A):
        call_command("rotate_field_keys", "--batch-size", "2", "--no-progress", stdout=out)
    assert "11 个值" in out.getvalue()
    with keys(KEY_B):  # the old key is gone: everything still reads
        for person in people:
            fresh = Person.objects.get(pk=person.pk)
            assert (fresh.id_number, fresh.phone, fresh.id_number_hash) == (
                person.id_number, person.phone, person.id_number_hash)
            raw_id, raw_phone = _raw(person)
            assert raw_id != before[person.pk][0]
            assert Fernet(KEY_B).decrypt(raw_id.encode()).decode() == person.id_number
            if person.phone:
                assert raw_phone != before[person.pk][1]
                assert Fernet(KEY_B).decrypt(raw_phone.encode()).decode() == person.phone
            else:
                assert raw_phone == ""
    entry = AuditEntry.objects.get(action="crypto.keys_rotated")
    assert entry.data["values"] == 11 and "registry.Person.id_number" in entry.data["columns"]
    with keys(KEY_B):  # a second run is harmless
        call_command("rotate_field_keys", "--no-progress", stdout=StringIO())
        assert Person.objects.get(pk=people[0].pk).id_number == people[0].id_number


@pytest.mark.django_db
def test_rotate_field_keys_stops_without_changes_when_a_key_is_missing():
    with keys(KEY_A):
        person = _person(30)
    before = _raw(person)
    with keys(KEY_B), pytest.raises(CommandError, match=r"registry\.Person\.id_number"):
        call_command("rotate_field_keys", "--no-progress", stdout=StringIO())
    assert _raw(person) == before
