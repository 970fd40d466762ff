import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from yiwang.catalog.models import LicenseType
from yiwang.identity.constants import AccountKind
from yiwang.identity.models import EntityMembership, ProxyAuthorisation, User
from yiwang.identity.selectors import subject_index
from yiwang.licenses.services import license_issue
from yiwang.registry.demo import DEMO_ADDRESS, DEMO_COMPANY, DEMO_PEOPLE, DEMO_PHONES
from yiwang.registry.models import Entity, Person
from yiwang.registry.selectors import id_number_index, phone_index
from yiwang.sharing.demo import load_data_catalog

CITIZEN = DEMO_PEOPLE["citizen"]  # 张伟, married
OTHER = DEMO_PEOPLE["citizen2"]  # 李秀英, widowed
SPOUSE = DEMO_PEOPLE["citizen_spouse"]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# A single item with one licence-backed material and two fields no registry holds.
ITEM = "RSJ-GG-0011"  # 社会保险个人权益记录（参保证明）查询打印
UPLOAD_ITEM = "GAJ-QR-0009"  # 临时居民身份证申领: every field prefilled, one required upload


@pytest.fixture(autouse=True)
def _fresh(settings):
    cache.clear()
    settings.CASES_SCANNER_DELAY = 0


@pytest.fixture
def data_catalog(db):
    # The catalogue is seeded by a migration; a transactional test's flush may have removed it.
    load_data_catalog()


def make_person(person, *, marital_status="married", phone="", address=DEMO_ADDRESS):
    name, sex, birth, number = person
    return Person.objects.create(
        id_number=number, id_number_hash=id_number_index(number), name=name, sex=sex, birth_date=birth,
        ethnicity="汉族", address=address, phone=phone, phone_hash=phone_index(phone) if phone else "",
        marital_status=marital_status)


def make_user(username, person=None, *, kind=AccountKind.CITIZEN, name=""):
    number = person[3] if person else ""
    return User.objects.create(
        username=username, kind=kind, display_name=name or (person[0] if person else username),
        id_number=number, id_number_hash=subject_index(number) if number else None)


@pytest.fixture
def citizen(demo_catalog, data_catalog):
    make_person(CITIZEN, phone=DEMO_PHONES["citizen"])
    return make_user("zhangwei", CITIZEN)


@pytest.fixture
def other_citizen(demo_catalog, data_catalog):
    make_person(OTHER, marital_status="widowed", phone=DEMO_PHONES["citizen2"])
    return make_user("lixiuying", OTHER)


def issue(type_code, holder, fields, *, valid_until=dt.date(2036, 7, 1)):
    return license_issue(license_type=LicenseType.objects.get(code=type_code), holder_code=holder[3],
                         holder_name=holder[0], fields=fields, valid_from=dt.date(2016, 7, 1), valid_until=valid_until)


@pytest.fixture
def id_card(citizen):
    return issue("resident_id_card", CITIZEN, {"姓名": CITIZEN[0], "性别": "男", "公民身份号码": CITIZEN[3],
                                               "住址": DEMO_ADDRESS})


@pytest.fixture
def household_register(citizen):
    return issue("household_register", CITIZEN, {"户号": "330102001234", "户主姓名": CITIZEN[0], "姓名": CITIZEN[0]})


@pytest.fixture
def grant(citizen, other_citizen):
    """张伟 may act for 李秀英 (an elderly widow) until next year, for every item."""
    return ProxyAuthorisation.objects.create(principal=other_citizen, proxy=citizen, relation="family",
                                             valid_until=dt.date.today() + dt.timedelta(days=365))


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def citizen_api(citizen):
    return api(citizen)


def start(client, **body):
    response = client.post("/api/v1/applications", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def fields_by_key(body) -> dict:
    return {f["key"]: f for f in body["fields"]}


def materials_by_name(body) -> dict:
    return {m["name"]: m for m in body["materials"]}


def upload(client, application_id, name, content=PDF, filename="doc.pdf", content_type="application/pdf"):
    return client.post(f"/api/v1/applications/{application_id}/materials",
                       {"name": name, "file": SimpleUploadedFile(filename, content, content_type=content_type)},
                       format="multipart")


NEWBORN_NAME = "张小萌"


@pytest.fixture
def newborn(citizen):
    """张伟 and 王丽's daughter, born a week ago: the hospital's birth record (WJW) is in the registry,
    no household has entered her yet."""
    from yiwang.core.ids import make_id_number

    father = Person.objects.get(id_number_hash=id_number_index(CITIZEN[3]))
    mother = make_person(SPOUSE, phone=DEMO_PHONES["citizen_spouse"])
    father.spouse, mother.spouse = mother, father
    father.save(update_fields=["spouse"])
    mother.save(update_fields=["spouse"])
    born = dt.date.today() - dt.timedelta(days=7)
    number = make_id_number("330102", born, 300, "F")
    return Person.objects.create(
        id_number=number, id_number_hash=id_number_index(number), name=NEWBORN_NAME, sex="F", birth_date=born,
        birth_place="杭州市妇产科医院", ethnicity="汉族", mother=mother, father=father, address="")


@pytest.fixture
def company(demo_catalog, data_catalog):
    """王芳, an agent of the demo restaurant company, whose business licence the government holds."""
    Entity.objects.create(uscc=DEMO_COMPANY["uscc"], name=DEMO_COMPANY["name"], legal_representative_name="刘强",
                          address=DEMO_COMPANY["address"], registered_on=DEMO_COMPANY["registered_on"])
    person = DEMO_PEOPLE["enterprise"]
    make_person(person, phone=DEMO_PHONES["enterprise"])
    agent = make_user("wangfang", person, kind=AccountKind.ENTERPRISE)
    agent.email = "wangfang@example.com"
    agent.save(update_fields=["email"])
    EntityMembership.objects.create(user=agent, entity_uscc=DEMO_COMPANY["uscc"], entity_name=DEMO_COMPANY["name"],
                                    role="agent")
    license_issue(license_type=LicenseType.objects.get(code="business_license"), holder_code=DEMO_COMPANY["uscc"],
                  holder_name=DEMO_COMPANY["name"], fields={"名称": DEMO_COMPANY["name"]},
                  valid_from=dt.date(2021, 4, 8), valid_until=None)
    return agent
