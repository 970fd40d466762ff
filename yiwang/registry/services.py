"""Writes of the base registries (人口库, 法人库).

Every service takes the acting staff user and enforces 一数一源: only the datum's source department
(constants.EVENT_SOURCES / DATA_SOURCES) may write it, anyone else gets PermissionDenied and nothing
is written. Each write records a RegistryEvent and, in the same transaction, its OutboxMessage and
an audit entry (with masked identifiers only); after commit the outbox dispatcher is triggered.

Birth: the ID number is really assigned by public security when the child is entered in a
household. To keep the newborn addressable from the first event, `person_register_birth` gives it a
provisional valid number (region of the mother's household, the birth date, the next free order
code); GAJ's `household_register` confirms it. Name and sex come with the medical birth record.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import audit_record
from yiwang.core.ids import make_entity_uscc, make_id_number, validate_uscc
from yiwang.core.masking import mask_id_number
from yiwang.identity.selectors import staff_department_code

from .constants import (
    DATA_SOURCES,
    EVENT_SOURCES,
    MARRIAGE_AGE,
    EntityKind,
    EntityStatus,
    EntryStatus,
    EventKind,
    HouseholdRelation,
    MaritalStatus,
    Sex,
    TaskKind,
    TaskStatus,
)
from .models import Entity, FollowUpTask, Household, OutboxMessage, Person, RegistryEvent
from .selectors import id_number_index

logger = logging.getLogger(__name__)

DEFAULT_REGION = "330102"


class TaskAlreadyDone(Exception):
    """Completing a follow-up task that is already done (the API answers 409)."""


# --- helpers ----------------------------------------------------------------------------------------

def _authorise(actor, kind: str, *data: str) -> str:
    """The actor's department code if it is the source of the event and of every datum written."""
    code = staff_department_code(actor) if actor is not None else None
    source = EVENT_SOURCES[kind]
    if code is None or code != source or any(DATA_SOURCES[d] != code for d in data):
        raise PermissionDenied(_("一数一源：该信息只能由来源部门（%(source)s）登记。") % {"source": source})
    return code


def _today() -> dt.date:
    return timezone.localdate()


def _check_date(value: dt.date | None, field: str) -> dt.date:
    value = value or _today()
    if value > _today():
        raise ValidationError({field: _("日期不能晚于今天。")})
    return value


def _require_alive(person: Person, field: str) -> None:
    if person.died_on is not None:
        raise ValidationError({field: _("%(name)s 已死亡，不能办理该登记。") % {"name": person.name}})


def _age_on(person: Person, day: dt.date) -> int:
    b = person.birth_date
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def _schedule_dispatch() -> None:
    from .tasks import outbox_dispatch

    try:
        outbox_dispatch.delay()
    except Exception:  # noqa: BLE001 - broker down: the periodic sweep delivers the event later
        logger.warning("registry: could not queue outbox_dispatch; the periodic sweep will deliver", exc_info=True)


def _record_event(*, kind: str, actor, department: str, occurred_on: dt.date, person: Person | None = None,
                  entity: Entity | None = None, data: dict | None = None) -> RegistryEvent:
    event = RegistryEvent.objects.create(kind=kind, person=person, entity=entity, source_department=department,
                                         occurred_on=occurred_on, recorded_by=actor, data=data or {})
    OutboxMessage.objects.create(event=event)
    audit = {"event": event.pk, "occurred_on": occurred_on.isoformat(), **(data or {})}
    if person is not None:
        audit["person"] = mask_id_number(person.id_number)
        target = ("person", person.pk)
    else:
        audit["entity"] = entity.uscc
        target = ("entity", entity.pk)
    audit_record(action=f"registry.{kind}", actor=actor, target_type=target[0], target_id=str(target[1]),
                 data=audit, department=department)
    transaction.on_commit(_schedule_dispatch)
    return event


