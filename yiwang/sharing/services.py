"""Writes of the sharing context: the catalogue, conditional sharing requests, and reads of registry
data that are checked against the sharing class and logged (DataAccessRecord).

Read rules (政务数据共享条例) per element, for a staff reader of department D:
- D is the element's source department (一数一源): allowed.
- unconditional (无条件共享): allowed with a stated purpose.
- conditional (有条件共享): allowed with a purpose under an approved, unexpired SharingRequest of D
  that covers the element.
- not shared (不予共享): refused.
One refused element refuses the whole read, and nothing is logged. A person reading their own data
(`own_data_read`) may read every element; that is logged too.

Values are plain JSON: codes for choices (sex "M"/"F", marital_status "married"…), ISO dates, and
small dicts for relations, whose ID numbers are always masked (minimum necessary):
  person.spouse    → {"name", "id_number"} or None
  person.parents   → {"father": {"name", "id_number"} | None, "mother": … | None}
  person.household → {"number", "address", "region", "relation", "members": [{"name", "relation",
                       "id_number"}]} (other active members of the household) or None
  entity.legal_representative → the representative's name
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import audit_record
from yiwang.catalog.selectors import department_list
from yiwang.core.calendar import add_working_days
from yiwang.core.ids import validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number, mask_name, mask_text
from yiwang.identity.constants import AccountKind
from yiwang.identity.selectors import own_subject_hashes, staff_department_code, subject_index
from yiwang.registry import selectors as registry
from yiwang.registry.constants import EntryStatus

from . import selectors
from .constants import (
    SHARING_MAX_VALID_DAYS,
    SHARING_REVIEW_DAYS,
    AccessChannel,
    RequestStatus,
    SharingClass,
    SubjectKind,
    catalog_defaults,
)
from .exceptions import DecisionConflict, NotFound, SharingDenied
from .models import DataAccessRecord, DataElement, SharingRequest

__all__ = [
    "DecisionConflict", "NotFound", "SharingDenied", "access_record", "data_catalog_sync", "entity_data_read",
    "own_data_read", "person_data_read", "sharing_request_approve", "sharing_request_create",
    "sharing_request_refuse", "sharing_request_withdraw", "sharing_requests_expire", "ward_data_read",
]

logger = logging.getLogger(__name__)


def review_days() -> int:
    return int(getattr(settings, "SHARING_REVIEW_DAYS", SHARING_REVIEW_DAYS))


# --- the catalogue -------------------------------------------------------------------------------------

@transaction.atomic
def data_catalog_sync(*, reset: bool = False) -> tuple[int, int]:
    """Create the catalogue from registry DATA_SOURCES; idempotent. The source department always
    follows DATA_SOURCES (the registry enforces it on writes); class, name and description edited in
    the admin are kept unless `reset`. Returns (created, updated)."""
    created = updated = 0
    existing = {e.code: e for e in DataElement.objects.all()}
    for row in catalog_defaults():
        element = existing.get(row["code"])
        if element is None:
            DataElement.objects.create(**row)
            created += 1
            continue
        fields = row if reset else {"source_department": row["source_department"],
                                    "subject_kind": row["subject_kind"]}
        changed = [k for k, v in fields.items() if getattr(element, k) != v]
        if changed:
            for key in changed:
                setattr(element, key, fields[key])
            element.save(update_fields=[*changed, "updated_at"])
            updated += 1
    return created, updated


# --- sharing requests ----------------------------------------------------------------------------------

def _department(code: str):
    return department_list().filter(code=code).first()


@transaction.atomic
def sharing_request_create(*, user, elements: list[str], purpose: str, legal_basis: str,
                           valid_until: dt.date) -> SharingRequest:
    """A staff user asks, for their department, to read conditional elements of ONE source department.
    Raises SharingDenied for a non-staff user, ValidationError for anything wrong in the request."""
    code = staff_department_code(user)
    if not code:
        raise SharingDenied(_("只有部门工作人员可以申请数据共享。"))
    errors: dict[str, list[str]] = {}
    codes = list(dict.fromkeys(c.strip() for c in elements or [] if c and c.strip()))
    found = selectors.data_elements_by_code(codes)
    chosen = [found[c] for c in codes if c in found]
    unknown = [c for c in codes if c not in found]
    if not codes:
        errors["elements"] = [_("请至少选择一个数据项。")]
    elif unknown:
        errors["elements"] = [_("数据资源目录中没有这些数据项：%(codes)s") % {"codes": "、".join(unknown)}]
    elif any(e.sharing_class != SharingClass.CONDITIONAL for e in chosen):
        names = "、".join(e.name for e in chosen if e.sharing_class != SharingClass.CONDITIONAL)
        errors["elements"] = [_("只有“有条件共享”的数据项需要申请：%(names)s 不能申请。") % {"names": names}]
    elif len({e.source_department for e in chosen}) > 1:
        errors["elements"] = [_("一次申请只能包含同一来源部门的数据项。")]
    elif chosen[0].source_department == code:
        errors["elements"] = [_("本部门是这些数据的来源部门，无需申请。")]
    source = _department(chosen[0].source_department) if chosen and "elements" not in errors else None
    if chosen and "elements" not in errors and source is None:
        errors["elements"] = [_("来源部门不存在。")]
    purpose, legal_basis = (purpose or "").strip(), (legal_basis or "").strip()
    if not purpose:
        errors["purpose"] = [_("请说明数据的用途。")]
    if not legal_basis:
        errors["legal_basis"] = [_("请填写法律依据。")]
    today = timezone.localdate()
    longest = int(getattr(settings, "SHARING_MAX_VALID_DAYS", SHARING_MAX_VALID_DAYS))
    if not isinstance(valid_until, dt.date) or valid_until <= today:
        errors["valid_until"] = [_("有效期须晚于今天。")]
    elif valid_until > today + dt.timedelta(days=longest):
        errors["valid_until"] = [_("有效期最长 %(days)d 天。") % {"days": longest}]
    if errors:
        raise ValidationError(errors)
    sharing_request = SharingRequest.objects.create(
        requesting_department=user.department, source_department=source, purpose=purpose,
        legal_basis=legal_basis, valid_until=valid_until, requested_by=user,
        due_at=add_working_days(today, review_days()),
    )
    sharing_request.elements.set(chosen)
    audit_record(action="sharing.request_created", actor=user, target_type="sharing_request",
                 target_id=str(sharing_request.pk),
                 data={"source_department": source.code, "elements": codes, "valid_until": valid_until.isoformat()})
    return sharing_request


def _locked_for_decision(*, user, sharing_request: SharingRequest) -> SharingRequest:
    locked = SharingRequest.objects.select_for_update().select_related("source_department").get(
        pk=sharing_request.pk)
    if not selectors.can_decide(user, locked):
        raise SharingDenied(_("只有来源部门的数据专员可以审核该申请。"))
    if locked.status != RequestStatus.PENDING:
        raise DecisionConflict(_("该申请已处理（%(status)s），不能重复审核。") % {"status": locked.get_status_display()})
    return locked


@transaction.atomic
def sharing_request_approve(*, user, sharing_request: SharingRequest, reasons: str = "") -> SharingRequest:
    """The source department's data officer agrees. Raises SharingDenied, DecisionConflict."""
    locked = _locked_for_decision(user=user, sharing_request=sharing_request)
    if locked.valid_until < timezone.localdate():
        raise DecisionConflict(_("该申请的有效期已过，不能再同意。"))
    locked.status, locked.decided_by, locked.decided_at = RequestStatus.APPROVED, user, timezone.now()
    locked.reasons = (reasons or "").strip()
    locked.save(update_fields=["status", "decided_by", "decided_at", "reasons", "updated_at"])
    audit_record(action="sharing.request_approved", actor=user, target_type="sharing_request",
                 target_id=str(locked.pk), data={"requesting_department": locked.requesting_department.code,
                                                 "overdue": locked.due_at < timezone.localdate()})
    return locked


