"""Reads of the base registries. Callers outside the source department go through
yiwang.sharing, which checks the sharing class and writes the access record."""

from __future__ import annotations

from django.db.models import QuerySet

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