def _free_id_number(region: str, birth: dt.date, sex: str) -> str:
    candidates = [make_id_number(region, birth, seq, sex) for seq in range(500)]
    by_hash = {id_number_index(c): c for c in candidates}
    taken = set(Person.objects.filter(id_number_hash__in=by_hash).values_list("id_number_hash", flat=True))
    for digest, number in by_hash.items():
        if digest not in taken:
            return number
    raise ValidationError(_("该地区当日出生登记的顺序码已用完。"))


def _new_household(*, region: str, address: str, registered_on: dt.date) -> Household:
    if not address.strip():
        raise ValidationError({"address": _("新立户须填写住址。")})
    household = Household.objects.create(number=uuid.uuid4().hex[:20], address=address.strip(), region=region,
                                         registered_on=registered_on)
    household.number = household_number(region, household.pk)
    household.save(update_fields=["number"])
    return household


def household_number(region: str, pk: int) -> str:
    """户号: region code + the row's serial, so it is unique without a counter table."""
    return f"{region}{pk:09d}"


# --- births, households and moves -------------------------------------------------------------------

@transaction.atomic
def person_register_birth(*, actor, name: str, sex: str, birth_date: dt.date, birth_place: str,
                          mother: Person, father: Person | None = None) -> Person:
    """WJW records a birth (出生医学证明): the newborn with its parents, date and place."""
    department = _authorise(actor, EventKind.BORN, "person.birth_date", "person.birth_place", "person.parents")
    birth_date = _check_date(birth_date, "birth_date")
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("请填写新生儿姓名。")]
    if sex not in Sex.values:
        errors["sex"] = [_("性别无效。")]
    if not (birth_place or "").strip():
        errors["birth_place"] = [_("请填写出生地。")]
    if mother.sex != Sex.FEMALE:
        errors["mother"] = [_("母亲的性别应为女。")]
    elif mother.died_on and mother.died_on < birth_date:
        errors["mother"] = [_("母亲在出生日期前已死亡。")]
    elif _age_on(mother, birth_date) < 14:
        errors["mother"] = [_("母亲的出生日期与新生儿出生日期不符。")]
    if father is not None:
        if father.sex != Sex.MALE:
            errors["father"] = [_("父亲的性别应为男。")]
        elif father.died_on and father.died_on < birth_date - dt.timedelta(days=300):
            errors["father"] = [_("父亲的死亡日期与新生儿出生日期不符。")]
        elif _age_on(father, birth_date) < 14:
            errors["father"] = [_("父亲的出生日期与新生儿出生日期不符。")]
    if errors:
        raise ValidationError(errors)
    region = mother.household.region if mother.household_id else getattr(settings, "REGISTRY_DEFAULT_REGION",
                                                                         DEFAULT_REGION)
    number = _free_id_number(region, birth_date, sex)
    surname_source = father or mother
    child = Person.objects.create(
        id_number=number, id_number_hash=id_number_index(number), name=name.strip(), sex=sex,
        birth_date=birth_date, birth_place=birth_place.strip(), mother=mother, father=father, household=None,
        household_relation=HouseholdRelation.CHILD, address="", ethnicity=surname_source.ethnicity,
    )
    _record_event(kind=EventKind.BORN, actor=actor, department=department, occurred_on=birth_date, person=child,
                  data={"mother": mother.pk, "father": father.pk if father else None})
    return child


