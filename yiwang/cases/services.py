"""Writes: start an application (joint form + prefill), save its draft, upload materials, submit it
into cases with numbers, licence uses and the workflow hand-over."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import audit_record
from yiwang.identity.constants import AccountKind
from yiwang.identity.selectors import active_memberships, proxy_grant_for

from . import joint_form, permissions, prefill, selectors
from .constants import (
    MAGIC_TYPES,
    MAX_UPLOAD_MB,
    PROXY_MATERIAL_PREFIXES,
    ApplicationStatus,
    CaseStatus,
    Channel,
    Delivery,
    MaterialStatus,
    ScanStatus,
    SupplyKind,
)
from .models import (
    Application,
    ApplicationMaterial,
    Case,
    CaseDocument,
    CaseSupply,
    IdempotencyRecord,
)
from .naming import display_name, on_behalf_label
from .scanning import get_scanner
from .submit import Conflict, SubmitRequest, SubmitResult, replayed, submit

__all__ = ["Conflict", "SubmitResult"]  # raised and returned here, defined with the submit




# --- start -----------------------------------------------------------------------------------------------

def _principal(user, on_behalf_of, item_codes: list[str]):
    """(applicant, grant): the user themself, or the principal of a valid grant covering every item."""
    if on_behalf_of in (None, ""):
        return user, None
    try:
        principal_id = int(on_behalf_of)
    except (TypeError, ValueError):
        raise ValidationError({"on_behalf_of": [_("委托人编号无效。")]}) from None
    if principal_id == user.pk:
        return user, None
    grants = [proxy_grant_for(proxy=user, principal_id=principal_id, item_code=code) for code in item_codes]
    if not all(grants):
        # One message for "no such user" and "no grant": no oracle for who has an account.
        raise ValidationError({"on_behalf_of": [_("您没有该委托人办理这些事项的有效代办授权。")]})
    return grants[0].principal, grants[0]


def _subject_uscc(applicant) -> str:
    if applicant.kind != AccountKind.ENTERPRISE:
        return ""
    membership = active_memberships(applicant).order_by("created_at", "id").first()
    return membership.entity_uscc if membership else ""


def _application_create(*, user, applicant, grant, channel: str, title: str, versions, item_code: str,
                        life_event_code: str, purpose: str, beneficiary=None) -> Application:
    """A draft for `applicant` started by `user` (themself, their proxy or a window clerk): the joint
    form prefilled as the applicant's own data read, and the licences they hold as materials.
    `beneficiary`: the registry person it is for when not the applicant (their ward)."""
    codes = [v.item.code for v in versions]
    fields, file_materials = joint_form.merge_fields(versions)
    uscc = _subject_uscc(applicant)
    produced = joint_form.bundle_outputs(versions)
    materials = joint_form.merge_materials(versions, file_materials)
    # The licences are read once, for the form's values and for the materials held by the government.
    types = {m["license_type"] for m in materials if m["license_type"]} | prefill.license_types_of(fields)
    held = {False: selectors.valid_licenses_by_type(applicant, types) if types else {},
            True: selectors.valid_licenses_by_type(user, types) if grant is not None and types else {}}
    ward_held = (selectors.valid_licenses_by_holder(beneficiary.id_number, types)
                 if beneficiary is not None and types else {})
    pre = prefill.prefill(applicant=applicant, fields=fields, purpose=purpose, licenses=held[False],
                          ward_licenses=ward_held, uscc=uscc, beneficiary=beneficiary, bundle_outputs=produced)
    application = Application(
        applicant=applicant, submitted_by=user, proxy_grant=grant, item_code=item_code or "",
        life_event_code=life_event_code or "", title=title, subject_uscc=uscc, channel=channel,
        items=[{"code": v.item.code, "name": v.name, "version_id": v.pk, "department": v.department.code}
               for v in versions],
        form=joint_form.form_definition(fields, sources=pre.sources, facts=pre.facts),
    )
    if beneficiary is not None:
        application.beneficiary_id_number = beneficiary.id_number
        application.beneficiary_hash = beneficiary.id_number_hash
        application.beneficiary_name = beneficiary.name
    application.values, application.fact_values = pre.values, pre.facts
    application.save()

    rows = []
    for position, m in enumerate(materials):
        of_proxy = m["name"].startswith(PROXY_MATERIAL_PREFIXES)
        license = ward_held.get(m["license_type"]) or held[of_proxy].get(m["license_type"])
        producers = produced.get(m["license_type"], set())
        if license:
            status = MaterialStatus.HELD_BY_GOVERNMENT
        elif producers and not producers & set(m["item_codes"]):
            status = MaterialStatus.FROM_BUNDLE  # issued by another item of this application
        elif m.get("online_form"):
            status = MaterialStatus.FILLED_ONLINE
        else:
            status = MaterialStatus.MISSING
        rows.append(ApplicationMaterial(
            application=application, position=position, name=m["name"], required=m["required"],
            item_codes=m["item_codes"], license_type_code=m["license_type"], of_proxy=of_proxy, status=status,
            license_identifier=license.identifier if license else ""))
    ApplicationMaterial.objects.bulk_create(rows)
    data = {"items": codes, "life_event": life_event_code or "", "prefilled": sorted(pre.sources), "channel": channel}
    if beneficiary is not None:
        data["beneficiary"] = beneficiary.name
    audit_record(action="application.start", actor=user, target_type="cases.Application",
                 target_id=str(application.pk), on_behalf_of=on_behalf_label(application), data=data)
    return application


def _beneficiary(*, applicant, life_event_code: str, beneficiary):
    """The ward the application is for: the given one (an ID number) if the registry makes the
    applicant their guardian; for 新生儿出生一件事 the newborn, chosen when there is exactly one."""
    from yiwang.registry import selectors as registry

    own = registry.person_of_account(applicant)
    if beneficiary not in (None, ""):
        try:
            child = registry.person_by_id_number(str(beneficiary))
        except ValidationError:
            child = None
        if child is None or not registry.is_guardian(own, child):
            # One message for "no such person" and "not your ward": no oracle.
            raise ValidationError({"beneficiary": [_("登记信息中您不是该服务对象的监护人。")]})
        return child
    if not selectors.is_newborn_event(life_event_code):
        return None
    newborns = registry.newborn_children(own) if own is not None else []
    if len(newborns) == 1:
        return newborns[0]
    if not newborns:
        raise ValidationError({"beneficiary": [_(
            "未查询到您子女的出生信息。助产机构登记出生信息后即可办理；如有疑问请联系出生医院。")]})
    raise ValidationError({"beneficiary": [_("您有多名新生子女，请选择为哪一名子女办理。")]})


@transaction.atomic
def application_start(*, user, item_code: str = "", life_event_code: str = "", on_behalf_of=None,
                      beneficiary=None) -> Application:
    """A draft with the joint form prefilled from the registries and licences. `beneficiary`: the ID
    number of the applicant's minor child it is for (defaults to the newborn for 新生儿出生一件事).
    Raises ValidationError (unknown item or life event, no valid proxy grant, not a guardian)."""
    title, versions = joint_form.bundle(item_code=item_code, life_event_code=life_event_code)
    applicant, grant = _principal(user, on_behalf_of, [v.item.code for v in versions])
    ward = _beneficiary(applicant=applicant, life_event_code=life_event_code, beneficiary=beneficiary)
    purpose = _("预填申报表：%(title)s") % {"title": title}
    if grant is not None:
        purpose += _("（代办人：%(name)s）") % {"name": display_name(user)}
    return _application_create(user=user, applicant=applicant, grant=grant,
                               channel=Channel.PROXY if grant is not None else Channel.ONLINE, title=title,
                               versions=versions, item_code=item_code, life_event_code=life_event_code,
                               purpose=purpose, beneficiary=ward)


@transaction.atomic
def application_start_at_window(*, clerk, applicant, item_code: str = "", life_event_code: str = "",
                                beneficiary=None) -> Application:
    """综合窗口 (无差别全科受理): a window clerk starts any item or life event for a citizen who is present,
    with the same joint form and prefill as online (read as the applicant's own data; the purpose
    names the clerk). The clerk may fill, upload and submit it while it is a draft. Raises
    PermissionDenied (not a window clerk) or ValidationError (no real-name account, unknown item)."""
    if not permissions.is_window_clerk(clerk):
        raise PermissionDenied(_("只有综合窗口受理人员可以在窗口代为申报。"))
    if (applicant is None or not applicant.is_active or applicant.kind == AccountKind.STAFF
            or not applicant.id_number_hash):
        raise ValidationError({"applicant": [_("申请人须先注册实名账号。")]})
    title, versions = joint_form.bundle(item_code=item_code, life_event_code=life_event_code)
    ward = _beneficiary(applicant=applicant, life_event_code=life_event_code, beneficiary=beneficiary)
    purpose = _("预填申报表：%(title)s（综合窗口受理：%(name)s）") % {"title": title, "name": display_name(clerk)}
    return _application_create(user=clerk, applicant=applicant, grant=None, channel=Channel.WINDOW, title=title,
                               versions=versions, item_code=item_code, life_event_code=life_event_code,
                               purpose=purpose, beneficiary=ward)


# --- drafts ----------------------------------------------------------------------------------------------

def _locked_draft(application: Application) -> Application:
    # of=self: lock the application only, not the joined user row (other writes touch it).
    locked = (Application.objects.select_for_update(of=("self",)).select_related("applicant")
              .get(pk=application.pk))
    if locked.status != ApplicationStatus.DRAFT:
        raise Conflict(_("该申报已提交，不能再修改。"))
    return locked


@transaction.atomic
def application_update(*, user, application: Application, data) -> Application:
    """Save draft values. Any field error rejects the whole request (ValidationError by field key)."""
    locked = _locked_draft(application)
    values, errors = joint_form.apply_patch(locked.form, locked.values, data)
    if errors:
        raise ValidationError(errors)
    locked.values = values
    locked.save(update_fields=["data", "updated_at"])
    return locked


# --- materials -------------------------------------------------------------------------------------------

def max_upload_bytes() -> int:
    return int(getattr(settings, "CASES_MAX_UPLOAD_MB", MAX_UPLOAD_MB)) * 1024 * 1024


def sniff_content_type(head: bytes) -> str | None:
    """The allowed type the content starts with (magic bytes), or None."""
    for magic, content_type, _ext in MAGIC_TYPES:
        if head.startswith(magic):
            return content_type
    return None


def _checked_file(*, user, file, target_type: str, target_id: str, on_behalf_of: str, label: str,
                  field: str = "file") -> tuple[bytes, str]:
    """(content, content type) of an upload that passed the virus scan and the type check (by content).
    An infected file is audited and dropped, never stored. ValidationError on `field`."""
    data = file.read()
    result = get_scanner().scan(data)
    if not result.clean:
        audit_record(action="application.material_rejected", actor=user, target_type=target_type,
                     target_id=target_id, on_behalf_of=on_behalf_of,
                     data={"material": label, "signature": result.signature,
                           "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        raise ValidationError({field: [_("文件未通过病毒检测（%(signature)s），已被拒绝且未保存。")
                                       % {"signature": result.signature}]})
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise ValidationError({field: [_("只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别，而非扩展名）。")]})
    return data, content_type


def material_upload(*, user, application: Application, name: str, file) -> ApplicationMaterial:
    """Store one material privately after the size limit, the virus scan and the type check (by
    content). An infected file is audited and dropped, never stored. Raises ValidationError on the
    "name"/"file" fields, Conflict when the application is no longer a draft."""
    if application.status != ApplicationStatus.DRAFT:  # checked again under the lock when storing
        raise Conflict(_("该申报已提交，不能再修改。"))
    name = (name or "").strip()
    material = application.materials.filter(name=name).first() if name else None
    errors = {}
    if material is None:
        errors["name"] = [_("本申报没有名为“%(name)s”的材料。") % {"name": name} if name else _("请选择材料。")]
    if file is None:
        errors["file"] = [_("请选择要上传的文件。")]
    elif file.size > max_upload_bytes():
        errors["file"] = [_("文件不能超过 %(size)d MB。") % {"size": max_upload_bytes() // (1024 * 1024)}]
    if errors:
        raise ValidationError(errors)
    data, content_type = _checked_file(user=user, file=file, target_type="cases.Application",
                                       target_id=str(application.pk), on_behalf_of=on_behalf_label(application),
                                       label=name)
    return _material_store(user=user, application=application, material=material, data=data,
                           original_name=getattr(file, "name", "") or "", content_type=content_type)


@transaction.atomic
def _material_store(*, user, application, material, data: bytes, original_name: str,
                    content_type: str) -> ApplicationMaterial:
    _locked_draft(application)
    material = ApplicationMaterial.objects.select_for_update().get(pk=material.pk)
    old = material.file.name if material.file else ""
    sha256 = hashlib.sha256(data).hexdigest()
    material.file.save("upload", ContentFile(data), save=False)
    material.original_name = original_name.rsplit("/", 1)[-1][:200]
    material.size, material.content_type, material.sha256 = len(data), content_type, sha256
    material.scan_status, material.uploaded_at = ScanStatus.CLEAN, timezone.now()
    # The applicant chose to upload: a licence offered for it is no longer used.
    material.status, material.license_identifier = MaterialStatus.UPLOADED, ""
    material.save()
    if old:
        storage = material.file.storage
        transaction.on_commit(lambda: storage.delete(old))
    audit_record(action="application.material_uploaded", actor=user, target_type="cases.Application",
                 target_id=str(application.pk), on_behalf_of=on_behalf_label(application),
                 data={"material": material.name, "sha256": sha256, "size": len(data), "content_type": content_type})
    return material


# --- submit ----------------------------------------------------------------------------------------------

def _clean_delivery(delivery, address) -> tuple[str, str]:
    """(delivery, address) or ValidationError: post needs an address to post to."""
    address = (address or "").strip()
    if delivery not in Delivery.values:
        raise ValidationError({"delivery": [_("送达方式须为网上送达、邮寄送达或窗口领取之一。")]})
    if delivery == Delivery.POST and not address:
        raise ValidationError({"delivery_address": [_("邮寄送达请填写邮寄地址。")]})
    if len(address) > 200:
        raise ValidationError({"delivery_address": [_("邮寄地址不能超过 200 字。")]})
    return delivery, address if delivery == Delivery.POST else ""


def application_submit(*, user, application: Application, idempotency_key: str = "", delivery: str | None = None,
                       delivery_address: str = "") -> SubmitResult:
    """One case per item. With an idempotency key, a repeat returns the first answer and creates
    nothing; without one, a repeat is a Conflict. Missing fields and materials: ValidationError
    listing all of them. `delivery` (送达方式, default online) is copied to every case. Concurrent
    submits in one process are written together (submit.py); each gets its own answer."""
    key = (idempotency_key or "").strip()[:100]
    endpoint = f"POST /api/v1/applications/{application.pk}/submit"
    chosen = _clean_delivery(delivery, delivery_address) if delivery else None
    request = SubmitRequest(user=user, application=application, key=key, endpoint=endpoint, delivery=chosen)
    try:
        return submit(request)
    except IntegrityError:
        # The same key committed by a concurrent request between our check and our insert.
        record = IdempotencyRecord.objects.filter(user=user, key=key).first() if key else None
        if record is None:
            raise
        answer = replayed(record, endpoint)
        if isinstance(answer, Conflict):
            raise answer from None
        return answer


@transaction.atomic
def idempotency_records_purge(*, older_than_days: int = 7) -> int:
    """Forget answers older than the retry window; a periodic sweep, safe to run twice."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- after submission: delivery, supplements, documents, staff reads -----------------------------------