@transaction.atomic
def sharing_request_refuse(*, user, sharing_request: SharingRequest, reasons: str) -> SharingRequest:
    """Refusal needs reasons (不予共享的，应当说明理由). Raises SharingDenied, DecisionConflict,
    ValidationError."""
    reasons = (reasons or "").strip()
    locked = _locked_for_decision(user=user, sharing_request=sharing_request)
    if not reasons:
        raise ValidationError({"reasons": [_("拒绝共享须说明理由。")]})
    locked.status, locked.decided_by, locked.decided_at = RequestStatus.REFUSED, user, timezone.now()
    locked.reasons = reasons
    locked.save(update_fields=["status", "decided_by", "decided_at", "reasons", "updated_at"])
    audit_record(action="sharing.request_refused", actor=user, target_type="sharing_request",
                 target_id=str(locked.pk), data={"requesting_department": locked.requesting_department.code,
                                                 "reasons": reasons})
    return locked


@transaction.atomic
def sharing_request_withdraw(*, user, sharing_request: SharingRequest) -> SharingRequest:
    """The requesting department withdraws a pending request, or ends an approved one early."""
    locked = SharingRequest.objects.select_for_update().select_related("requesting_department").get(
        pk=sharing_request.pk)
    if staff_department_code(user) != locked.requesting_department.code:
        raise SharingDenied(_("只有申请部门可以撤回申请。"))
    if locked.status not in (RequestStatus.PENDING, RequestStatus.APPROVED):
        raise DecisionConflict(_("该申请已结束，不能撤回。"))
    locked.status = RequestStatus.WITHDRAWN
    locked.save(update_fields=["status", "updated_at"])
    audit_record(action="sharing.request_withdrawn", actor=user, target_type="sharing_request",
                 target_id=str(locked.pk))
    return locked


