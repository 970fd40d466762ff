import datetime as dt

import pytest
from django.core.cache import cache

from yiwang.catalog.models import Department, LicenseType
from yiwang.identity.constants import AccountKind
from yiwang.identity.models import User
from yiwang.identity.selectors import subject_index
from yiwang.licenses.services import license_issue
from yiwang.registry.demo import DEMO_COMPANY, DEMO_PEOPLE

CITIZEN_ID = DEMO_PEOPLE["citizen"][3]
OTHER_ID = DEMO_PEOPLE["citizen2"][3]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def make_user(username, *, kind=AccountKind.CITIZEN, id_number="", name="", department=None):
    return User.objects.create(
        username=username, kind=kind, display_name=name or username, department=department,
        id_number=id_number, id_number_hash=subject_index(id_number) if id_number else None)


@pytest.fixture
def citizen(demo_catalog):
    return make_user("zhangwei", id_number=CITIZEN_ID, name="张伟")


@pytest.fixture
def other_citizen(demo_catalog):
    return make_user("lixiuying", id_number=OTHER_ID, name="李秀英")


@pytest.fixture
def gaj_staff(demo_catalog):
    return make_user("staff-gaj-t", kind=AccountKind.STAFF, department=Department.objects.get(code="GAJ"))


@pytest.fixture
def scj_staff(demo_catalog):
    return make_user("staff-scj-t", kind=AccountKind.STAFF, department=Department.objects.get(code="SCJ"))


def issue_id_card(id_number=CITIZEN_ID, name="张伟", *, valid_from=dt.date(2016, 7, 1),
                  valid_until=dt.date(2036, 7, 1), **kwargs):
    return license_issue(
        license_type=LicenseType.objects.get(code="resident_id_card"), holder_code=id_number, holder_name=name,
        fields={"姓名": name, "性别": "男", "公民身份号码": id_number, "住址": "浙江省杭州市上城区解放路18号"},
        valid_from=valid_from, valid_until=valid_until, **kwargs)


@pytest.fixture
def id_card(citizen):
    return issue_id_card()


@pytest.fixture
def other_id_card(other_citizen):
    return issue_id_card(OTHER_ID, "李秀英")


@pytest.fixture
def business_license(demo_catalog):
    return license_issue(
        license_type=LicenseType.objects.get(code="business_license"), holder_code=DEMO_COMPANY["uscc"],
        holder_name=DEMO_COMPANY["name"], fields={"名称": DEMO_COMPANY["name"]},
        valid_from=dt.date(2021, 4, 8), valid_until=None)
