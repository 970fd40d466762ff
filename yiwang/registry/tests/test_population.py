"""The population generator: consistent, valid, unique — and the demo people in it."""

import datetime as dt
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from stdnum.cn import uscc as uscc_check

from yiwang.core.crypto import blind_index
from yiwang.core.ids import id_number_birth_date, id_number_sex, validate_id_number
from yiwang.registry import demo, services
from yiwang.registry.constants import EntityStatus, EntryStatus, MaritalStatus, TaskKind, TaskStatus
from yiwang.registry.models import Delivery, Entity, FollowUpTask, OutboxMessage, Person
from yiwang.registry.population import PopulationExists, generate_population
from yiwang.registry.selectors import person_by_id_number

pytestmark = pytest.mark.django_db
N = 3000


def _years_between(older: dt.date, younger: dt.date) -> float:
    return (younger - older).days / 365.25


@pytest.fixture
def population():
    report = generate_population(persons=N, seed=7)
    return report, {p.pk: p for p in Person.objects.all()}


def test_counts_and_valid_unique_identifiers(population):
    report, people = population
    assert report.persons == len(people) == N and report.demo_created
    assert N / 3.5 < report.households < N / 1.8
    numbers = [p.id_number for p in people.values()]
    assert len(set(numbers)) == N
    for p in people.values():
        assert validate_id_number(p.id_number) == p.id_number
        assert p.id_number[:6] in {f"3301{n:02d}" for n in range(2, 15)}
        assert id_number_birth_date(p.id_number) == p.birth_date and id_number_sex(p.id_number) == p.sex
        assert p.id_number_hash == blind_index(p.id_number, purpose="id")
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p.name)
    phones = [p.phone for p in people.values() if p.phone]
    assert len(set(phones)) == len(phones)


def test_families_are_consistent(population):
    _report, people = population
    today = timezone.localdate()
    for p in people.values():
        if p.spouse_id:
            spouse = people[p.spouse_id]
            assert spouse.spouse_id == p.pk and spouse.sex != p.sex
            assert p.marital_status == spouse.marital_status == MaritalStatus.MARRIED
            assert p.died_on is None and spouse.died_on is None
        elif p.died_on is None:
            assert p.marital_status != MaritalStatus.MARRIED, p
        for parent_id, sex in ((p.father_id, "M"), (p.mother_id, "F")):
            if parent_id:
                parent = people[parent_id]
                assert parent.sex == sex and _years_between(parent.birth_date, p.birth_date) >= 18
        adult = _years_between(p.birth_date, today) >= 18
        assert bool(p.phone) == (adult and p.died_on is None), p
        assert p.household_id and p.address
    assert sum(p.marital_status == MaritalStatus.DIVORCED for p in people.values()) > 0
    assert sum(p.marital_status == MaritalStatus.WIDOWED for p in people.values()) > 0
    assert sum(bool(p.father_id) for p in people.values()) > N / 10
    assert sum(_years_between(p.birth_date, today) >= 65 for p in people.values()) > N / 20


def test_dead_persons_are_consistent(population):
    _report, people = population
    dead = [p for p in people.values() if p.died_on]
    assert len(dead) > 10
    today = timezone.localdate()
    pending = 0
    for p in dead:
        assert p.birth_date < p.died_on <= today and p.spouse_id is None
        if p.entry_status == EntryStatus.ACTIVE:
            pending += 1
            task = FollowUpTask.objects.get(person=p, kind=TaskKind.DEREGISTER_HOUSEHOLD)
            assert task.status == TaskStatus.OPEN and task.department == "GAJ"
            assert FollowUpTask.objects.filter(person=p, kind=TaskKind.STOP_PENSION, department="RSJ").exists()
            assert OutboxMessage.objects.get(event=task.event).published_at is not None
            assert Delivery.objects.filter(event=task.event).count() == 3
    assert pending > 0 and any(p.entry_status == EntryStatus.CLOSED for p in dead)
    assert not FollowUpTask.objects.filter(person__died_on__isnull=True).exists()
    assert services.ensure_death_followups() == 0  # nobody dead is left without the task


def test_entities(population):
    _report, people = population
    entities = list(Entity.objects.all())
    assert N / 50 - 2 <= len(entities) <= N / 50 + 2
    assert len({e.name for e in entities}) == len(entities)
    for e in entities:
        assert uscc_check.is_valid(e.uscc), e.uscc
        rep = people[e.legal_representative_id]
        assert rep.died_on is None and e.legal_representative_name == rep.name
        assert _years_between(rep.birth_date, e.registered_on) >= 18
    assert {e.status for e in entities} <= {EntityStatus.ACTIVE, EntityStatus.DEREGISTERED}


def test_demo_people(population):
    people = {key: person_by_id_number(number) for key, (_n, _s, _b, number) in demo.DEMO_PEOPLE.items()}
    for key, (name, sex, birth, _number) in demo.DEMO_PEOPLE.items():
        assert (people[key].name, people[key].sex, people[key].birth_date) == (name, sex, birth)
        assert people[key].phone == demo.DEMO_PHONES.get(key, "")
    citizen, spouse, child = people["citizen"], people["citizen_spouse"], people["citizen_child"]
    assert citizen.spouse == spouse and spouse.spouse == citizen
    assert (child.father, child.mother) == (citizen, spouse)
    assert citizen.household == spouse.household == child.household
    assert citizen.household.address == demo.DEMO_ADDRESS
    widow = people["citizen2"]
    assert widow.marital_status == MaritalStatus.WIDOWED and widow.spouse is None
    assert list(widow.household.members.filter(died_on__isnull=True)) == [widow]
    company = Entity.objects.get(uscc=demo.DEMO_COMPANY["uscc"])
    assert company.name == demo.DEMO_COMPANY["name"] and company.legal_representative == people["legal_rep"]


def test_refuses_a_non_empty_registry_and_adds_on_request():
    generate_population(persons=200, seed=1)
    with pytest.raises(PopulationExists):
        generate_population(persons=10, seed=1)
    with pytest.raises(CommandError, match="--add"):
        call_command("generate_population", "--persons", "10", "--no-progress")
    report = generate_population(persons=300, seed=1, add=True)  # the same seed: collisions must be avoided
    assert report.persons == 300 and not report.demo_created
    assert Person.objects.count() == 500
    assert Person.objects.values("id_number_hash").distinct().count() == 500
    assert services.ensure_death_followups() == 0


def test_load_demo_registry_is_idempotent():
    report = demo.load_demo_registry(persons=100)
    assert report.persons == 100 and report.demo_created
    assert demo.load_demo_registry(persons=100) is None
    assert Person.objects.count() == 100


def test_command(capsys):
    call_command("generate_population", "--persons", "50", "--seed", "3", "--no-progress")
    assert "Generated 50 persons" in capsys.readouterr().out
    assert Person.objects.count() == 50
