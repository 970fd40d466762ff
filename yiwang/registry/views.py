"""Staff page: the follow-up tasks of the user's department."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yiwang.identity.selectors import staff_department_code

from . import selectors, services

PAGE_SIZE = 50


def _department(request) -> str:
    code = staff_department_code(request.user)
    if code is None:
        raise PermissionDenied
    return code


@login_required
@require_GET
def task_list(request):
    department = _department(request)
    tasks = selectors.followup_tasks_for_department(department, "open")
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registry/task_list.html", {"page": page, "department": request.user.department})


@login_required
@require_POST
def task_complete(request, pk: int):
    department = _department(request)
    task = selectors.followup_tasks_for_department(department, "all").filter(pk=pk).first()
    if task is None:
        raise Http404
    try:
        services.followup_task_complete(actor=request.user, task=task)
    except services.TaskAlreadyDone:
        messages.warning(request, _("该任务已办结。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("任务“%(title)s”已办结。") % {"title": task.title})
    return redirect("registry:tasks")
