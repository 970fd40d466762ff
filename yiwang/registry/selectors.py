"""Reads of the base registries. Callers outside the source department go through
yiwang.sharing, which checks the sharing class and writes the access record."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from yiwang.core.crypto import blind_index
from yiwang.core.ids import normalize_id_number, normalize_uscc

from .models import Entity, Person


def id_number_index(id_number: str) -> str:
    return blind_index(normalize_id_number(id_number), purpose="id")


def phone_index(phone: str) -> str:
    return blind_index(phone.strip(), purpose="phone")


def person_by_id_number(id_number: str) -> Person | None:
    return Person.objects.select_related("household").filter(id_number_hash=id_number_index(id_number)).first()


def entity_by_uscc(uscc: str) -> Entity | None:
    return Entity.objects.filter(uscc=normalize_uscc(uscc)).first()


def person_children(person: Person) -> QuerySet[Person]:
    return Person.objects.filter(father=person) | Person.objects.filter(mother=person)


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
