"""The registry services: 一数一源 source checks, event + outbox per write, input validation, audit."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from stdnum.cn import ric

from yiwang.audit.models import AuditEntry
from yiwang.core.ids import validate_id_number
from yiwang.registry import services
from yiwang.registry.constants import EVENT_SOURCES, EntityStatus, EntryStatus, EventKind, MaritalStatus
from yiwang.registry.models import Entity, Household, OutboxMessage, Person, RegistryEvent

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def scene(person):
    man = person("M", dt.date(1988, 5, 1), name="王强")
    woman = person("F", dt.date(1990, 3, 2), name="赵敏")
    husband = person("M", dt.date(1975, 1, 1), name="陈建", marital_status=MaritalStatus.MARRIED)
    wife = person("F", dt.date(1977, 1, 1), name="周丽", marital_status=MaritalStatus.MARRIED, spouse=husband)
    husband.spouse = wife
    husband.save()
    homeless = person("M", dt.date(2000, 1, 1), name="孙亮", household=None, address="")
    dead = person("M", dt.date(1940, 1, 1), name="吴老", died_on=TODAY - dt.timedelta(days=3))
    entity = Entity.objects.create(uscc="91330102712345672E", name="杭州测试有限公司", legal_representative=man,
                                   legal_representative_name=man.name, address="上城区1号",
                                   registered_on=dt.date(2020, 1, 1))
    return {"man": man, "woman": woman, "husband": husband, "wife": wife, "homeless": homeless, "dead": dead,
            "entity": entity}


ACTIONS = {
    EventKind.BORN: lambda a, s: services.person_register_birth(
        actor=a, name="陈小宝", sex="M", birth_date=TODAY, birth_place="杭州市妇幼保健院", mother=s["wife"],
        father=s["husband"]),
    EventKind.HOUSEHOLD_REGISTERED: lambda a, s: services.household_register(
        actor=a, person=s["homeless"], address="浙江省杭州市西湖区文三路9号", region="330106"),
    EventKind.MARRIED: lambda a, s: services.marriage_register(actor=a, person=s["man"], partner=s["woman"]),
    EventKind.DIVORCED: lambda a, s: services.divorce_register(actor=a, person=s["husband"]),
    EventKind.MOVED: lambda a, s: services.person_move(actor=a, person=s["man"], address="浙江省杭州市滨江区江南大道1号"),
    EventKind.DIED: lambda a, s: services.death_record(actor=a, person=s["man"], died_on=TODAY),
    EventKind.DEATH_DEREGISTERED: lambda a, s: services.death_deregister(actor=a, person=s["dead"]),
    EventKind.ENTITY_REGISTERED: lambda a, s: services.entity_register(
        actor=a, name="杭州新开有限公司", legal_representative=s["woman"], address="拱墅区2号"),
    EventKind.ENTITY_CHANGED: lambda a, s: services.entity_change(actor=a, entity=s["entity"], address="西湖区3号"),
    EventKind.ENTITY_DEREGISTERED: lambda a, s: services.entity_deregister(actor=a, entity=s["entity"]),
}


def _counts():
    return (Person.objects.count(), Household.objects.count(), Entity.objects.count(), RegistryEvent.objects.count(),
            OutboxMessage.objects.count(), AuditEntry.objects.count())


@pytest.mark.parametrize("kind", list(ACTIONS))
def test_source_department_writes_event_and_outbox(kind, scene, staff):
    actor = staff(EVENT_SOURCES[kind])
    ACTIONS[kind](actor, scene)
    event = RegistryEvent.objects.get(kind=kind)
    assert event.source_department == EVENT_SOURCES[kind]
    assert event.recorded_by == actor
    assert OutboxMessage.objects.get(event=event).published_at is None
    entry = AuditEntry.objects.get(action=f"registry.{kind}")
    assert entry.department == EVENT_SOURCES[kind]


@pytest.mark.parametrize("kind", list(ACTIONS))
def test_other_department_is_refused_and_nothing_is_written(kind, scene, staff):
    wrong = next(code for code in ("GAJ", "MZJ", "WJW", "SCJ") if code != EVENT_SOURCES[kind])
    before = _counts()
    with pytest.raises(PermissionDenied):
        ACTIONS[kind](staff(wrong), scene)
    assert _counts() == before
    for obj in scene.values():
        fresh = type(obj).objects.get(pk=obj.pk)
        assert fresh.updated_at == obj.updated_at


@pytest.mark.parametrize("kind", [EventKind.DIED, EventKind.MARRIED, EventKind.ENTITY_REGISTERED])
def test_citizens_and_superusers_without_department_are_refused(kind, scene, citizen_user):
    with pytest.raises(PermissionDenied):
        ACTIONS[kind](citizen_user, scene)
    citizen_user.is_superuser = True
    with pytest.raises(PermissionDenied):
        ACTIONS[kind](citizen_user, scene)
    assert not RegistryEvent.objects.exists()


def test_birth_creates_child_with_valid_provisional_id(scene, staff):
    child = ACTIONS[EventKind.BORN](staff("WJW"), scene)
    assert validate_id_number(child.id_number) == child.id_number
    assert ric.get_birth_date(child.id_number) == TODAY
    assert child.id_number[:6] == scene["wife"].household.region
    assert int(child.id_number[16]) % 2 == 1  # male
    assert (child.mother, child.father, child.household) == (scene["wife"], scene["husband"], None)


def test_birth_validation(scene, staff):
    wjw = staff("WJW")
    with pytest.raises(ValidationError) as exc:
        services.person_register_birth(actor=wjw, name="", sex="X", birth_date=TODAY, birth_place="",
                                       mother=scene["husband"], father=scene["wife"])
    assert {"name", "sex", "birth_place", "mother", "father"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError, match="日期不能晚于今天"):
        services.person_register_birth(actor=wjw, name="甲", sex="F", birth_date=TODAY + dt.timedelta(days=1),
                                       birth_place="医院", mother=scene["wife"])


def test_marriage_links_both_and_refuses_bigamy(scene, staff):
    mzj = staff("MZJ")
    services.marriage_register(actor=mzj, person=scene["man"], partner=scene["woman"])
    man, woman = Person.objects.get(pk=scene["man"].pk), Person.objects.get(pk=scene["woman"].pk)
    assert (man.spouse, woman.spouse) == (woman, man)
    assert man.marital_status == woman.marital_status == MaritalStatus.MARRIED
    with pytest.raises(ValidationError, match="已登记结婚"):
        services.marriage_register(actor=mzj, person=scene["wife"], partner=man)


@pytest.mark.parametrize("case,message", [
    ("dead", "已死亡"), ("self", "本人"), ("same_sex", "一男一女"), ("under_age", "法定婚龄"), ("parent", "直系血亲"),
])
def test_marriage_validation(case, message, scene, person, staff):
    s = scene
    pairs = {
        "dead": (s["dead"], s["woman"]),
        "self": (s["man"], s["man"]),
        "same_sex": (s["man"], person("M", dt.date(1992, 1, 1))),
        "under_age": (person("M", TODAY.replace(year=TODAY.year - 21)), s["woman"]),
        "parent": (s["man"], person("F", dt.date(1960, 1, 1), mother=None)),
    }
    a, b = pairs[case]
    if case == "parent":
        a.mother = b
        a.save()
    with pytest.raises(ValidationError, match=message):
        services.marriage_register(actor=staff("MZJ"), person=a, partner=b)
    assert not RegistryEvent.objects.filter(kind=EventKind.MARRIED).exists()


def test_divorce(scene, staff):
    services.divorce_register(actor=staff("MZJ"), person=scene["wife"])
    husband, wife = Person.objects.get(pk=scene["husband"].pk), Person.objects.get(pk=scene["wife"].pk)
    assert husband.spouse is None and wife.spouse is None
    assert husband.marital_status == wife.marital_status == MaritalStatus.DIVORCED
    with pytest.raises(ValidationError, match="不是已婚"):
        services.divorce_register(actor=staff("MZJ"), person=husband)


def test_death_twice_and_dead_cannot_move_or_marry(scene, staff):
    services.death_record(actor=staff("WJW"), person=scene["man"], died_on=TODAY)
    man = Person.objects.get(pk=scene["man"].pk)
    with pytest.raises(ValidationError, match="不能重复登记"):
        services.death_record(actor=staff("WJW"), person=man, died_on=TODAY)
    with pytest.raises(ValidationError, match="已死亡"):
        services.person_move(actor=staff("GAJ"), person=man, address="某地")
    with pytest.raises(ValidationError, match="已死亡"):
        services.marriage_register(actor=staff("MZJ"), person=man, partner=scene["woman"])
    with pytest.raises(ValidationError, match="早于出生日期"):
        services.death_record(actor=staff("WJW"), person=scene["woman"], died_on=dt.date(1980, 1, 1))


def test_deregistration_needs_death_and_happens_once(scene, staff):
    gaj = staff("GAJ")
    with pytest.raises(ValidationError, match="尚未登记死亡"):
        services.death_deregister(actor=gaj, person=scene["man"])
    services.death_deregister(actor=gaj, person=scene["dead"])
    dead = Person.objects.get(pk=scene["dead"].pk)
    assert dead.entry_status == EntryStatus.CLOSED
    with pytest.raises(ValidationError, match="已注销"):
        services.death_deregister(actor=gaj, person=dead)


def test_household_and_move(scene, staff):
    gaj = staff("GAJ")
    household = services.household_register(actor=gaj, person=scene["homeless"], address="西湖区文三路9号",
                                             region="330106")
    assert household.number == f"330106{household.pk:09d}"
    homeless = Person.objects.get(pk=scene["homeless"].pk)
    assert homeless.household == household and homeless.address == "西湖区文三路9号"
    with pytest.raises(ValidationError, match="已在此户"):
        services.household_register(actor=gaj, person=homeless, household=household)
    with pytest.raises(ValidationError, match="已有户主"):
        services.household_register(actor=gaj, person=scene["man"], household=household)
    services.person_move(actor=gaj, person=scene["man"], household=household, relation="other")
    event = RegistryEvent.objects.get(kind=EventKind.MOVED)
    assert event.data == {"from": "330102000000001", "to": household.number}
    with pytest.raises(ValidationError, match="迁入户与原户相同"):
        services.person_move(actor=gaj, person=Person.objects.get(pk=scene["man"].pk), household=household)
    with pytest.raises(ValidationError, match="尚未登记户口"):
        services.person_move(actor=gaj, person=Person.objects.create(
            id_number="330102200001010011", id_number_hash="x", name="甲", sex="M",
            birth_date=dt.date(2000, 1, 1)), address="某地")


def test_entity_lifecycle_and_validation(scene, staff, person):
    scj = staff("SCJ")
    entity = services.entity_register(actor=scj, name="杭州新开有限公司", legal_representative=scene["woman"],
                                      address="拱墅区2号")
    assert len(entity.uscc) == 18 and entity.legal_representative_name == "赵敏"
    with pytest.raises(ValidationError) as exc:
        services.entity_register(actor=scj, name="另一家", legal_representative=scene["woman"], address="x",
                                 uscc="91330102712345672X")
    assert "uscc" in exc.value.message_dict
    with pytest.raises(ValidationError, match="已登记"):
        services.entity_register(actor=scj, name="另一家", legal_representative=scene["woman"], address="x",
                                 uscc="91330102712345672E")
    with pytest.raises(ValidationError, match="年满18"):
        services.entity_register(actor=scj, name="少年公司", address="x",
                                 legal_representative=person("M", TODAY.replace(year=TODAY.year - 10)))
    with pytest.raises(ValidationError, match="已死亡"):
        services.entity_register(actor=scj, name="亡者公司", address="x", legal_representative=scene["dead"])
    with pytest.raises(ValidationError, match="没有需要变更"):
        services.entity_change(actor=scj, entity=entity, address=entity.address)
    services.entity_change(actor=scj, entity=entity, legal_representative=scene["man"], name="杭州改名有限公司")
    entity.refresh_from_db()
    assert (entity.name, entity.legal_representative_name) == ("杭州改名有限公司", "王强")
    assert RegistryEvent.objects.get(kind=EventKind.ENTITY_CHANGED).data == {
        "changed": ["name", "legal_representative"]}
    services.entity_deregister(actor=scj, entity=entity)
    entity.refresh_from_db()
    assert entity.status == EntityStatus.DEREGISTERED
    with pytest.raises(ValidationError, match="已注销"):
        services.entity_deregister(actor=scj, entity=entity)
    with pytest.raises(ValidationError, match="不能办理变更"):
        services.entity_change(actor=scj, entity=entity, address="新址")


@pytest.mark.parametrize("kind", list(ACTIONS))
def test_no_full_id_number_in_audit(kind, scene, staff):
    ACTIONS[kind](staff(EVENT_SOURCES[kind]), scene)
    numbers = [p.id_number for p in Person.objects.all()]
    for entry in AuditEntry.objects.all():
        text = f"{entry.target_id} {entry.data}"
        assert not any(n in text for n in numbers), text
