"""Reads of applications and cases, always scoped to what the user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.identity.selectors import staff_department_code, subject_index
from yiwang.licenses.constants import LicenseStatus
from yiwang.licenses.models import License
from yiwang.licenses.selectors import licenses_of
from yiwang.workflow import selectors as workflow
from yiwang.workflow.constants import EventName, WarningState

from . import handling, permissions
from .constants import ApplicationStatus, Channel, SupplyKind
from .handling import SUBJECT_TYPE
from .models import Application, ApplicationMaterial, Case, CaseDocument, CaseSupply


def _valid_of_types(rows, type_codes):
    today = timezone.localdate()
    return (rows.filter(license_type__code__in=list(type_codes), status=LicenseStatus.VALID)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)))


def _newest_valid_by_type(rows, type_codes) -> dict:
    """licence type code → the newest valid, unexpired licence of that type among `rows`."""
    out = {}
    for license in _valid_of_types(rows, type_codes):
        out.setdefault(license.license_type.code, license)
    return out


def valid_licenses_by_type(user, type_codes) -> dict:
    """licence type code → the user's newest valid, unexpired licence of that type."""
    return _newest_valid_by_type(licenses_of(user), type_codes)


def valid_licenses_of_many(wanted: dict) -> dict[int, dict]:
    """valid_licenses_by_type for several users in one read of their memberships and one of their
    licences: {user pk: {type code: licence}} for wanted = {user pk: (user, type codes)}. Without the
    holder code and the 照面 values (not decrypted): enough to check and use the licences (the
    submit), not to read from them (prefill)."""
    from yiwang.identity.selectors import own_subject_hashes_many

    out = {pk: {} for pk in wanted}
    hashes = own_subject_hashes_many(user for user, _types in wanted.values())
    owners = {}  # subject hash → the users whose own subject it is
    for pk, subject_hashes in hashes.items():
        for subject_hash in subject_hashes:
            owners.setdefault(subject_hash, []).append(pk)
    types = set().union(*(set(t) for _user, t in wanted.values()))
    if not (owners and types):
        return out
    rows = (License.objects.filter(holder_hash__in=list(owners)).select_related("license_type")
            .defer("holder_code", "fields_data").order_by("license_type__code", "-issued_on", "identifier"))
    for license in _valid_of_types(rows, types):  # the order of licenses_of: newest first per type
        code = license.license_type.code
        for pk in owners[license.holder_hash]:
            if code in wanted[pk][1]:
                out[pk].setdefault(code, license)
    return out


def valid_licenses_by_holder(holder_code: str, type_codes) -> dict:
    """The same for the licences held by `holder_code` (a ward's)."""
    rows = (License.objects.filter(holder_hash=subject_index(holder_code)).select_related("license_type")
            .order_by("-issued_on", "-id"))
    return _newest_valid_by_type(rows, type_codes)


def is_newborn_event(life_event_code: str) -> bool:
    from yiwang.catalog.models import LifeEvent

    from .constants import NEWBORN_TRIGGER

    return bool(life_event_code) and LifeEvent.objects.filter(code=life_event_code, trigger=NEWBORN_TRIGGER).exists()


def newborns_for(user, life_event_code: str) -> list:
    """The user's newborn children (registry birth records) when the life event is for a newborn."""
    from yiwang.registry import selectors as registry

    person = registry.person_of_account(user) if is_newborn_event(life_event_code) else None
    return registry.newborn_children(person) if person is not None else []


def application_for(user, pk) -> Application | None:
    application = Application.objects.select_related("applicant", "submitted_by").filter(pk=pk).first()
    if application is None or not permissions.can_view_application(user, application):
        return None
    return application


# What a user started for someone else, as a proxy (a window clerk's work is listed at the window).
def _own_or_proxied(user) -> Q:
    return Q(applicant=user) | (Q(submitted_by=user) & ~Q(channel=Channel.WINDOW))


def drafts_of(user, *, item_code: str = "", life_event_code: str = "") -> QuerySet[Application]:
    drafts = Application.objects.filter(_own_or_proxied(user), status=ApplicationStatus.DRAFT)
    if item_code:
        drafts = drafts.filter(item_code=item_code)
    if life_event_code:
        drafts = drafts.filter(life_event_code=life_event_code)
    return drafts.select_related("applicant").order_by("-updated_at", "-id")


def materials_of(application: Application) -> QuerySet[ApplicationMaterial]:
    return application.materials.order_by("position", "id")


def material_for(user, application_pk, material_pk) -> ApplicationMaterial | None:
    application = application_for(user, application_pk)
    if application is None:
        return None
    return application.materials.filter(pk=material_pk).exclude(file="").first()


def cases_of(user, *, status: str | None = None, result: str | None = None) -> QuerySet[Case]:
    """The cases where the user is the applicant or the one who applied (proxy)."""
    if not user.is_authenticated:
        return Case.objects.none()
    cases = Case.objects.filter(_own_or_proxied(user))
    if status:
        cases = cases.filter(status=status)
    if result:
        cases = cases.filter(result=result)
    return cases.select_related("applicant", "submitted_by").order_by("-submitted_at", "-id")


def case_for(user, number: str) -> Case | None:
    case = (Case.objects.select_related("applicant", "submitted_by", "application")
            .filter(number=number).first())
    if case is None or not permissions.can_view_case(user, case):
        return None
    return case


# --- a case's handling (read from the workflow instance) -----------------------------------------------

# Engine bookkeeping the applicant's timeline leaves out (who a task was assigned to stays internal).
_HIDDEN_EVENTS = {EventName.STARTED, EventName.ASSIGNED, EventName.VIEWED}


