"""Pages of the sharing context: the data catalogue (staff), the staff's sharing requests with the
data officers' review, and 谁查看了我的数据 for the logged-in person. Rules live in services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors import has_role, staff_department_code

from . import selectors, services
from .constants import RequestStatus, SharingClass, SubjectKind
from .exceptions import DecisionConflict, SharingDenied
from .forms import RefuseForm, SharingRequestForm

PAGE_SIZE = 20


def staff_required(view):
    """Department staff only: others who are logged in get 403 (a wrong kind of account)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not staff_department_code(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@staff_required
def catalog(request):
    elements = list(selectors.data_element_list())
    names = selectors.department_names({e.source_department for e in elements})
    for element in elements:
        element.source_name = names.get(element.source_department, element.source_department)
    groups = [(label, [e for e in elements if e.subject_kind == kind]) for kind, label in SubjectKind.choices]
    return render(request, "sharing/catalog.html", {"groups": groups, "classes": SharingClass})


@login_required
def my_data_access(request):
    paginator = Paginator(selectors.access_records_for_user(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    names = selectors.department_names({r.department for r in page if r.department})
    elements = selectors.element_names()
    for record in page:
        record.department_name = names.get(record.department, record.department)
        record.element_names = [elements.get(code, code) for code in record.elements]
    return render(request, "sharing/my_data_access.html", {"page": page})


@staff_required
def request_list(request):
    user = request.user
    awaiting = list(selectors.sharing_requests_awaiting_decision(user))
    awaiting_ids = {r.pk for r in awaiting}
    department = staff_department_code(user)
    mine = [r for r in selectors.sharing_requests_for_user(user)[:100] if r.pk not in awaiting_ids]
    for r in mine:
        r.withdrawable = (r.requesting_department.code == department
                          and r.status in (RequestStatus.PENDING, RequestStatus.APPROVED))
    refuse_forms = {r.pk: RefuseForm(auto_id=f"refuse-{r.pk}-%s") for r in awaiting}
    for r in awaiting:
        r.refuse_form = refuse_forms[r.pk]
    return render(request, "sharing/request_list.html", {
        "awaiting": awaiting, "requests": mine,
        "is_data_officer": has_role(user, StaffRole.DATA_OFFICER), "today": timezone.localdate(),
    })


def _element_choices(department: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Conditional elements of other departments, grouped by source department."""
    elements = [e for e in selectors.data_element_list() if e.sharing_class == SharingClass.CONDITIONAL
                and e.source_department != department]
    names = selectors.department_names({e.source_department for e in elements})
    groups: dict[str, list[tuple[str, str]]] = {}
    for e in elements:
        groups.setdefault(names.get(e.source_department, e.source_department), []).append(
            (e.code, f"{e.name}（{e.code}）"))
    return list(groups.items())


@staff_required
def request_create(request):
    choices = _element_choices(staff_department_code(request.user))
    form = SharingRequestForm(request.POST or None, element_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.sharing_request_create(user=request.user, **form.cleaned_data)
        except DjangoValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("共享申请已提交，来源部门应在 %(due)s 前答复。") % {
                "due": created.due_at.isoformat()})
            return redirect("sharing:requests")
    return render(request, "sharing/request_form.html", {"form": form})


def _decide(request, pk: int, act) -> None:
    sharing_request = selectors.sharing_request_visible(request.user, pk)
    if sharing_request is None:
        raise Http404
    try:
        act(sharing_request)
    except SharingDenied:
        raise Http404 from None
    except DecisionConflict as exc:
        messages.error(request, str(exc))
    except DjangoValidationError as exc:
        messages.error(request, " ".join(exc.messages))


@require_POST
@staff_required
def request_approve(request, pk: int):
    def act(sharing_request):
        services.sharing_request_approve(user=request.user, sharing_request=sharing_request)
        messages.success(request, _("已同意共享申请 #%(id)d。") % {"id": pk})

    _decide(request, pk, act)
    return redirect("sharing:requests")


@require_POST
@staff_required
def request_refuse(request, pk: int):
    def act(sharing_request):
        form = RefuseForm(request.POST)
        reasons = form.cleaned_data["reasons"] if form.is_valid() else ""
        services.sharing_request_refuse(user=request.user, sharing_request=sharing_request, reasons=reasons)
        messages.success(request, _("已拒绝共享申请 #%(id)d。") % {"id": pk})

    _decide(request, pk, act)
    return redirect("sharing:requests")


@require_POST
@staff_required
def request_withdraw(request, pk: int):
    def act(sharing_request):
        services.sharing_request_withdraw(user=request.user, sharing_request=sharing_request)
        messages.success(request, _("已撤回共享申请 #%(id)d。") % {"id": pk})

    _decide(request, pk, act)
    return redirect("sharing:requests")
