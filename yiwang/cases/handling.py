"""The case's side of the workflow engine: the SubjectHandler for subject_type "case".

Each workflow transition calls `on_event` inside the engine's transaction; the handler keeps the
Case row in step (status, acceptance, deadline, result), issues the notices and decisions
(CaseDocument rows, rendered to PDF after commit), issues the outputs (licences into the holder's
wallet, decision documents) and notifies the applicant and the proxy (site inbox now, e-mail after
commit). Raising here rolls the transition back, so a licence that cannot be issued leaves the task
open with the reason."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from yiwang.identity.selectors import active_memberships, staff_department_code, subject_index
from yiwang.licenses.constants import HOLDER_LEGAL
from yiwang.licenses.services import LicenseError, license_issue, license_use
from yiwang.notifications.services import inbox_post
from yiwang.workflow import services as workflow
from yiwang.workflow.constants import EventName, Outcome, SuspensionKind

from .constants import (
    APPEAL_DAYS,
    HOLDER_CODE_FIELDS,
    HOLDER_NAME_FIELDS,
    IMMEDIATE_CASE_KIND,
    ISSUE_DATE_FIELDS,
    ISSUER_FIELDS,
    LAWSUIT_MONTHS,
    WINDOW_PROCESS_SEPARATOR,
    CaseStatus,
    DocumentKind,
    MaterialStatus,
)
from .documents import case_url, person_label
from .models import Application, Case, CaseDocument, CaseOutput
from .sources import bundle_source, license_source

logger = logging.getLogger(__name__)

SUBJECT_TYPE = "case"


# --- who and what ----------------------------------------------------------------------------------------

def _name(user) -> str:
    return user.display_name or user.get_username()


def subject_of(case: Case) -> tuple[str, str, bool]:
    """(code, name, is_entity): the entity (USCC) an enterprise applies for, else the applicant."""
    application = case.application
    if application.subject_uscc:
        name = application.values.get("entity_name") or (
            active_memberships(case.applicant).filter(entity_uscc=application.subject_uscc)
            .values_list("entity_name", flat=True).first()) or application.subject_uscc
        return application.subject_uscc, name, True
    return case.applicant.id_number or "", _name(case.applicant), False


def holder_person(case: Case) -> tuple[str, str]:
    """(ID number, name) of the natural person the case's licences are issued to: the beneficiary
    (服务对象, e.g. the newborn) when the guardian applied for them, else the applicant."""
    application = case.application
    if application.beneficiary_hash:
        return application.beneficiary_id_number, application.beneficiary_name
    return case.applicant.id_number or "", _name(case.applicant)


def applicant_label(case: Case) -> str:
    code, name, is_entity = subject_of(case)
    label = person_label(case.applicant)
    return f"{name}（{code}） · {_('经办人')} {label}" if is_entity else label


def _department_name(case: Case) -> str:
    version = case.item_version
    if version is not None:
        return version.department.name
    from yiwang.catalog.models import Department

    return Department.objects.filter(code=case.department_code).values_list("name", flat=True).first() or ""


def is_immediate(case: Case) -> bool:
    """即办件: decided on the spot (the item version's 办件类型)."""
    version = case.item_version
    if version is None:
        from yiwang.catalog.selectors import published_version_for

        version = published_version_for(case.item_code)
    return version is not None and version.case_kind.label == IMMEDIATE_CASE_KIND


def promised_days(case: Case) -> int:
    if case.item_version is not None:
        return case.item_version.promised_days
    from yiwang.catalog.selectors import published_version_for

    version = published_version_for(case.item_code)
    return version.promised_days if version else 0


def _date(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
    return f"{value:%Y年%m月%d日}".replace("年0", "年").replace("月0", "月")


def _appeal_notes(case: Case) -> list[str]:
    return [_("如不服本决定，可以自收到本文书之日起%(days)d日内依法申请行政复议，或者自收到本文书之日起"
              "%(months)d个月内依法向人民法院提起行政诉讼。") % {"days": APPEAL_DAYS, "months": LAWSUIT_MONTHS}]


# --- side effects ----------------------------------------------------------------------------------------

def _document(case: Case, kind: str, *, title: str = "", paragraphs=(), items=(), items_heading: str = "",
              facts=(), notes=()) -> CaseDocument:
    title = title or DocumentKind(kind).label
    content = {"recipient": subject_of(case)[1], "paragraphs": list(paragraphs), "items": list(items),
               "items_heading": items_heading, "facts": [[str(a), str(b)] for a, b in facts], "notes": list(notes),
               "department": _department_name(case), "issued_on": _date(timezone.localdate())}
    document = CaseDocument.objects.create(case=case, kind=kind, title=str(title),
                                           content=json.dumps(content, ensure_ascii=False))

    def render():
        from .tasks import case_document_render

        case_document_render.delay(document.pk)

    transaction.on_commit(render)
    return document


def _recipient_hashes(case: Case) -> list[str]:
    hashes = []
    if case.application.subject_uscc:
        hashes.append(subject_index(case.application.subject_uscc))
    if case.applicant.id_number_hash:
        hashes.append(case.applicant.id_number_hash)
    if case.is_proxy and case.submitted_by.id_number_hash:
        hashes.append(case.submitted_by.id_number_hash)
    return list(dict.fromkeys(hashes))


def _send_mail_later(subject: str, body: str, addresses: list[str]) -> None:
    def send():
        for address in addresses:  # one message each: recipients do not see one another
            try:
                send_mail(subject, body, None, [address])
            except Exception:  # a mail server outage must not undo the case; the inbox has it
                logger.exception("case notification mail failed")

    transaction.on_commit(send)


def _notify(case: Case, *, subject: str, body: str, email: bool = True) -> None:
    """Site inbox of the applicant (and the entity) and of the proxy; e-mail after commit."""
    link = reverse("cases:case-detail", args=[case.number])
    subject = f"{subject}：{case.item_name}"
    text = _("办件编号：%(number)s\n%(body)s") % {"number": case.number, "body": body}
    for recipient_hash in _recipient_hashes(case):
        inbox_post(recipient_hash=recipient_hash, subject=subject, body=text, link=link)
    # The proxy hears too; a window clerk does not (the case is the citizen's, followed online).
    people = (case.applicant, case.submitted_by) if case.is_proxy else (case.applicant,)
    addresses = list(dict.fromkeys(u.email for u in people if u.email))
    if email and addresses:
        _send_mail_later(subject, f"{text}\n{case_url(case)}", addresses)


# --- events ----------------------------------------------------------------------------------------------

def _live_instance(instance):
    # The engine's object may be stale (clock_start saves through its own locked copy).
    return type(instance).objects.get(pk=instance.pk)


def _open_status(case: Case) -> str:
    return CaseStatus.ACCEPTED if case.accepted_at else CaseStatus.UNDER_REVIEW


def _on_clock_started(case, instance, task, data):
    case.deadline = dt.date.fromisoformat(data["deadline"])
    case.save(update_fields=["deadline"])


def _on_accepted(case, instance, task, data):
    now = timezone.now()
    live = _live_instance(instance)
    if live.clock_started_at is None:
        live = workflow.clock_start(instance=instance, days=promised_days(case), start=now,
                                    actor=task.completed_by if task else None)
    case.status, case.accepted_at, case.deadline = CaseStatus.ACCEPTED, now, live.deadline
    case.save(update_fields=["status", "accepted_at", "deadline"])
    days = promised_days(case)
    paragraphs = [_("你（单位）于%(submitted)s提交的“%(item)s”申请，申请材料齐全、符合法定形式，本机关决定予以受理。")
                  % {"submitted": _date(case.submitted_at), "item": case.item_name},
                  _("本机关将在%(days)d个工作日内（%(deadline)s前）作出决定；依法需要听证、检验、检测、现场核查或专家评审的，"
                    "所需时间不计算在内，届时另行告知。") % {"days": days, "deadline": _date(case.deadline)}]
    items, heading = [], ""
    if data.get("missing"):  # 容缺受理
        heading = _("以下非关键材料暂缺，予以容缺受理。请于%(due)s前补齐，补齐前不能办结：") % {
            "due": _date(data.get("due_on"))}
        items = data["missing"]
    _document(case, DocumentKind.ACCEPTANCE, paragraphs=paragraphs, items=items, items_heading=heading,
              facts=[(_("办理事项"), f"{case.item_name}（{case.item_code}）"), (_("受理时间"), _date(now)),
                     (_("承诺办结期限"), _date(case.deadline))])
    body = _("您的申请已受理，办结期限：%(deadline)s。") % {"deadline": _date(case.deadline)}
    if items:
        body += _("请于%(due)s前补齐：%(items)s。") % {"due": _date(data.get("due_on")), "items": "、".join(items)}
    _notify(case, subject=_("办件已受理"), body=body)


def _on_supplement_requested(case, instance, task, data):
    case.status = CaseStatus.SUPPLEMENT_REQUESTED
    case.save(update_fields=["status"])
    missing = list(task.missing if task else data.get("missing", []))
    comment = task.comment if task else ""
    paragraphs = [_("你（单位）于%(submitted)s提交的“%(item)s”申请，申请材料不齐全或者不符合法定形式。"
                    "现一次性告知需要补正的全部内容如下，请补正后提交，补正期间不计入办理时限：")
                  % {"submitted": _date(case.submitted_at), "item": case.item_name}]
    notes = [comment] if comment else []
    _document(case, DocumentKind.SUPPLEMENT, paragraphs=paragraphs, items=missing, notes=notes)
    _notify(case, subject=_("请补正申请材料"), body=_("需要补正：%(items)s。%(comment)s") % {
        "items": "、".join(missing), "comment": comment})


def _on_supplement_received(case, instance, task, data):
    case.status = _open_status(case)
    if data.get("deadline"):
        case.deadline = dt.date.fromisoformat(data["deadline"])
    case.save(update_fields=["status", "deadline"])


def _on_suspended(case, instance, task, data):
    kind = data.get("kind", "")
    reason = (instance.suspensions.filter(ended_at__isnull=True).order_by("-started_at")
              .values_list("reason", flat=True).first() or "")
    case.status, case.suspension_kind, case.suspension_reason = CaseStatus.SUSPENDED, kind, reason
    case.save(update_fields=["status", "suspension_kind", "suspension_reason"])
    label = SuspensionKind(kind).label if kind in SuspensionKind.values else kind
    _document(case, DocumentKind.SUSPENSION, paragraphs=[
        _("你（单位）申请的“%(item)s”，因需要进行%(kind)s，自%(date)s起暂停计算办理时限，所需时间不计算在办理时限内。")
        % {"item": case.item_name, "kind": label, "date": _date(timezone.localdate())},
    ], facts=[(_("特别程序"), label), (_("原因"), reason)])
    _notify(case, subject=_("办件进入特别程序"), body=_("%(kind)s：%(reason)s。期间暂停计时。") % {
        "kind": label, "reason": reason})


def _on_resumed(case, instance, task, data):
    case.status, case.suspension_kind, case.suspension_reason = _open_status(case), "", ""
    if data.get("deadline"):
        case.deadline = dt.date.fromisoformat(data["deadline"])
    case.save(update_fields=["status", "suspension_kind", "suspension_reason", "deadline"])
    _document(case, DocumentKind.RESUMPTION, paragraphs=[
        _("你（单位）申请的“%(item)s”已于%(date)s恢复办理，暂停%(days)s个工作日，办结期限顺延至%(deadline)s。")
        % {"item": case.item_name, "date": _date(timezone.localdate()), "days": data.get("working_days", 0),
           "deadline": _date(case.deadline)}])
    _notify(case, subject=_("办件恢复办理"), body=_("办结期限：%(deadline)s。") % {"deadline": _date(case.deadline)},
            email=False)


def _denial_reasons(instance, task) -> str:
    if task is not None and task.comment:
        return task.comment
    opinions = instance.tasks.filter(action="disagree").exclude(comment="").values_list("comment", flat=True)
    return "；".join(opinions)


def _license_fields(case: Case, license_type, *, code: str, name: str) -> dict:
    application = case.application
    known = {}
    values = application.values
    for field in application.form:  # an application field fills the face item of the same key or label
        value = values.get(field["key"])
        if value:
            known.setdefault(field["key"], value)
            known.setdefault(field["label"], value)
    for field in application.form:  # a field prefilled from this type's face item fills that item back
        parsed = license_source(field.get("prefill_source", ""))
        value = values.get(field["key"])
        if parsed and parsed[0] == license_type.code and value:
            known[parsed[1]] = value
    fields = {}
    for face in license_type.fields:
        if face in HOLDER_NAME_FIELDS:
            fields[face] = name
        elif face in HOLDER_CODE_FIELDS:
            fields[face] = code
        elif face in ISSUER_FIELDS:
            fields[face] = license_type.issuer.name
        elif face in ISSUE_DATE_FIELDS:
            fields[face] = timezone.localdate().isoformat()
        elif face in known:
            fields[face] = known[face]
    return fields


def _issue_license(case: Case, output, actor):
    license_type = output.license_type
    code, name, is_entity = subject_of(case)
    if license_type.holder == HOLDER_LEGAL and not is_entity:
        raise ValidationError({"action": [_("“%(name)s”须颁发给法人，但本办件的申请人不是法人。") % {"name": output.name}]})
    if license_type.holder != HOLDER_LEGAL:
        code, name = holder_person(case)
    try:
        return license_issue(license_type=license_type, holder_code=code, holder_name=name,
                             fields=_license_fields(case, license_type, code=code, name=name),
                             valid_from=timezone.localdate(), valid_until=None, item_code=case.item_code, actor=actor)
    except (LicenseError, ValidationError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        raise ValidationError({"action": [_("“%(name)s”签发失败：%(reason)s") % {
            "name": output.name, "reason": " ".join(messages)}]}) from None


def _waiting_for_bundle(case: Case) -> list[str]:
    """Names of materials another case of the same application has yet to issue for this one."""
    return [m.name for m in case.application.materials.filter(status=MaterialStatus.FROM_BUNDLE)
            if case.item_code in m.item_codes]


def fill_from_bundle(case: Case, license, actor) -> None:
    """`case` has issued `license`: fill the sibling cases' fields and materials waiting for it (the
    birth certificate number for 出生登记) and record its use in each of them."""
    application = Application.objects.select_for_update(of=("self",)).get(pk=case.application_id)
    type_code = license.license_type.code
    values, changed = application.values, False
    for field in application.form:
        parsed = bundle_source(field.get("source", ""))
        if parsed and parsed[0] == type_code and not values.get(field["key"]):
            value = license.fields.get(parsed[1]) or (license.identifier if parsed[1].endswith("编号") else "")
            if value:
                values[field["key"]], changed = str(value), True
    if changed:
        application.values = values
        application.save(update_fields=["data", "updated_at"])
    siblings = {c.item_code: c for c in application.cases.exclude(pk=case.pk)}
    for material in application.materials.filter(status=MaterialStatus.FROM_BUNDLE, license_type_code=type_code):
        ids = []
        for code in material.item_codes:
            sibling = siblings.get(code)
            if sibling is None:
                continue
            use = license_use(license=license, item_code=sibling.item_code, item_name=sibling.item_name,
                              case_number=sibling.number, used_by=actor,
                              purpose=_("申请材料：%(name)s（由%(number)s办结签发）") % {
                                  "name": material.name, "number": case.number})
            ids.append(use.pk)
        material.status, material.license_identifier = MaterialStatus.HELD_BY_GOVERNMENT, license.identifier
        material.license_use_ids = [*material.license_use_ids, *ids]
        material.save(update_fields=["status", "license_identifier", "license_use_ids"])


def bundle_fallback(case: Case, *, why: str) -> list[str]:
    """`case` ended without issuing its licences (denied, refused, withdrawn): the sibling cases of
    the same application that were to receive one now need it from the applicant instead. Each such
    material is marked missing and becomes pending in each live sibling case (as at tolerant
    acceptance: that case cannot conclude before it arrives; the applicant uploads it on the case
    page), and the applicant is told which case needs what. Returns the sibling case numbers."""
    from yiwang.workflow.constants import InstanceState
    from yiwang.workflow.models import Instance

    if case.item_version is None:
        return []
    types = set(case.item_version.outputs.exclude(license_type=None).values_list("license_type__code", flat=True))
    if not types:
        return []
    application = Application.objects.select_for_update(of=("self",)).get(pk=case.application_id)
    materials = list(application.materials.filter(status=MaterialStatus.FROM_BUNDLE, license_type_code__in=types))
    if not materials:
        return []
    siblings = {c.item_code: c for c in application.cases.exclude(pk=case.pk)}
    instances = {i.subject_id: i for i in Instance.objects.filter(
        subject_type=SUBJECT_TYPE, subject_id__in=[c.number for c in siblings.values()]).exclude(
        state__in=[InstanceState.COMPLETED, InstanceState.TERMINATED])}
    affected = []
    for material in materials:
        material.status = MaterialStatus.MISSING
        material.save(update_fields=["status"])
        for code in material.item_codes:
            sibling = siblings.get(code)
            instance = instances.get(sibling.number) if sibling else None
            if instance is None:
                continue
            reason = _("“%(name)s”原应由本次申请中的“%(item)s”（%(number)s）签发，该办件%(why)s，请上传该材料。") % {
                "name": material.name, "item": case.item_name, "number": case.number, "why": why}
            workflow.materials_require(instance=instance, names=[material.name], reason=reason)
            _notify(sibling, subject=_("请补齐材料"), body=reason)
            affected.append(sibling.number)
    return affected


def _issue_outputs(case: Case, actor) -> list[str]:
    outputs = list(case.item_version.outputs.select_related("license_type__issuer")) if case.item_version else []
    names = []
    approval = _("你（单位）申请的“%(item)s”，经审查，符合法定条件、标准，本机关决定准予。") % {"item": case.item_name}
    for output in outputs:
        if output.license_type_id:
            license = _issue_license(case, output, actor)
            CaseOutput.objects.create(case=case, name=output.name, license=license)
            fill_from_bundle(case, license, actor)
        else:
            document = _document(case, DocumentKind.APPROVAL, title=output.name, paragraphs=[approval],
                                 facts=[(_("办理事项"), f"{case.item_name}（{case.item_code}）"),
                                        (_("送达方式"), case.get_delivery_display())])
            CaseOutput.objects.create(case=case, name=output.name, document=document)
        names.append(output.name)
    if not outputs:
        document = _document(case, DocumentKind.APPROVAL, paragraphs=[approval])
        CaseOutput.objects.create(case=case, name=document.title, document=document)
        names.append(document.title)
    return names


def _on_completed(case, instance, task, data):
    outcome = data.get("outcome")
    actor = task.completed_by if task else None
    if outcome == Outcome.APPROVED and (waiting := _waiting_for_bundle(case)):
        # Rolls the approval back: the task stays open until the sibling case issues the licence.
        raise ValidationError({"action": [_("须待本次申请中的“%(names)s”签发后才能办结。") % {
            "names": "、".join(waiting)}]})
    case.status, case.concluded_at, case.result = CaseStatus.CONCLUDED, timezone.now(), outcome
    case.suspension_kind = case.suspension_reason = ""
    case.save(update_fields=["status", "concluded_at", "result", "suspension_kind", "suspension_reason"])
    if outcome == Outcome.APPROVED:
        names = _issue_outputs(case, actor)
        body = _("准予。办理结果：%(outputs)s（%(delivery)s）。") % {"outputs": "、".join(names),
                                                             "delivery": case.get_delivery_display()}
        _notify(case, subject=_("办件已办结"), body=body)
    elif outcome == Outcome.DENIED:
        reasons = _denial_reasons(instance, task)
        _document(case, DocumentKind.DENIAL, paragraphs=[
            _("你（单位）申请的“%(item)s”，经审查，不符合法定条件、标准，本机关决定不予许可。") % {"item": case.item_name}],
            items=[reasons] if reasons else [], items_heading=_("理由如下："), notes=_appeal_notes(case))
        _notify(case, subject=_("办件已办结"), body=_("不予许可。理由：%(reasons)s") % {"reasons": reasons})
        bundle_fallback(case, why=pgettext("a case that", "不予许可"))
    elif outcome == Outcome.REFUSED:
        reasons = task.comment if task else ""
        _document(case, DocumentKind.REFUSAL, paragraphs=[
            _("你（单位）于%(submitted)s提交的“%(item)s”申请，本机关决定不予受理。") % {
                "submitted": _date(case.submitted_at), "item": case.item_name}],
            items=[reasons] if reasons else [], items_heading=_("理由如下："), notes=_appeal_notes(case))
        _notify(case, subject=_("申请不予受理"), body=_("理由：%(reasons)s") % {"reasons": reasons})
        bundle_fallback(case, why=pgettext("a case that", "不予受理"))


def _on_stage_started(case, instance, task, data):
    """A window case: the clerk who took it in gets its tasks queued to the window's department: the
    acceptance (first stage) always, the later stages of a 即办件 too (decided on the spot)."""
    if not case.is_window or not (instance.position == 1 or is_immediate(case)):
        return
    from yiwang.workflow import selectors as tasks

    clerk = case.submitted_by
    department = staff_department_code(clerk)
    if not department or department not in data.get("departments", []):
        return
    rows = tasks.tasks_for_department(department, subject_type=SUBJECT_TYPE, subject_id=case.number)
    for row in rows:
        if row["assignee_id"] is None and row["stage__position"] == instance.position:
            workflow.task_assign(task=tasks.task_for_department(department, row["id"]), assignee=clerk, actor=clerk)


def _on_terminated(case, instance, task, data):
    case.status = CaseStatus.TERMINATED
    case.save(update_fields=["status"])
    bundle_fallback(case, why=pgettext("a case that", "已终止"))


_EVENTS = {
    EventName.CLOCK_STARTED: _on_clock_started,
    EventName.ACCEPTED: _on_accepted,
    EventName.ACCEPTED_TOLERANT: _on_accepted,
    EventName.SUPPLEMENT_REQUESTED: _on_supplement_requested,
    EventName.SUPPLEMENT_RECEIVED: _on_supplement_received,
    EventName.SUSPENDED: _on_suspended,
    EventName.RESUMED: _on_resumed,
    EventName.COMPLETED: _on_completed,
    EventName.TERMINATED: _on_terminated,
    EventName.STAGE_STARTED: _on_stage_started,
}


class CaseHandler:
    """hooks.SubjectHandler for cases."""

    def describe(self, instance) -> dict:
        case = (Case.objects.select_related("applicant", "submitted_by", "application")
                .filter(number=instance.subject_id).first())
        if case is None:
            return {}
        out = {"case": case.number, "item": case.item_name,
               _("事项"): f"{case.item_code} {case.item_name}", _("申请人"): applicant_label(case)}
        if case.is_proxy:
            out[_("代办人")] = person_label(case.submitted_by)
        elif case.is_window:
            out[_("受理窗口")] = _("综合窗口 · %(name)s") % {"name": _name(case.submitted_by)}
        out[_("送达方式")] = case.get_delivery_display()
        return out

    def detail(self, instance, task, actor) -> dict:
        """The application data and materials a handler works from (a logged personal-data read)."""
        from . import services

        case = (Case.objects.select_related("applicant", "submitted_by", "application")
                .filter(number=instance.subject_id).first())
        if case is None:
            return {}
        rows = services.case_data_view(user=actor, case=case, task=task)
        materials = [{"name": m.name, "status": m.status, "license": m.license_identifier or None,
                      "file": bool(m.file)} for m in case.application.materials.order_by("position", "id")
                     if not m.item_codes or case.item_code in m.item_codes]
        return {"application": {"fields": rows, "materials": materials,
                                "beneficiary": case.application.beneficiary_name or None}}

    def on_event(self, instance, event_name, task, action, data) -> None:
        handle = _EVENTS.get(event_name)
        if handle is None:
            return
        if event_name == EventName.STAGE_STARTED and WINDOW_PROCESS_SEPARATOR not in instance.definition.key:
            return  # only window processes assign their stages (no case lock for the others)
        case = (Case.objects.select_for_update(of=("self",))
                .select_related("applicant", "submitted_by", "application", "item_version__department",
                                "item_version__case_kind")
                .filter(number=instance.subject_id).first())
        if case is None:
            raise RuntimeError(f"workflow event for unknown case {instance.subject_id}")
        handle(case, instance, task, data or {})