@transaction.atomic
def sharing_requests_expire(*, today: dt.date | None = None) -> int:
    """Mark approved requests past their validity as expired. Idempotent (a periodic sweep); reads
    never rely on it, they check valid_until themselves."""
    today = today or timezone.localdate()
    expired = list(SharingRequest.objects.select_for_update()
                   .filter(status=RequestStatus.APPROVED, valid_until__lt=today).values_list("pk", flat=True))
    if expired:
        SharingRequest.objects.filter(pk__in=expired).update(status=RequestStatus.EXPIRED, updated_at=timezone.now())
        for pk in expired:
            audit_record(action="sharing.request_expired", target_type="sharing_request", target_id=str(pk))
    return len(expired)


# --- reads ---------------------------------------------------------------------------------------------

def _resolve_elements(codes, subject_kind: str) -> list[DataElement]:
    if isinstance(codes, str):
        codes = codes.split(",")
    wanted = list(dict.fromkeys(c.strip() for c in codes or [] if c and c.strip()))
    if not wanted:
        raise ValidationError({"elements": [_("请至少指定一个数据项。")]})
    found = selectors.data_elements_by_code(wanted)
    bad = [c for c in wanted if c not in found or found[c].subject_kind != subject_kind]
    if bad:
        raise ValidationError({"elements": [_("数据资源目录中没有这些数据项：%(codes)s") % {"codes": "、".join(bad)}]})
    return [found[c] for c in wanted]


def _check_sharing(*, department: str, elements: list[DataElement], purpose: str) -> None:
    """Raise SharingDenied naming every refused element, or ValidationError when a purpose is needed."""
    denied, needs_purpose, granted = [], False, None
    for element in elements:
        if element.source_department == department:
            continue
        if element.sharing_class == SharingClass.UNCONDITIONAL:
            needs_purpose = True
        elif element.sharing_class == SharingClass.CONDITIONAL:
            needs_purpose = True
            if granted is None:
                granted = selectors.granted_element_codes(department)
            if element.code not in granted:
                denied.append(element.code)
        else:
            denied.append(element.code)
    if denied:
        logger.warning("Sharing denied: department %s, elements %s", department, ",".join(denied))
        raise SharingDenied(_("无权读取这些数据项。"), elements=denied)
    if needs_purpose and not (purpose or "").strip():
        raise ValidationError({"purpose": [_("读取其他部门的数据须说明用途。")]})


def _ref(person) -> dict | None:
    return {"name": person.name, "id_number": mask_id_number(person.id_number)} if person else None


def _person_value(person, code: str):
    field = code.split(".", 1)[1]
    if field in ("birth_date", "died_on"):
        value = getattr(person, field)
        return value.isoformat() if value else None
    if field == "spouse":
        return _ref(person.spouse)
    if field == "parents":
        return {"father": _ref(person.father), "mother": _ref(person.mother)}
    if field == "household":
        household = person.household
        if household is None:
            return None
        members = (household.members.exclude(pk=person.pk).filter(entry_status=EntryStatus.ACTIVE)
                   .order_by("id"))
        return {"number": household.number, "address": household.address, "region": household.region,
                "relation": person.household_relation,
                "members": [{**_ref(m), "relation": m.household_relation} for m in members]}
    return getattr(person, field)


