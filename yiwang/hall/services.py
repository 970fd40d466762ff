"""The comprehensive window (综合窗口, 无差别全科受理): find the citizen in front of the window by
公民身份号码 or by a licence QR, read them through data sharing (so the read is in their "who read my
data" log), and act on the window's tasks of the cases taken in (accept; a 即办件 concluded on the
spot). Starting an application for the citizen is cases.services.application_start_at_window.

A found person travels between pages in a short-lived signed token bound to the clerk; the ID number
inside it is encrypted, so it is neither in the URL in clear nor readable from the token."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.audit.services import audit_record
from yiwang.cases import selectors as cases
from yiwang.core.crypto import decrypt, encrypt
from yiwang.core.ids import validate_id_number
from yiwang.core.masking import mask_id_number, mask_name
from yiwang.identity.selectors import staff_department_code
from yiwang.licenses.constants import HolderCodeType, VerifyReason
from yiwang.licenses.services import VerifyResult, license_verify_token
from yiwang.sharing.constants import AccessChannel
from yiwang.sharing.services import NotFound, SharingDenied, person_data_read
from yiwang.workflow import selectors as workflow_selectors
from yiwang.workflow import services as workflow
from yiwang.workflow.constants import Action

from . import selectors
from .constants import (
    LOOKUP_PURPOSE,
    MAX_TOKEN_LENGTH,
    PERSON_ELEMENTS,
    PERSON_TOKEN_MAX_AGE,
    PERSON_TOKEN_SALT,
    WINDOW_ACCEPT_NOTE,
)
from .permissions import is_window_clerk

__all__ = ["NotFound", "SharingDenied"]

SEX_LABELS = {"M": "男", "F": "女"}


def _require_clerk(clerk) -> str:
    if not is_window_clerk(clerk):
        raise PermissionDenied(_("只有综合窗口受理人员可以使用综合窗口。"))
    return staff_department_code(clerk)


# --- finding the citizen ---------------------------------------------------------------------------------

def id_number_clean(value: str) -> str:
    """The normalised 公民身份号码, or ValidationError on the "id_number" field."""
    if not (value or "").strip():
        raise ValidationError({"id_number": [_("请输入公民身份号码。")]})
    try:
        return validate_id_number(value)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None


def _token_in(text: str) -> str:
    """The licence token in what the scanner typed: the bare token or the verification URL."""
    text = (text or "").strip()
    if "token=" in text:
        return (parse_qs(urlsplit(text).query).get("token") or [""])[0].strip()
    return text


def license_holder_find(*, clerk, text: str) -> str:
    """The holder's 公民身份号码 from a scanned or pasted licence QR. Only a genuine, valid licence of a
    natural person identifies someone; otherwise ValidationError on "license_token" saying why."""
    _require_clerk(clerk)
    token = _token_in(text)
    if not token:
        raise ValidationError({"license_token": [_("请扫描或粘贴电子证照二维码的内容。")]})
    result = (license_verify_token(token) if len(token) <= MAX_TOKEN_LENGTH
              else VerifyResult(False, VerifyReason.MALFORMED))
    if not result.valid:
        audit_record(action="hall.license_scan_rejected", actor=clerk, target_type="licenses.License",
                     target_id=str(result.license.pk) if result.license else "", data={"reason": result.reason})
        raise ValidationError({"license_token": [_("电子证照核验未通过：%(reason)s。不能用该证照识别办事人。")
                                                 % {"reason": result.reason_label}]})
    license = result.license
    if license.holder_code_type != HolderCodeType.ID_NUMBER:
        raise ValidationError({"license_token": [
            _("“%(name)s”的持证主体不是自然人，不能用来识别办事人。请扫描居民身份证等个人证照，或输入公民身份号码。")
            % {"name": license.name}]})
    audit_record(action="hall.license_scan", actor=clerk, target_type="licenses.License", target_id=str(license.pk),
                 data={"type": license.license_type.code, "holder": mask_id_number(license.holder_code)})
    return license.holder_code


def person_token_make(*, clerk, id_number: str) -> str:
    return signing.dumps({"c": clerk.pk, "n": encrypt(id_number)}, salt=PERSON_TOKEN_SALT, compress=True)


def person_token_read(*, clerk, token: str) -> str | None:
    """The ID number in a person token made for this clerk and not yet expired; None otherwise."""
    max_age = int(getattr(settings, "HALL_PERSON_TOKEN_MAX_AGE", PERSON_TOKEN_MAX_AGE))
    try:
        payload = signing.loads(token, salt=PERSON_TOKEN_SALT, max_age=max_age)
        if payload.get("c") != clerk.pk:
            return None
        return decrypt(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class FoundPerson:
    """What the window shows of the person: masked, enough to check the face and the card."""

    name: str
    id_number: str
    sex: str
    birth_year: str
    has_account: bool  # a real-name account the cases will belong to


def person_read(*, clerk, id_number: str) -> FoundPerson:
    """Read the person through data sharing (logged in their access log with the window's purpose).
    Raises NotFound ("查无此人": no such living person; nothing else is told) or SharingDenied."""
    _require_clerk(clerk)
    try:
        values = person_data_read(requester=clerk, id_number=id_number, elements=PERSON_ELEMENTS,
                                  purpose=LOOKUP_PURPOSE, channel=AccessChannel.STAFF_LOOKUP)
    except NotFound:
        audit_record(action="hall.person_not_found", actor=clerk, target_type="registry.Person",
                     target_id=mask_id_number(id_number))
        raise
    account = selectors.account_for_id_number(id_number)
    audit_record(action="hall.person_view", actor=clerk, target_type="registry.Person",
                 target_id=mask_id_number(id_number), data={"account": account is not None})
    birth = values.get("person.birth_date") or ""
    return FoundPerson(name=mask_name(values.get("person.name")), id_number=mask_id_number(values["person.id_number"]),
                       sex=SEX_LABELS.get(values.get("person.sex"), ""), birth_year=birth[:4],
                       has_account=account is not None)


def applicant_for(*, clerk, id_number: str):
    """The person's real-name account to start an application for, or ValidationError: the clerk first
    helps them register (accounts are never created behind their back)."""
    _require_clerk(clerk)
    account = selectors.account_for_id_number(id_number)
    if account is None:
        raise ValidationError({"applicant": [_("该办事人还没有实名账号，请先协助其注册后再办理。")]})
    return account


def window_document_print(*, clerk, case, document=None) -> None:
    """The clerk prints the receipt (document None) or a notice of a window case for the citizen."""
    audit_record(action="hall.document_print", actor=clerk, target_type="cases.Case", target_id=case.number,
                 data={"document": document.kind if document is not None else "receipt"})


# --- the window's tasks of a case ------------------------------------------------------------------------

def window_tasks(*, clerk, case) -> list[dict]:
    """The open tasks of the case given to this clerk, each with its legal actions."""
    department = staff_department_code(clerk)
    if not department:
        return []
    rows = workflow_selectors.tasks_for_department(department, subject_type=cases.SUBJECT_TYPE,
                                                   subject_id=case.number, assignee=clerk)
    return workflow_selectors.with_actions(r for r in rows if r["assignee_id"] == clerk.pk)


def _clerk_task(clerk, case, task_id):
    department = _require_clerk(clerk)
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        return None
    task = workflow_selectors.task_for_department(department, task_id, user=clerk)
    if task is None or task.instance.subject_id != case.number or task.assignee_id != clerk.pk:
        return None
    return task


def _comment(action: str, comment: str) -> str:
    # The timeline records that the acceptance happened at the window.
    if action in (Action.ACCEPT, Action.ACCEPT_TOLERANT):
        return f"{WINDOW_ACCEPT_NOTE}：{comment}" if comment else WINDOW_ACCEPT_NOTE
    return comment


def window_task_complete(*, clerk, case, task_id, action: str, comment: str = "", missing=None):
    """Act on one of the clerk's tasks of a window case (accept, refuse, one-time supplement notice,
    tolerant acceptance, or a later stage of a 即办件). Raises NotFound (not the clerk's task), and the
    engine's Conflict (→ 409), PermissionDenied or ValidationError."""
    task = _clerk_task(clerk, case, task_id)
    if task is None:
        raise NotFound(_("没有找到您的这项任务。"))
    return workflow.task_complete(task=task, actor=clerk, action=action, comment=_comment(action, comment.strip()),
                                  missing=missing or [])


# The action that moves each kind of stage on when a 即办件 is decided on the spot.
_ON_THE_SPOT = (Action.ACCEPT, Action.APPROVE, Action.AGREE)


@transaction.atomic
def window_case_conclude(*, clerk, case) -> int:
    """即办件 at the window: accept and approve every stage given to the clerk, one after the other, in
    one transaction (a licence that cannot be issued undoes all of it). Returns the number of tasks
    completed. Raises workflow Conflict when the case is not a 即办件 or the clerk has nothing to do."""
    _require_clerk(clerk)
    if not cases.is_immediate(case):
        raise workflow.Conflict(_("该事项不是即办件，受理后由实施部门审查决定。"))
    done = 0
    for _step in range(50):  # bounded: a process has a handful of stages
        rows = window_tasks(clerk=clerk, case=case)
        row = next((r for r in rows if any(a in r["actions"] for a in _ON_THE_SPOT)), None)
        if row is None:
            break
        action = next(a for a in _ON_THE_SPOT if a in row["actions"])
        window_task_complete(clerk=clerk, case=case, task_id=row["id"], action=action)
        done += 1
    if not done:
        raise workflow.Conflict(_("该办件当前没有可当场办结的任务。"))
    return done
