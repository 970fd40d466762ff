"""Departments, staff, people and grants for the sharing tests, built directly (no demo catalogue)."""

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.catalog.models import Department
from yiwang.core.calendar import calendar_cache_clear
from yiwang.core.ids import make_id_number
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.registry.models import Household, Person
from yiwang.registry.selectors import id_number_index
from yiwang.sharing.constants import RequestStatus
from yiwang.sharing.demo import load_data_catalog
from yiwang.sharing.models import SharingRequest

DEPARTMENTS = {"GAJ": "市公安局", "MZJ": "市民政局", "WJW": "市卫生健康委员会", "SCJ": "市市场监督管理局",
               "RSJ": "市人力资源和社会保障局"}
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture
def departments(db):
    load_data_catalog()
    return {code: Department.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in DEPARTMENTS.items()}


@pytest.fixture
def make_staff(departments):
    def make(department: str, *roles: str, name: str = "") -> User:
        n = next(_seq)
        user = User.objects.create_user(f"staff{n}-{department.lower()}", password="pw", kind="staff",
                                        department=departments[department], display_name=name or f"职员{n}")
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=str(role))[0])
        return user

    return make


@pytest.fixture
def make_person(db):
    def make(name: str = "张伟", *, sex: str = "M", birth: dt.date = dt.date(1988, 5, 12), **fields) -> Person:
        number = make_id_number("330102", birth, next(_seq) % 499, sex)
        return Person.objects.create(id_number=number, id_number_hash=id_number_index(number), name=name, sex=sex,
                                     birth_date=birth, **fields)

    return make


@pytest.fixture
def family(make_person):
    """A married couple with a child in one household; the wife's phone is on record."""
    household = Household.objects.create(number="330102000001", address="浙江省杭州市上城区解放路18号",
                                         region="330102", registered_on=dt.date(2015, 1, 1))
    husband = make_person("张伟", household=household, address=household.address, marital_status="married",
                          phone="13800000001")
    wife = make_person("王丽", sex="F", birth=dt.date(1990, 8, 20), household=household, household_relation="spouse",
                       marital_status="married", spouse=husband, phone="13800000002")
    husband.spouse = wife
    husband.save()
    child = make_person("张小宇", birth=dt.date(2019, 3, 3), household=household, household_relation="child",
                        father=husband, mother=wife)
    return {"husband": husband, "wife": wife, "child": child, "household": household}


@pytest.fixture
def officers(make_staff):
    return {code: make_staff(code, StaffRole.DATA_OFFICER, name=f"{code}专员") for code in ("GAJ", "MZJ", "WJW")}


@pytest.fixture
def grant(departments):
    """An approved request of `requester`'s department for `codes` (valid until `valid_until`)."""

    def make(requester: User, codes: list[str], *, source: str, valid_until: dt.date | None = None,
             status: str = RequestStatus.APPROVED) -> SharingRequest:
        from yiwang.sharing.models import DataElement

        today = timezone.localdate()
        request = SharingRequest.objects.create(
            requesting_department=requester.department, source_department=departments[source],
            purpose="测试", legal_basis="测试依据", valid_until=valid_until or today + dt.timedelta(days=30),
            status=status, requested_by=requester, due_at=today)
        request.elements.set(DataElement.objects.filter(code__in=codes))
        return request

    return make


def otp_login(client, user):
    """Log a staff user in with a verified TOTP device, as the staff 2FA middleware requires."""
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