@transaction.atomic
def household_register(*, actor, person: Person, household: Household | None = None, address: str = "",
                       region: str = "", relation: str = HouseholdRelation.HEAD,
                       occurred_on: dt.date | None = None) -> Household:
    """GAJ enters a person in a household (户籍登记), creating the household when none is given."""
    department = _authorise(actor, EventKind.HOUSEHOLD_REGISTERED, "person.household", "person.address")
    occurred_on = _check_date(occurred_on, "occurred_on")
    _require_alive(person, "person")
    if person.entry_status != EntryStatus.ACTIVE:
        raise ValidationError({"person": _("该人户口已注销。")})
    if relation not in HouseholdRelation.values:
        raise ValidationError({"relation": _("与户主关系无效。")})
    if household is not None and person.household_id == household.pk:
        raise ValidationError({"household": _("该人已在此户中。")})
    if household is None:
        household = _new_household(region=region or DEFAULT_REGION, address=address, registered_on=occurred_on)
        relation = HouseholdRelation.HEAD
    elif relation == HouseholdRelation.HEAD and household.members.filter(
            household_relation=HouseholdRelation.HEAD, entry_status=EntryStatus.ACTIVE).exists():
        raise ValidationError({"relation": _("该户已有户主。")})
    previous = person.household.number if person.household_id else None
    person.household, person.household_relation, person.address = household, relation, household.address
    person.save(update_fields=["household", "household_relation", "address", "updated_at"])
    _record_event(kind=EventKind.HOUSEHOLD_REGISTERED, actor=actor, department=department,
                  occurred_on=occurred_on, person=person,
                  data={"household": household.number, "relation": relation, "previous": previous})
    return household


@transaction.atomic
def person_move(*, actor, person: Person, household: Household | None = None, address: str = "",
                region: str = "", relation: str = HouseholdRelation.OTHER,
                occurred_on: dt.date | None = None) -> Household:
    """GAJ moves a person (迁移): into an existing household, or into a new one at `address`."""
    department = _authorise(actor, EventKind.MOVED, "person.household", "person.address")
    occurred_on = _check_date(occurred_on, "occurred_on")
    _require_alive(person, "person")
    if person.entry_status != EntryStatus.ACTIVE:
        raise ValidationError({"person": _("该人户口已注销。")})
    if person.household_id is None:
        raise ValidationError({"person": _("该人尚未登记户口，请办理户籍登记。")})
    if household is not None and household.pk == person.household_id:
        raise ValidationError({"household": _("迁入户与原户相同。")})
    if household is None and not address.strip():
        raise ValidationError({"address": _("请选择迁入户或填写新住址。")})
    old = person.household
    if household is None:
        household = _new_household(region=region or old.region, address=address, registered_on=occurred_on)
        relation = HouseholdRelation.HEAD
    elif relation not in HouseholdRelation.values or relation == HouseholdRelation.HEAD:
        raise ValidationError({"relation": _("与户主关系无效。")})
    person.household, person.household_relation, person.address = household, relation, household.address
    person.save(update_fields=["household", "household_relation", "address", "updated_at"])
    _record_event(kind=EventKind.MOVED, actor=actor, department=department, occurred_on=occurred_on,
                  person=person, data={"from": old.number, "to": household.number})
    return household


# --- marriage --------------------------------------------------------------------------------------

@transaction.atomic
def marriage_register(*, actor, person: Person, partner: Person, occurred_on: dt.date | None = None) -> RegistryEvent:
    """MZJ registers a marriage (结婚登记): both become married and each other's spouse."""
    department = _authorise(actor, EventKind.MARRIED, "person.marital_status", "person.spouse")
    occurred_on = _check_date(occurred_on, "occurred_on")
    if person.pk == partner.pk:
        raise ValidationError({"partner": _("不能与本人登记结婚。")})
    person, partner = (Person.objects.select_for_update().get(pk=p.pk) for p in (person, partner))
    for field, p in (("person", person), ("partner", partner)):
        _require_alive(p, field)
        if p.marital_status == MaritalStatus.MARRIED or p.spouse_id:
            raise ValidationError({field: _("%(name)s 已登记结婚，不能重复登记。") % {"name": p.name}})
        if _age_on(p, occurred_on) < MARRIAGE_AGE[p.sex]:
            raise ValidationError({field: _("%(name)s 未达到法定婚龄。") % {"name": p.name}})
    if person.sex == partner.sex:
        raise ValidationError({"partner": _("结婚登记的双方应为一男一女。")})
    if partner.pk in (person.father_id, person.mother_id) or person.pk in (partner.father_id, partner.mother_id):
        raise ValidationError({"partner": _("直系血亲禁止结婚。")})
    for p, other in ((person, partner), (partner, person)):
        p.marital_status, p.spouse = MaritalStatus.MARRIED, other
        p.save(update_fields=["marital_status", "spouse", "updated_at"])
    return _record_event(kind=EventKind.MARRIED, actor=actor, department=department, occurred_on=occurred_on,
                         person=person, data={"partner": partner.pk})


