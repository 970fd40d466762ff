import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from yiwang.cases.tests.conftest import CITIZEN, OTHER, issue, make_person, make_user
from yiwang.catalog.models import Department
from yiwang.identity.constants import AccountKind, StaffRole
from yiwang.identity.models import User
from yiwang.identity.services import staff_roles_set
from yiwang.identity.testing import login_verified
from yiwang.registry.demo import DEMO_ADDRESS, DEMO_PHONES
from yiwang.sharing.demo import load_data_catalog

COMMITTED = "GAJ-GG-0012"  # 无犯罪记录证明开具: 承诺件 of GAJ, one field no registry holds
IMMEDIATE = "GAJ-GG-0011"  # 户籍类证明开具: 即办件 of GAJ, issues a 户籍证明 licence


@pytest.fixture(autouse=True)
def _fresh(settings):
    cache.clear()
    settings.CASES_SCANNER_DELAY = 0


@pytest.fixture
def data_catalog(db):
    load_data_catalog()


@pytest.fixture
def citizen(demo_catalog, data_catalog):
    make_person(CITIZEN, phone=DEMO_PHONES["citizen"])
    return make_user("zhangwei", CITIZEN)


@pytest.fixture
def other_citizen(demo_catalog, data_catalog):
    make_person(OTHER, marital_status="widowed", phone=DEMO_PHONES["citizen2"])
    return make_user("lixiuying", OTHER)


@pytest.fixture
def id_card(citizen):
    return issue("resident_id_card", CITIZEN, {"姓名": CITIZEN[0], "性别": "男", "公民身份号码": CITIZEN[3],
                                               "住址": DEMO_ADDRESS}, valid_until=dt.date(2036, 7, 1))


def staff(username: str, department: str, roles=()) -> User:
    user = User.objects.create(username=username, kind=AccountKind.STAFF, display_name=f"{department} {username}",
                               department=Department.objects.get(code=department))
    staff_roles_set(actor=None, user=user, roles=[str(r) for r in roles])
    return user


@pytest.fixture
def clerk(demo_catalog):
    return staff("clerk", "SPJ", [StaffRole.WINDOW_CLERK])


@pytest.fixture
def other_clerk(demo_catalog):
    return staff("clerk2", "SPJ", [StaffRole.WINDOW_CLERK])


def client_for(user) -> Client:
    client = Client()
    if user.kind == AccountKind.STAFF:
        login_verified(client, user)
    else:
        client.force_login(user)
    return client