def instance_of(case: Case):
    return workflow.instance_for_subject(SUBJECT_TYPE, case.number)


def case_timeline(case: Case, instance=None) -> list[dict]:
    """[{at, actor, action, action_label, comment, stage, department}], oldest first, from submission."""
    submitted_by = case.submitted_by.display_name or case.submitted_by.get_username()
    row = {"at": case.submitted_at, "actor": submitted_by, "action": "submitted", "action_label": _("提交申请"),
           "comment": "", "stage": "", "department": ""}
    if case.is_window:
        row.update(action_label=_("综合窗口提交申请"), comment=_("申请人到综合窗口办理，由窗口受理人员代为填报提交（无差别全科受理）。"),
                   department=staff_department_code(case.submitted_by) or "")
    rows = [row]
    instance = instance if instance is not None else instance_of(case)
    if instance is not None:
        rows += [r for r in workflow.timeline_rows(instance) if r["action"] not in _HIDDEN_EVENTS]
    return rows


def case_warning(instance) -> str:
    """API.md: none | yellow | red (a reminder before the deadline is not a warning)."""
    if instance is None or instance.warning not in (WarningState.YELLOW, WarningState.RED):
        return WarningState.NONE
    return instance.warning


def case_pending(case: Case, instance=None) -> dict:
    """What the applicant still has to supply: {supplement: [...], notice: comment, tolerant: [...],
    tolerant_due: date|None}. Items already supplied since the notice are left out."""
    instance = instance if instance is not None else instance_of(case)
    if instance is None:
        return {"supplement": [], "notice": "", "tolerant": [], "tolerant_due": None}
    requests = workflow.supplement_requests(instance)
    missing, notice = [], []
    for request in requests:
        supplied = set(CaseSupply.objects.filter(case=case, kind=SupplyKind.SUPPLEMENT,
                                                 supplied_at__gte=request["completed_at"])
                       .values_list("name", flat=True)) if request["completed_at"] else set()
        missing += [m for m in request["missing"] if m not in supplied and m not in missing]
        if request["comment"]:
            notice.append(request["comment"])
    return {"supplement": missing, "notice": "；".join(notice), "tolerant": list(instance.pending_materials),
            "tolerant_due": instance.pending_materials_due}


def documents_of(case: Case) -> QuerySet[CaseDocument]:
    return case.documents.order_by("created_at", "id")


def outputs_of(case: Case):
    return case.outputs.select_related("license__license_type", "document").order_by("id")


def document_for(user, number: str, pk) -> CaseDocument | None:
    """A notice of the user's case (applicant or proxy); None otherwise (→ 404)."""
    case = case_for(user, number)
    if case is None:
        return None
    return case.documents.filter(pk=pk).first()


# --- the comprehensive window --------------------------------------------------------------------------

def _day_bounds(day):
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def window_drafts_of(clerk, *, day=None) -> QuerySet[Application]:
    """Drafts the clerk started at the window (on `day`, local time)."""
    drafts = Application.objects.filter(submitted_by=clerk, channel=Channel.WINDOW, status=ApplicationStatus.DRAFT)
    if day is not None:
        start, end = _day_bounds(day)
        drafts = drafts.filter(created_at__gte=start, created_at__lt=end)
    return drafts.select_related("applicant").order_by("-created_at", "-id")


def window_cases_of(clerk, *, day=None) -> QuerySet[Case]:
    """Cases the clerk submitted at the window (on `day`, local time), newest first."""
    cases = Case.objects.filter(submitted_by=clerk, channel=Channel.WINDOW)
    if day is not None:
        start, end = _day_bounds(day)
        cases = cases.filter(submitted_at__gte=start, submitted_at__lt=end)
    return cases.select_related("applicant").order_by("-submitted_at", "-id")


def is_immediate(case: Case) -> bool:
    """即办件: decided on the spot (at the window, by the clerk who took it in)."""
    return handling.is_immediate(case)


def window_case_for(clerk, number: str) -> Case | None:
    """A case the clerk took in at the window, while they are a window clerk; None otherwise (→ 404)."""
    if not permissions.is_window_clerk(clerk):
        return None
    return (Case.objects.select_related("applicant", "submitted_by", "application", "item_version__case_kind")
            .filter(number=number, submitted_by=clerk, channel=Channel.WINDOW).first())


# --- staff ----------------------------------------------------------------------------------------------

def case_for_staff(user, number: str) -> Case | None:
    """The case if the user's department handles (or handled) a task of it; None otherwise (→ 404)."""
    code = staff_department_code(user)
    if code is None or code not in workflow.subject_departments(SUBJECT_TYPE, number):
        return None
    return Case.objects.select_related("applicant", "submitted_by", "application").filter(number=number).first()


def staff_file_for(user, number: str, kind: str, pk):
    """(case, material or supply) a handling department may download; None otherwise."""
    case = case_for_staff(user, number)
    if case is None:
        return None
    if kind == "material":
        row = case.application.materials.filter(pk=pk).exclude(file="").first()
    elif kind == "supply":
        row = case.supplies.filter(pk=pk).exclude(file="").first()
    else:
        row = None
    return (case, row) if row is not None else None


def panel_rows(case: Case) -> list[dict]:
    """The application data handlers see: the form fields of this case's item that have a value."""
    values = case.application.values
    return [{"key": f["key"], "label": f["label"], "type": f["type"], "value": values[f["key"]],
             "source": f["source"]} for f in case.application.form
            if values.get(f["key"]) and (not f.get("items") or case.item_code in f["items"])]