def _entity_value(entity, code: str):
    field = code.split(".", 1)[1]
    if field == "legal_representative":
        return entity.legal_representative_name
    return getattr(entity, field)


def _reader_label(user) -> str:
    if getattr(user, "kind", "") != AccountKind.STAFF:
        return _("本人")
    return mask_name(user.display_name or user.get_username())


def _person_label(person) -> str:
    return f"{mask_name(person.name)} {mask_id_number(person.id_number)}"


def _write_record(*, reader, department: str, subject_kind: str, subject_hash: str, subject_label: str,
                  elements: list[str], purpose: str, case_number: str, channel: str,
                  reader_label: str = "") -> DataAccessRecord:
    if channel not in AccessChannel.values:
        raise ValueError(f"unknown access channel {channel!r}")
    reader_label = reader_label or (_reader_label(reader) if reader else "")
    return DataAccessRecord.objects.create(
        reader=reader if getattr(reader, "pk", None) else None, reader_label=reader_label[:80],
        department=department or "", subject_kind=subject_kind, subject_hash=subject_hash,
        subject_label=mask_text(subject_label)[:120], elements=[str(e)[:60] for e in elements],
        purpose=mask_text((purpose or "").strip())[:500],
        case_number=(case_number or "").strip()[:40], channel=channel,
    )


def _staff_department(requester) -> str:
    department = staff_department_code(requester)
    if not department:
        raise SharingDenied(_("只有部门工作人员可以通过数据共享读取数据。"))
    return department


