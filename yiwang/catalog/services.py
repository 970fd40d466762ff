"""Writes to the catalogue. A published version is never edited: changes go into a new draft.

The canonical exchange format of an item is the dict of ../shared/data/service_items.json (see
data/catalog/README.md); `item_import` turns one such dict into a published version.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .constants import (
    CASE_KIND,
    HANDLING_FORM,
    ITEM_KIND,
    LEVEL,
    SCOPE,
    TARGET,
    VersionStatus,
)
from .models import (
    Department,
    FormField,
    LicenseType,
    LifeEvent,
    LifeEventItem,
    Material,
    Output,
    ProcessStep,
    ServiceItem,
    ServiceItemVersion,
)


def content_digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _reindex_after_commit(*, item_codes=(), life_event_codes=()):
    from .search import indexing

    indexing.schedule(item_codes=item_codes, life_event_codes=life_event_codes)


def department_upsert(*, code: str, name: str, kind: str, credit_code: str = "") -> tuple[Department, bool]:
    dept, created = Department.objects.get_or_create(
        code=code, defaults={"name": name, "kind": kind, "credit_code": credit_code})
    if not created and (dept.name, dept.kind, dept.credit_code) != (name, kind, credit_code):
        dept.name, dept.kind, dept.credit_code = name, kind, credit_code
        dept.save()
    return dept, created


def license_type_upsert(*, code: str, name: str, issuer: str, holder: str, fields: list) -> tuple[LicenseType, bool]:
    dept = Department.objects.get(code=issuer)
    values = {"name": name, "issuer": dept, "holder": holder, "fields": list(fields)}
    lt, created = LicenseType.objects.get_or_create(code=code, defaults=values)
    if not created and (lt.name, lt.issuer_id, lt.holder, lt.fields) != (name, dept.id, holder, list(fields)):
        for key, value in values.items():
            setattr(lt, key, value)
        lt.save()
    return lt, created


def _derived_handling_forms(data: dict) -> list[str]:
    forms = ["窗口办理"]  # any comprehensive window accepts any item
    if data["online_depth"] >= 3:
        forms += ["网上办理", "移动端办理"]
    if data["max_visits"] == 0 and data["online_depth"] < 4:
        forms.append("快递申请")
    return forms


@dataclass(frozen=True)
class CatalogLookups:
    """Code lists, departments and licence types by code: loaded once for a whole import."""

    codes: dict[str, dict]
    departments: dict[str, Department]
    license_types: dict[str, LicenseType]

    @classmethod
    def load(cls) -> "CatalogLookups":
        return cls(
            codes={name: selectors.code_lookup(name)
                   for name in (ITEM_KIND, TARGET, LEVEL, CASE_KIND, SCOPE, HANDLING_FORM)},
            departments={d.code: d for d in Department.objects.all()},
            license_types={lt.code: lt for lt in LicenseType.objects.all()},
        )


@transaction.atomic
def _create_version(*, item: ServiceItem, data: dict, status: str, user=None, digest: str = "",
                    lookups: CatalogLookups | None = None) -> ServiceItemVersion:
    lookups = lookups or CatalogLookups.load()
    codes, departments, license_types = lookups.codes, lookups.departments, lookups.license_types
    fee = data.get("fee") or {}
    last = item.versions.order_by("-version").values_list("version", flat=True).first() or 0
    version = ServiceItemVersion.objects.create(
        item=item,
        version=last + 1,
        status=status,
        name=data["name"],
        kind=codes[ITEM_KIND][data["type"]],
        department=departments[data["department"]],
        level=codes[LEVEL][data["level"]],
        case_kind=codes[CASE_KIND][data.get("case_kind") or ("即办件" if data["promised_days"] == 0 else "承诺件")],
        scope=codes[SCOPE][data["scope"]],
        legal_basis=list(data.get("legal_basis") or []),
        conditions=list(data.get("conditions") or []),
        statutory_days=data["statutory_days"],
        promised_days=data["promised_days"],
        fee_charged=bool(fee.get("charged")),
        fee_standard=fee.get("standard") or "",
        fee_amount=Decimal(str(fee["amount_yuan"])) if fee.get("amount_yuan") is not None else None,
        max_visits=data["max_visits"],
        visit_reason=data.get("visit_reason") or "",
        online_depth=data["online_depth"],
        tolerant_acceptance=bool(data.get("tolerant_acceptance")),
        consult_phone=data.get("consult_phone") or "",
        supervise_phone=data.get("supervise_phone") or "",
        location=data.get("location") or "",
        keywords=list(data.get("keywords") or []),
        effective_from=data.get("effective_from") or None,
        content_digest=digest,
        created_by=user,
    )
    version.targets.set([codes[TARGET][t] for t in data["targets"]])
    version.handling_forms.set([codes[HANDLING_FORM][f] for f in data.get("handling_forms") or
                                _derived_handling_forms(data)])
    version.parallel_departments.set([departments[c] for c in data.get("parallel_departments") or []])
    tolerant = set(data.get("tolerant_materials") or [])
    Material.objects.bulk_create(
        Material(
            version=version, position=i, name=m["name"], required=bool(m.get("required")), form=m.get("form") or "",
            copies=m.get("copies") or 0, source=m.get("source") or "",
            license_type=license_types.get(m.get("license_type")) if m.get("license_type") else None,
            note=m.get("note") or "", tolerant=m["name"] in tolerant,
        )
        for i, m in enumerate(data.get("materials") or [])
    )
    FormField.objects.bulk_create(
        FormField(
            version=version, position=i, key=f["key"], label=f.get("name") or f.get("label") or f["key"],
            type=f["type"], required=bool(f.get("required")), prefill_source=f.get("prefill") or "",
            validation=f.get("validation") or {},
        )
        for i, f in enumerate(data.get("form_fields") or [])
    )
    ProcessStep.objects.bulk_create(
        ProcessStep(version=version, position=i, name=s["step"], role=s.get("role") or "", days=s.get("days") or 0)
        for i, s in enumerate(data.get("process") or [])
    )
    Output.objects.bulk_create(
        Output(version=version, position=i, name=o["name"],
               license_type=license_types.get(o.get("license_type")) if o.get("license_type") else None)
        for i, o in enumerate(data.get("outputs") or [])
    )
    return version


@transaction.atomic
def item_import(*, data: dict, user=None, lookups: CatalogLookups | None = None) -> tuple[ServiceItemVersion, bool]:
    """Publish `data` (already validated) as the item's new version unless it equals the current one.

    Returns (version, changed). Re-importing unchanged data changes nothing. Pass `lookups` when
    importing many items so reference data is read once, not per item.
    """
    digest = content_digest(data)
    item, _created = ServiceItem.objects.select_for_update().get_or_create(code=data["code"])
    current = item.current_version
    if current is not None and current.content_digest == digest:
        return current, False
    version = _create_version(item=item, data=data, status=VersionStatus.DRAFT, user=user, digest=digest,
                              lookups=lookups)
    item_version_publish(version=version, user=user)
    return version, True


@transaction.atomic
def item_version_create_draft(*, item: ServiceItem, user=None) -> ServiceItemVersion:
    """A new draft copied from the current version, for editors to change."""
    source = item.current_version or item.versions.order_by("-version").first()
    if source is None:
        raise ValidationError(_("该事项没有可复制的版本。"))
    if item.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]).exists():
        raise ValidationError(_("该事项已有未发布的草稿，请先处理该草稿。"))
    last = item.versions.order_by("-version").values_list("version", flat=True).first()
    targets, forms, parallel = list(source.targets.all()), list(source.handling_forms.all()), list(
        source.parallel_departments.all())
    children = {
        "materials": list(source.materials.all()),
        "form_fields": list(source.form_fields.all()),
        "process_steps": list(source.process_steps.all()),
        "outputs": list(source.outputs.all()),
    }
    draft = ServiceItemVersion.objects.get(pk=source.pk)
    draft.pk = draft.id = None
    draft.version = last + 1
    draft.status = VersionStatus.DRAFT
    draft.created_by, draft.reviewed_by, draft.published_at = user, None, None
    draft.review_note, draft.content_digest = "", ""
    draft.effective_from = draft.cancelled_on = None
    draft.save()
    draft.targets.set(targets)
    draft.handling_forms.set(forms)
    draft.parallel_departments.set(parallel)
    for rows in children.values():
        for row in rows:
            row.pk = row.id = None
            row.version = draft
        if rows:
            type(rows[0]).objects.bulk_create(rows)
    return draft


def _require_status(version: ServiceItemVersion, *allowed: str) -> None:
    if version.status not in allowed:
        raise ValidationError(
            _("版本状态为“%(status)s”，不能执行该操作。") % {"status": version.get_status_display()}
        )


def item_version_validate(version: ServiceItemVersion) -> None:
    """The consistency rules of the catalogue audit (STANDARDS.md), for drafts edited by hand."""
    errors = []
    if version.promised_days > version.statutory_days:
        errors.append(_("承诺办结时限不能超过法定办结时限。"))
    if version.max_visits > 0 and not version.visit_reason.strip():
        errors.append(_("到现场次数大于0时必须说明到现场原因。"))
    if version.online_depth == 4 and version.max_visits > 0:
        errors.append(_("全程网办（深度4）的事项到现场次数必须为0。"))
    if version.fee_charged and not version.fee_standard.strip():
        errors.append(_("收费事项必须填写收费标准。"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def item_version_submit(*, version: ServiceItemVersion, user=None) -> ServiceItemVersion:
    _require_status(version, VersionStatus.DRAFT)
    item_version_validate(version)
    version.status = VersionStatus.IN_REVIEW
    version.save(update_fields=["status", "updated_at"])
    return version


@transaction.atomic
def item_version_return(*, version: ServiceItemVersion, user=None, note: str = "") -> ServiceItemVersion:
    _require_status(version, VersionStatus.IN_REVIEW)
    version.status = VersionStatus.DRAFT
    version.review_note = note
    version.reviewed_by = user
    version.save(update_fields=["status", "review_note", "reviewed_by", "updated_at"])
    return version


@transaction.atomic
def item_version_publish(*, version: ServiceItemVersion, user=None) -> ServiceItemVersion:
    """Publish a version: the previous published one is retired (kept, never edited)."""
    _require_status(version, VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
    item_version_validate(version)
    item = ServiceItem.objects.select_for_update().get(pk=version.item_id)
    today = timezone.localdate()
    item.versions.filter(status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED, cancelled_on=today, updated_at=timezone.now()
    )
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.reviewed_by = user if version.reviewed_by_id is None else version.reviewed_by
    version.effective_from = version.effective_from or today
    version.save()
    item.current_version = version
    item.save(update_fields=["current_version", "updated_at"])
    _reindex_after_commit(item_codes=[item.code],
                          life_event_codes=list(item.life_events.values_list("code", flat=True)))
    return version


@transaction.atomic
def item_withdraw(*, item: ServiceItem, user=None) -> None:
    """Take an item out of the catalogue (取消): its published version is retired."""
    today = timezone.localdate()
    item.versions.filter(status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED, cancelled_on=today, updated_at=timezone.now()
    )
    item.current_version = None
    item.save(update_fields=["current_version", "updated_at"])
    _reindex_after_commit(item_codes=[item.code])


@transaction.atomic
def life_event_upsert(*, code: str, name: str, targets: list[str], description: str, trigger: str | None,
                      items: list[str]) -> tuple[LifeEvent, bool]:
    target_codes = selectors.code_lookup(TARGET)
    event, created = LifeEvent.objects.get_or_create(code=code, defaults={"name": name})
    changed = created or (event.name, event.description, event.trigger or "") != (name, description, trigger or "")
    event.name, event.description, event.trigger = name, description, trigger or ""
    if changed:
        event.save()
    event.targets.set([target_codes[t] for t in targets])
    item_ids = dict(ServiceItem.objects.filter(code__in=items).values_list("code", "id"))
    current = list(event.entries.order_by("position").values_list("item__code", flat=True))
    if current != list(items):
        event.entries.all().delete()
        LifeEventItem.objects.bulk_create(
            LifeEventItem(life_event=event, item_id=item_ids[c], position=i) for i, c in enumerate(items)
        )
        changed = True
    _reindex_after_commit(life_event_codes=[code])
    return event, changed