@transaction.atomic
def case_delivery_set(*, user, case: Case, delivery: str, delivery_address: str = "") -> Case:
    """Change how the result is delivered, until the case concludes (then Conflict)."""
    delivery, address = _clean_delivery(delivery, delivery_address)
    locked = Case.objects.select_for_update(of=("self",)).select_related("applicant").get(pk=case.pk)
    if locked.status in (CaseStatus.CONCLUDED, CaseStatus.TERMINATED):
        raise Conflict(_("办件已办结，不能再更改送达方式。"))
    locked.delivery, locked.delivery_address = delivery, address
    locked.save(update_fields=["delivery", "delivery_address"])
    audit_record(action="case.delivery_set", actor=user, target_type="cases.Case", target_id=locked.number,
                 on_behalf_of=locked.applicant.get_username() if locked.is_proxy else "",
                 data={"delivery": delivery})
    return locked


def _field_items(application: Application, names) -> dict[str, str]:
    """Listed item → form field key, for the items that name a field (by label or key)."""
    by_name = {}
    for field in application.form:
        by_name.setdefault(field["label"], field["key"])
        by_name.setdefault(field["key"], field["key"])
    return {name: by_name[name] for name in names if name in by_name}


def case_supply(*, user, case: Case, files: dict | None = None, data: dict | None = None) -> dict:
    """The applicant supplies items of the one-time supplement notice (补正) or materials missing at
    tolerant acceptance (容缺): `files` maps a listed item to its upload, `data` maps form field keys
    to corrected values (for listed items that name a field). When every item of the notice has
    arrived, review resumes (workflow supplement_receive); each tolerant material arriving is passed
    on (materials_receive). Returns {supplied, pending}. ValidationError by field; Conflict when
    nothing is pending."""
    from yiwang.workflow import services as workflow

    files, data = dict(files or {}), data or {}
    pending = selectors.case_pending(case)
    listed = pending["supplement"] + [m for m in pending["tolerant"] if m not in pending["supplement"]]
    if not listed:
        raise Conflict(_("本办件当前没有需要补正或补齐的材料。"))
    application = case.application
    errors: dict[str, list[str]] = {}
    unknown = [name for name in files if name not in listed]
    if unknown:
        errors["files"] = [_("这些不在补正清单中：%(names)s") % {"names": "、".join(unknown)}]
    if not isinstance(data, dict):
        errors["data"] = [_("请以“字段键: 值”的形式提交表单数据。")]
        data = {}
    field_items = _field_items(application, listed)
    allowed_keys = set(field_items.values())
    if set(data) - allowed_keys:
        errors["data"] = [_("只能补正清单中列出的表单项：%(keys)s") % {"keys": "、".join(sorted(set(data) - allowed_keys))}]
    values, field_errors = joint_form.apply_patch(application.form, application.values,
                                                  {k: v for k, v in data.items() if k in allowed_keys})
    errors.update(field_errors)
    for name, file in files.items():
        if file.size > max_upload_bytes():
            errors.setdefault("files", []).append(_("“%(name)s”的文件不能超过 %(size)d MB。") % {
                "name": name, "size": max_upload_bytes() // (1024 * 1024)})
    if not files and not data and not errors:
        errors["files"] = [_("请上传补正材料或填写补正内容。")]
    if errors:
        raise ValidationError(errors)
    on_behalf_of = on_behalf_label(application)
    checked = {name: _checked_file(user=user, file=file, target_type="cases.Case", target_id=case.number,
                                   on_behalf_of=on_behalf_of, label=name, field="files")
               for name, file in files.items()}
    supplied = list(checked) + [name for name, key in field_items.items() if key in data and name not in checked]
    return _supply_store(user=user, case=case, checked=checked, files=files, supplied=supplied,
                         values=values if data else None, workflow=workflow)


@transaction.atomic
def _supply_store(*, user, case, checked, files, supplied, values, workflow) -> dict:
    from yiwang.workflow.models import Instance

    # Lock in the engine's order (instance, then case) so a staff action at the same time waits.
    instance = Instance.objects.select_for_update().get(pk=selectors.instance_of(case).pk)
    case = Case.objects.select_for_update(of=("self",)).select_related("application", "applicant").get(pk=case.pk)
    pending = selectors.case_pending(case, instance)
    if not (pending["supplement"] or pending["tolerant"]):
        raise Conflict(_("本办件当前没有需要补正或补齐的材料。"))
    now = timezone.now()
    data_values = values or {}
    for name in supplied:
        kind = SupplyKind.SUPPLEMENT if name in pending["supplement"] else SupplyKind.TOLERANT
        row = CaseSupply(case=case, kind=kind, name=name, supplied_by=user, supplied_at=now)
        if name in checked:
            content, content_type = checked[name]
            row.file.save("upload", ContentFile(content), save=False)
            row.original_name = (getattr(files[name], "name", "") or "").rsplit("/", 1)[-1][:200]
            row.size, row.content_type = len(content), content_type
            row.sha256 = hashlib.sha256(content).hexdigest()
        key = _field_items(case.application, [name]).get(name)
        if key and key in data_values:
            row.data = json.dumps({key: data_values[key]}, ensure_ascii=False)
        row.save()
    if values is not None:
        case.application.values = values
        case.application.save(update_fields=["data", "updated_at"])
    audit_record(action="case.supply", actor=user, target_type="cases.Case", target_id=case.number,
                 on_behalf_of=on_behalf_label(case.application), data={"items": supplied})
    tolerant = [n for n in supplied if n in pending["tolerant"] and n not in pending["supplement"]]
    if tolerant:
        workflow.materials_receive(instance=instance, names=tolerant, actor=user)
    remaining = selectors.case_pending(case)  # re-read: the engine saved through its own copy
    if pending["supplement"] and not remaining["supplement"]:
        workflow.supplement_receive(instance=instance, actor=user)
        remaining = selectors.case_pending(case)
    return {"supplied": supplied, "pending": remaining["supplement"] + remaining["tolerant"]}


def case_document_render(*, document: CaseDocument) -> CaseDocument:
    """Render and store the PDF of a notice once (idempotent; a download renders it if still missing)."""
    from .documents import document_pdf

    if document.file:
        return document
    pdf = document_pdf(document)
    with transaction.atomic():
        locked = CaseDocument.objects.select_for_update().select_related("case").get(pk=document.pk)
        if not locked.file:
            locked.file.save(f"{locked.kind}.pdf", ContentFile(pdf), save=True)
    return locked


def case_data_view(*, user, case: Case, task=None) -> list[dict]:
    """A handler is shown the application data: log the read in the subject's access log (谁看了我的
    数据) and the audit trail. Returns the rows shown."""
    from yiwang.sharing.constants import AccessChannel
    from yiwang.sharing.services import access_record

    rows = selectors.panel_rows(case)
    keys = [r["key"] for r in rows]
    uscc = case.application.subject_uscc
    subject = {"uscc": uscc} if uscc else {"id_number": case.applicant.id_number}
    if keys and (uscc or case.applicant.id_number):
        access_record(reader=user, elements=keys, purpose=case.number, channel=AccessChannel.CASE_HANDLING,
                      case_number=case.number, **subject)
    if keys and case.application.beneficiary_hash:  # the newborn's data is shown too: her log has it
        access_record(reader=user, elements=keys, purpose=case.number, channel=AccessChannel.CASE_HANDLING,
                      case_number=case.number, subject_hash=case.application.beneficiary_hash,
                      subject_label=case.application.beneficiary_name)
    audit_record(action="case.data_view", actor=user, target_type="cases.Case", target_id=case.number,
                 data={"task": getattr(task, "pk", None), "fields": keys})
    return rows


def case_file_view(*, user, case: Case, row) -> None:
    """A handler downloads a material: logged like a read of the application data."""
    from yiwang.sharing.constants import AccessChannel
    from yiwang.sharing.services import access_record

    uscc = case.application.subject_uscc
    subject = {"uscc": uscc} if uscc else {"id_number": case.applicant.id_number}
    if uscc or case.applicant.id_number:
        access_record(reader=user, elements=[row.name], purpose=case.number, channel=AccessChannel.CASE_HANDLING,
                      case_number=case.number, **subject)
    audit_record(action="case.file_view", actor=user, target_type="cases.Case", target_id=case.number,
                 data={"file": row.name, "sha256": row.sha256})