def _valid(validator, value, field: str) -> str:
    try:
        return validator(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@transaction.atomic
def person_data_read(*, requester, id_number: str, elements, purpose: str, case_number: str = "",
                     channel: str = AccessChannel.STAFF_LOOKUP, include_deceased: bool = False) -> dict:
    """element code → value of a living person, for a staff reader (rules in the module docstring).

    Raises ValidationError (malformed number, unknown element, missing purpose), SharingDenied (an
    element the reader's department may not read: checked before the person is looked up), NotFound
    (no such person, or dead unless `include_deceased`, e.g. for 身后一件事)."""
    department = _staff_department(requester)
    number = _valid(validate_id_number, id_number, "id_number")
    chosen = _resolve_elements(elements, SubjectKind.PERSON)
    _check_sharing(department=department, elements=chosen, purpose=purpose)
    person = registry.person_by_id_number(number)
    if person is None or (person.died_on is not None and not include_deceased):
        raise NotFound(_("查无此人。"))
    values = {e.code: _person_value(person, e.code) for e in chosen}
    _write_record(reader=requester, department=department, subject_kind=SubjectKind.PERSON,
                  subject_hash=subject_index(number), subject_label=_person_label(person),
                  elements=list(values), purpose=purpose, case_number=case_number, channel=channel)
    return values


@transaction.atomic
def entity_data_read(*, requester, uscc: str, elements, purpose: str, case_number: str = "",
                     channel: str = AccessChannel.STAFF_LOOKUP) -> dict:
    """element code → value of a registered entity (法人库), same rules as person_data_read."""
    department = _staff_department(requester)
    code = _valid(validate_uscc, uscc, "uscc")
    chosen = _resolve_elements(elements, SubjectKind.ENTITY)
    _check_sharing(department=department, elements=chosen, purpose=purpose)
    entity = registry.entity_by_uscc(code)
    if entity is None:
        raise NotFound(_("查无此法人。"))
    values = {e.code: _entity_value(entity, e.code) for e in chosen}
    _write_record(reader=requester, department=department, subject_kind=SubjectKind.ENTITY,
                  subject_hash=subject_index(code), subject_label=entity.name, elements=list(values),
                  purpose=purpose, case_number=case_number, channel=channel)
    return values


@transaction.atomic
def own_data_read(*, user, elements, purpose: str, case_number: str = "", uscc: str = "") -> dict:
    """A citizen's own data (or, with `uscc`, an entity the enterprise account acts for), e.g. to
    prefill their own form. Every element is allowed; the read is logged like any other."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound(_("查无此人。"))
    if uscc:
        code = _valid(validate_uscc, uscc, "uscc")
        if user.kind != AccountKind.ENTERPRISE or subject_index(code) not in own_subject_hashes(user):
            raise NotFound(_("查无此法人。"))
        chosen = _resolve_elements(elements, SubjectKind.ENTITY)
        entity = registry.entity_by_uscc(code)
        if entity is None:
            raise NotFound(_("查无此法人。"))
        values = {e.code: _entity_value(entity, e.code) for e in chosen}
        kind, subject_hash, label = SubjectKind.ENTITY, subject_index(code), entity.name
    else:
        chosen = _resolve_elements(elements, SubjectKind.PERSON)
        person = registry.person_by_id_number(user.id_number) if user.id_number_hash and user.id_number else None
        if person is None or person.died_on is not None:
            raise NotFound(_("查无此人。"))
        values = {e.code: _person_value(person, e.code) for e in chosen}
        kind, subject_hash, label = SubjectKind.PERSON, person.id_number_hash, _person_label(person)
    _write_record(reader=user, department="", subject_kind=kind, subject_hash=subject_hash, subject_label=label,
                  elements=list(values), purpose=purpose, case_number=case_number, channel=AccessChannel.PREFILL)
    return values


@transaction.atomic
def ward_data_read(*, user, person, elements, purpose: str, case_number: str = "") -> dict:
    """A parent reads their minor child's registry data (监护人), e.g. to prefill 新生儿出生一件事.
    NotFound unless the registry's birth record makes the user a guardian of `person` (one message:
    no oracle). `person.parents` comes with full numbers, as the forms need them; reading it is
    logged for the other parent too, since it is their identity being read."""
    own = registry.person_of_account(user)
    if not registry.is_guardian(own, person):
        raise NotFound(_("查无此人。"))
    chosen = _resolve_elements(elements, SubjectKind.PERSON)
    values = {}
    for element in chosen:
        if element.code == "person.parents":
            values[element.code] = {role: {"name": p.name, "id_number": p.id_number} if p else None
                                    for role, p in (("father", person.father), ("mother", person.mother))}
        else:
            values[element.code] = _person_value(person, element.code)
    label = _("监护人 %(name)s") % {"name": mask_name(user.display_name or own.name)}
    _write_record(reader=user, department="", subject_kind=SubjectKind.PERSON, subject_hash=person.id_number_hash,
                  subject_label=_person_label(person), elements=list(values), purpose=purpose,
                  case_number=case_number, channel=AccessChannel.PREFILL, reader_label=label)
    other = next((p for p in (person.father, person.mother) if p is not None and p.pk != own.pk), None)
    if "person.parents" in values and other is not None:
        _write_record(reader=user, department="", subject_kind=SubjectKind.PERSON, subject_hash=other.id_number_hash,
                      subject_label=_person_label(other), elements=["person.name", "person.id_number"],
                      purpose=purpose, case_number=case_number, channel=AccessChannel.PREFILL,
                      reader_label=_("子女的监护人 %(name)s") % {"name": mask_name(user.display_name or own.name)})
    return values


@transaction.atomic
def access_record(*, reader, elements: list[str], purpose: str, channel: str, case_number: str = "",
                  id_number: str = "", uscc: str = "", subject_hash: str = "", subject_label: str = "",
                  subject_kind: str = SubjectKind.PERSON, department: str | None = None) -> DataAccessRecord:
    """Log that `reader` was shown a subject's data outside the read services above (e.g. the staff
    task page showing an application). Give exactly one of id_number, uscc or subject_hash (a
    blind index from yiwang.identity.selectors.subject_index). `elements` are catalogue codes or
    other short keys; `department` defaults to the reader's department."""
    given = [bool(id_number), bool(uscc), bool(subject_hash)]
    if sum(given) != 1:
        raise ValueError("give exactly one of id_number, uscc, subject_hash")
    if id_number:
        kind, subject_hash = SubjectKind.PERSON, subject_index(id_number)
        subject_label = subject_label or mask_id_number(id_number)
    elif uscc:
        kind, subject_hash = SubjectKind.ENTITY, subject_index(uscc)
        subject_label = subject_label or uscc
    else:
        kind = subject_kind
    if department is None:
        department = staff_department_code(reader) or ""
    return _write_record(reader=reader, department=department, subject_kind=kind, subject_hash=subject_hash,
                         subject_label=subject_label, elements=list(elements), purpose=purpose,
                         case_number=case_number, channel=channel)
