import datetime as dt
import itertools

import pytest

from yiwang.catalog.models import Department
from yiwang.core.ids import make_id_number
from yiwang.identity.constants import AccountKind
from yiwang.identity.models import User
from yiwang.registry.constants import Sex
from yiwang.registry.models import Household, Person
from yiwang.registry.selectors import id_number_index

DEPARTMENTS = {"GAJ": "市公安局", "MZJ": "市民政局", "WJW": "市卫生健康委员会", "SCJ": "市市场监督管理局",
               "RSJ": "市人力资源和社会保障局", "SWJ": "国家税务总局市税务局", "SPJ": "市行政审批服务局"}
_seq = itertools.count(1)


@pytest.fixture
def staff(db):
    """staff("GAJ") → a staff user of that department."""
    def make(code: str) -> User:
        department, _ = Department.objects.get_or_create(code=code, defaults={"name": DEPARTMENTS[code]})
        user, _ = User.objects.get_or_create(username=f"t-staff-{code.lower()}",
                                             defaults={"kind": AccountKind.STAFF, "department": department})
        return user
    return make


@pytest.fixture
def citizen_user(db):
    return User.objects.create(username="t-citizen", kind=AccountKind.CITIZEN)


@pytest.fixture
def household(db):
    return Household.objects.create(number="330102000000001", address="浙江省杭州市上城区解放路1号",
                                    region="330102", registered_on=dt.date(2010, 1, 1))


@pytest.fixture
def person(db, household):
    """person(sex="M", birth=date(1980,1,1), **fields) → a Person in the test household."""
    def make(sex: str = Sex.MALE, birth: dt.date = dt.date(1980, 1, 1), name: str | None = None, **fields) -> Person:
        number = make_id_number("330102", birth, next(_seq), sex)
        defaults = {"household": household, "address": household.address}
        defaults.update(fields)
        return Person.objects.create(id_number=number, id_number_hash=id_number_index(number),
                                     name=name or ("张三" if sex == Sex.MALE else "李四"), sex=sex, birth_date=birth,
                                     **defaults)
    return make
