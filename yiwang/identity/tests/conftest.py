import datetime as dt

import pytest

from yiwang.core.ids import make_entity_uscc, make_id_number
from yiwang.registry.models import Entity, Person
from yiwang.registry.selectors import id_number_index, phone_index


@pytest.fixture
def make_person(db):
    counter = iter(range(1, 400))

    def make(name="赵敏", sex="F", birth=dt.date(1992, 3, 4), phone="", died_on=None, id_number=None):
        number = id_number or make_id_number("330105", birth, next(counter), sex)
        return Person.objects.create(
            id_number=number, id_number_hash=id_number_index(number), name=name, sex=sex, birth_date=birth,
            phone=phone, phone_hash=phone_index(phone) if phone else "", died_on=died_on)

    return make


@pytest.fixture
def person(make_person):
    return make_person(phone="13912345678")


@pytest.fixture
def entity(make_person):
    rep = make_person(name="钱进", sex="M", birth=dt.date(1975, 1, 9))
    return Entity.objects.create(uscc=make_entity_uscc(registry="91", region="330105", serial=55501234),
                                 name="杭州测试科技有限公司", legal_representative=rep,
                                 legal_representative_name=rep.name, address="杭州市", registered_on=dt.date(2020, 1, 1))


PASSWORD = "a-long-and-unusual-passphrase-9"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache; each test starts with a clean client history.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
