"""Reads of the base registries. Callers outside the source department go through
yiwang.sharing, which checks the sharing class and writes the access record."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from yiwang.core.crypto import blind_index
from yiwang.core.ids import normalize_id_number, normalize_uscc

from .models import Entity, Person


def id_number_index(id_number: str) -> str:
    return blind_index(normalize_id_number(id_number), purpose="id")


def phone_index(phone: str) -> str:
    return blind_index(phone.strip(), purpose="phone")


def person_by_id_number(id_number: str) -> Person | None:
    return Person.objects.select_related("household").filter(id_number_hash=id_number_index(id_number)).first()


def person_of_account(user) -> Person | None:
    """The registry entry of a real-name account (anything with id_number / id_number_hash), or None."""
    if not getattr(user, "is_authenticated", False) or not (user.id_number_hash and user.id_number):
        return None
    return person_by_id_number(user.id_number)


def entity_by_uscc(uscc: str) -> Entity | None:
    return Entity.objects.filter(uscc=normalize_uscc(uscc)).first()


def person_children(person: Person) -> QuerySet[Person]:
    return Person.objects.filter(father=person) | Person.objects.filter(mother=person)


ADULT_AGE = 18
NEWBORN_DAYS = 365


def _age_on(person: Person, day: dt.date) -> int:
    birth = person.birth_date
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def minor_children(person: Person, *, on: dt.date | None = None) -> list[Person]:
    """Living children under 18: the people a parent is guardian (监护人) of, in birth order."""
    on = on or timezone.localdate()
    return [child for child in person_children(person).filter(died_on__isnull=True).order_by("birth_date", "pk")
            if _age_on(child, on) < ADULT_AGE]


def newborn_children(person: Person, *, on: dt.date | None = None) -> list[Person]:
    """Children born in the last year whom no household has entered yet (新生儿出生一件事 is for them)."""
    on = on or timezone.localdate()
    return [child for child in minor_children(person, on=on)
            if child.household_id is None and (on - child.birth_date).days <= NEWBORN_DAYS]


def is_guardian(person: Person | None, child: Person | None, *, on: dt.date | None = None) -> bool:
    """A living parent of a living minor, by the birth record (WJW) the registry holds."""
    if person is None or child is None or person.died_on is not None or child.died_on is not None:
        return False
    if person.pk not in (child.father_id, child.mother_id):
        return False
    return _age_on(child, on or timezone.localdate()) < ADULT_AGE


def dead_persons_without_deregistration_task() -> QuerySet[Person]:
    """Dead persons whose household entry is still open and for whom nobody has a 注销户口 task."""
    from .constants import EntryStatus, TaskKind
    from .models import FollowUpTask

    has_task = FollowUpTask.objects.filter(person=OuterRef("pk"), kind=TaskKind.DEREGISTER_HOUSEHOLD)
    return (Person.objects.filter(died_on__isnull=False, entry_status=EntryStatus.ACTIVE)
            .exclude(Exists(has_task)).order_by("pk"))


def followup_tasks_for_department(department_code: str | None, state: str = "open") -> QuerySet:
    """The follow-up tasks of one department; state is open, done or all."""
    from .models import FollowUpTask

    if not department_code:
        return FollowUpTask.objects.none()
    tasks = FollowUpTask.objects.filter(department=department_code).select_related("person", "event", "entity")
    if state != "all":
        tasks = tasks.filter(status=state)
    return tasks.order_by("created_at", "id")