@transaction.atomic
def divorce_register(*, actor, person: Person, occurred_on: dt.date | None = None) -> RegistryEvent:
    """MZJ registers a divorce (离婚登记): both become divorced, the spouse links are cleared."""
    department = _authorise(actor, EventKind.DIVORCED, "person.marital_status", "person.spouse")
    occurred_on = _check_date(occurred_on, "occurred_on")
    person = Person.objects.select_for_update().get(pk=person.pk)
    _require_alive(person, "person")
    if person.marital_status != MaritalStatus.MARRIED or person.spouse_id is None:
        raise ValidationError({"person": _("%(name)s 不是已婚状态，不能登记离婚。") % {"name": person.name}})
    partner = Person.objects.select_for_update().get(pk=person.spouse_id)
    _require_alive(partner, "person")
    for p in (person, partner):
        p.marital_status, p.spouse = MaritalStatus.DIVORCED, None
        p.save(update_fields=["marital_status", "spouse", "updated_at"])
    return _record_event(kind=EventKind.DIVORCED, actor=actor, department=department, occurred_on=occurred_on,
                         person=person, data={"partner": partner.pk})


# --- death -----------------------------------------------------------------------------------------

@transaction.atomic
def death_record(*, actor, person: Person, died_on: dt.date, place: str = "") -> RegistryEvent:
    """WJW records a death (死亡医学证明). Household deregistration follows as a GAJ task."""
    department = _authorise(actor, EventKind.DIED, "person.died_on")
    died_on = _check_date(died_on, "died_on")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.died_on is not None:
        raise ValidationError({"person": _("%(name)s 的死亡信息已登记，不能重复登记。") % {"name": person.name}})
    if died_on < person.birth_date:
        raise ValidationError({"died_on": _("死亡日期不能早于出生日期。")})
    person.died_on = died_on
    person.save(update_fields=["died_on", "updated_at"])
    return _record_event(kind=EventKind.DIED, actor=actor, department=department, occurred_on=died_on,
                         person=person, data={"place": place.strip()[:100]} if place else {})


@transaction.atomic
def death_deregister(*, actor, person: Person, occurred_on: dt.date | None = None) -> RegistryEvent:
    """GAJ closes a dead person's household entry (死亡注销户口) and its open 注销户口 task."""
    department = _authorise(actor, EventKind.DEATH_DEREGISTERED, "person.entry_status")
    occurred_on = _check_date(occurred_on, "occurred_on")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.died_on is None:
        raise ValidationError({"person": _("尚未登记死亡信息，不能注销户口。")})
    if person.entry_status != EntryStatus.ACTIVE:
        raise ValidationError({"person": _("该人户口已注销。")})
    person.entry_status = EntryStatus.CLOSED
    person.save(update_fields=["entry_status", "updated_at"])
    FollowUpTask.objects.filter(person=person, kind=TaskKind.DEREGISTER_HOUSEHOLD, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, done_at=timezone.now(), done_by=actor)
    return _record_event(kind=EventKind.DEATH_DEREGISTERED, actor=actor, department=department,
                         occurred_on=occurred_on, person=person,
                         data={"household": person.household.number if person.household_id else None})


# --- entities --------------------------------------------------------------------------------------

def _check_legal_representative(person: Person, on: dt.date) -> None:
    _require_alive(person, "legal_representative")
    if _age_on(person, on) < 18:
        raise ValidationError({"legal_representative": _("法定代表人须年满18周岁。")})


def _free_uscc(region: str) -> str:
    import secrets

    for _attempt in range(20):
        code = make_entity_uscc(registry="91", region=region, serial=10_000_000 + secrets.randbelow(89_999_999))
        if not Entity.objects.filter(uscc=code).exists():
            return code
    raise ValidationError(_("无法分配统一社会信用代码，请重试。"))


