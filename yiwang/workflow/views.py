"""Staff pages: the department inbox, a task with its actions, and the e-supervision page."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yiwang.identity.selectors import staff_department_code

from . import selectors, services
from .constants import Action, SuspensionKind, TaskState, WarningState
from .permissions import is_supervisor

PAGE_SIZE = 50


def _department(request) -> str:
    code = staff_department_code(request.user)
    if code is None:
        raise PermissionDenied
    return code


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def task_list(request):
    department = _department(request)
    state = request.GET.get("state") or TaskState.OPEN
    state = state if state in TaskState.values else TaskState.OPEN
    warning = request.GET.get("warning") if request.GET.get("warning") in WarningState.values else None
    filters = {"state": state, "warning": warning or "", "item": (request.GET.get("item") or "").strip()[:60],
               "due_before": _date(request.GET.get("due_before"))}
    rows = selectors.tasks_for_department(department, state=state, warning=warning, item=filters["item"] or None,
                                          due_before=filters["due_before"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_actions(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "workflow/task_list.html", {
        "page": page, "count_capped": rows.count_capped, "department": request.user.department, "filters": filters,
        "query": query.urlencode(), "states": TaskState.choices, "warnings": WarningState.choices})


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, pk: int):
    department = _department(request)
    task = selectors.task_for_department(department, pk, user=request.user)
    if task is None:
        raise Http404
    if request.method == "POST":
        missing = [line.strip() for line in request.POST.get("missing", "").splitlines() if line.strip()]
        try:
            services.task_complete(task=task, actor=request.user, action=request.POST.get("action", ""),
                                   comment=request.POST.get("comment", "").strip(), missing=missing,
                                   suspension_kind=request.POST.get("suspension_kind") or SuspensionKind.INSPECTION)
        except services.Conflict as exc:
            messages.warning(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已办理。"))
            return redirect("workflow:tasks")
        return redirect("workflow:task", pk=task.pk)
    description = services.task_view(task=task, actor=request.user)
    instance = task.instance
    actions = selectors.legal_actions(task)
    return render(request, "workflow/task_detail.html", {
        "task": task, "instance": instance, "description": description,
        "actions": [(a, Action(a).label) for a in actions],
        "suspension_kinds": [(k, label) for k, label in SuspensionKind.choices if k != SuspensionKind.SUPPLEMENT],
        "timeline": selectors.instance_timeline(instance), "opinions": selectors.parallel_opinions(instance)})


@login_required
@require_GET
def supervision(request):
    if not is_supervisor(request.user):
        raise PermissionDenied
    warning = request.GET.get("warning")
    warning = warning if warning in (WarningState.YELLOW, WarningState.RED) else None
    page = Paginator(selectors.supervision_instances(warning=warning), PAGE_SIZE).get_page(request.GET.get("page"))
    departments = selectors.open_departments(r["id"] for r in page.object_list)
    page.object_list = [{**r, "departments": departments.get(r["id"], [])} for r in page.object_list]
    return render(request, "workflow/supervision.html", {
        "page": page, "warning": warning or "", "counts": selectors.supervision_counts()})