@transaction.atomic
def entity_register(*, actor, name: str, legal_representative: Person, address: str,
                    kind: str = EntityKind.COMPANY, uscc: str = "", registered_on: dt.date | None = None,
                    region: str = DEFAULT_REGION) -> Entity:
    """SCJ registers a legal person (设立登记); without `uscc` a new code is assigned."""
    department = _authorise(actor, EventKind.ENTITY_REGISTERED, "entity.uscc", "entity.name", "entity.kind",
                            "entity.legal_representative", "entity.address")
    registered_on = _check_date(registered_on, "registered_on")
    if not (name or "").strip():
        raise ValidationError({"name": _("请填写名称。")})
    if not (address or "").strip():
        raise ValidationError({"address": _("请填写住所。")})
    if kind not in EntityKind.values:
        raise ValidationError({"kind": _("类型无效。")})
    _check_legal_representative(legal_representative, registered_on)
    if uscc:
        try:
            uscc = validate_uscc(uscc)
        except ValidationError as exc:
            raise ValidationError({"uscc": exc.messages}) from None
        if Entity.objects.filter(uscc=uscc).exists():
            raise ValidationError({"uscc": _("该统一社会信用代码已登记。")})
    else:
        uscc = _free_uscc(region)
    if Entity.objects.filter(name=name.strip(), status=EntityStatus.ACTIVE).exists():
        raise ValidationError({"name": _("该名称已被存续的主体使用。")})
    entity = Entity.objects.create(uscc=uscc, name=name.strip(), kind=kind, address=address.strip(),
                                   legal_representative=legal_representative,
                                   legal_representative_name=legal_representative.name,
                                   registered_on=registered_on)
    _record_event(kind=EventKind.ENTITY_REGISTERED, actor=actor, department=department, occurred_on=registered_on,
                  entity=entity, data={"name": entity.name, "kind": kind})
    return entity


@transaction.atomic
def entity_change(*, actor, entity: Entity, name: str | None = None, address: str | None = None,
                  legal_representative: Person | None = None, occurred_on: dt.date | None = None) -> Entity:
    """SCJ registers a change (变更登记) of name, address or legal representative."""
    department = _authorise(actor, EventKind.ENTITY_CHANGED, "entity.name", "entity.address",
                            "entity.legal_representative")
    occurred_on = _check_date(occurred_on, "occurred_on")
    entity = Entity.objects.select_for_update().get(pk=entity.pk)
    if entity.status != EntityStatus.ACTIVE:
        raise ValidationError({"entity": _("该主体已注销或吊销，不能办理变更。")})
    changed = []
    if name is not None and name.strip() and name.strip() != entity.name:
        if Entity.objects.filter(name=name.strip(), status=EntityStatus.ACTIVE).exclude(pk=entity.pk).exists():
            raise ValidationError({"name": _("该名称已被存续的主体使用。")})
        entity.name = name.strip()
        changed.append("name")
    if address is not None and address.strip() and address.strip() != entity.address:
        entity.address = address.strip()
        changed.append("address")
    if legal_representative is not None and legal_representative.pk != entity.legal_representative_id:
        _check_legal_representative(legal_representative, occurred_on)
        entity.legal_representative = legal_representative
        entity.legal_representative_name = legal_representative.name
        changed += ["legal_representative", "legal_representative_name"]
    if not changed:
        raise ValidationError(_("没有需要变更的登记事项。"))
    entity.save(update_fields=[*changed, "updated_at"])
    _record_event(kind=EventKind.ENTITY_CHANGED, actor=actor, department=department, occurred_on=occurred_on,
                  entity=entity, data={"changed": [c for c in changed if c != "legal_representative_name"]})
    return entity


@transaction.atomic
def entity_deregister(*, actor, entity: Entity, occurred_on: dt.date | None = None) -> Entity:
    """SCJ deregisters a legal person (注销登记); tax clearance follows as an SWJ task."""
    department = _authorise(actor, EventKind.ENTITY_DEREGISTERED, "entity.status")
    occurred_on = _check_date(occurred_on, "occurred_on")
    entity = Entity.objects.select_for_update().get(pk=entity.pk)
    if entity.status != EntityStatus.ACTIVE:
        raise ValidationError({"entity": _("该主体已注销或吊销。")})
    entity.status = EntityStatus.DEREGISTERED
    entity.save(update_fields=["status", "updated_at"])
    _record_event(kind=EventKind.ENTITY_DEREGISTERED, actor=actor, department=department,
                  occurred_on=occurred_on, entity=entity)
    return entity


# --- follow-up tasks -------------------------------------------------------------------------------

TASK_TITLES = {
    TaskKind.STOP_PENSION: "停发养老金",
    TaskKind.DEREGISTER_HOUSEHOLD: "注销户口",
    TaskKind.UPDATE_HOUSEHOLD: "变更户口登记项目（婚姻状况）",
    TaskKind.TAX_DEREGISTER: "清税注销",
}


def followup_task_create(*, department: str, kind: str, event: RegistryEvent | None = None,
                         person: Person | None = None, entity: Entity | None = None,
                         title: str = "") -> tuple[FollowUpTask, bool]:
    """Idempotent: a task that exists already for the same person (death tasks) or event is returned."""
    if kind in (TaskKind.STOP_PENSION, TaskKind.DEREGISTER_HOUSEHOLD):
        existing = FollowUpTask.objects.filter(person=person, kind=kind).first()
    else:
        existing = FollowUpTask.objects.filter(event=event, kind=kind).first() if event else None
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            task = FollowUpTask.objects.create(department=department, kind=kind, event=event, person=person,
                                               entity=entity, title=title or TASK_TITLES[kind])
    except IntegrityError:  # the sweep and a subscriber raced: the first one's task stands
        lookup = {"person": person} if kind in (TaskKind.STOP_PENSION, TaskKind.DEREGISTER_HOUSEHOLD) else {
            "event": event}
        return FollowUpTask.objects.get(kind=kind, **lookup), False
    return task, True


@transaction.atomic
def followup_task_complete(*, actor, task: FollowUpTask) -> FollowUpTask:
    """A staff member of the task's department completes it; 注销户口 closes the household entry."""
    if staff_department_code(actor) != task.department:
        raise PermissionDenied(_("只能办理本部门的任务。"))
    task = FollowUpTask.objects.select_for_update(of=("self",)).select_related("person").get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise TaskAlreadyDone(_("该任务已办结。"))
    if (task.kind == TaskKind.DEREGISTER_HOUSEHOLD and task.person is not None
            and task.person.entry_status == EntryStatus.ACTIVE):
        death_deregister(actor=actor, person=task.person)  # also marks this task done
    FollowUpTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, done_at=timezone.now(), done_by=actor)
    task.refresh_from_db()
    audit_record(action="registry.task_complete", actor=actor, target_type="followup_task",
                 target_id=str(task.pk), data={"kind": task.kind, "event": task.event_id})
    return task


def ensure_death_followups() -> int:
    """Sweep: every dead person whose household entry is still active gets a 注销户口 task, even if
    the event was lost or predates the outbox (seed 003). Returns the number of tasks created."""
    from .selectors import dead_persons_without_deregistration_task

    created = 0
    for person in dead_persons_without_deregistration_task():
        event = person.events.filter(kind=EventKind.DIED).order_by("-id").first()
        _task, was_created = followup_task_create(department=EVENT_SOURCES[EventKind.DEATH_DEREGISTERED],
                                                  kind=TaskKind.DEREGISTER_HOUSEHOLD, event=event, person=person)
        if was_created:
            created += 1
            logger.warning("registry: dead person #%s had no 注销户口 task (event %s); created task #%s",
                           person.pk, event.pk if event else None, _task.pk)
    return created
