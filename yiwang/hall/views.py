"""Pages of the comprehensive window (综合窗口): find the citizen, start any item or life event for
them, and accept (or conclude on the spot) the cases taken in. Window clerks only (others 403)."""

import hashlib
from dataclasses import asdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.cases import selectors as cases
from yiwang.cases import services as case_services
from yiwang.workflow import services as workflow
from yiwang.workflow.constants import Action

from . import selectors, services
from .permissions import is_window_clerk

TODAY_LIMIT = 100
SESSION_KEY = "hall_people"  # token digest → the masked person shown (no ID number in clear)
SESSION_PEOPLE = 10


def _clerk(request):
    if not is_window_clerk(request.user):
        raise PermissionDenied
    return request.user


def _errors(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _window(request, *, errors=None, posted=None, not_found=False, status=200):
    clerk = request.user
    today = timezone.localdate()
    rows = [{"case": case, "tasks": services.window_tasks(clerk=clerk, case=case)}
            for case in cases.window_cases_of(clerk, day=today)[:TODAY_LIMIT]]
    return render(request, "hall/window.html", {
        "errors": errors or {}, "posted": posted or {}, "not_found": not_found, "today": today,
        "drafts": cases.window_drafts_of(clerk, day=today)[:TODAY_LIMIT], "rows": rows,
    }, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def window(request):
    """Find the citizen: by 公民身份号码 or by a scanned licence QR; then on to their page."""
    clerk = _clerk(request)
    if request.method == "GET":
        return _window(request)
    method = request.POST.get("method")
    posted = {"method": method}
    try:
        if method == "license":
            number = services.license_holder_find(clerk=clerk, text=request.POST.get("license_token", ""))
        else:
            number = services.id_number_clean(request.POST.get("id_number", ""))
    except ValidationError as exc:
        if method != "license":
            posted["id_number"] = request.POST.get("id_number", "")[:40]
        return _window(request, errors=_errors(exc), posted=posted, status=400)
    return redirect("hall:window-person", token=services.person_token_make(clerk=clerk, id_number=number))


def _person_number(request, token):
    number = services.person_token_read(clerk=request.user, token=token)
    if number is None:
        messages.warning(request, _("该查询已过期或无效，请重新查找办事人。"))
    return number


def _shown_person(request, clerk, token: str, number: str) -> dict:
    """The person as first read for this token: searching items or coming back to the page does not
    read (and log) them again; a new search for the person does."""
    key = hashlib.sha256(token.encode()).hexdigest()[:24]
    shown = request.session.get(SESSION_KEY, {})
    if key not in shown:
        found = services.person_read(clerk=clerk, id_number=number)
        shown = dict(list(shown.items())[-(SESSION_PEOPLE - 1):])
        shown[key] = asdict(found)
        request.session[SESSION_KEY] = shown
    return shown[key]


@require_GET
@never_cache
@login_required
def person(request, token: str):
    """The found person (masked), whether they have a real-name account, and what to start for them."""
    clerk = _clerk(request)
    number = _person_number(request, token)
    if number is None:
        return redirect("hall:window")
    try:
        found = _shown_person(request, clerk, token, number)
    except services.NotFound:
        return _window(request, not_found=True, status=404)
    except services.SharingDenied:
        raise PermissionDenied from None
    query = (request.GET.get("q") or "").strip()[:100]
    return render(request, "hall/person.html", {
        "token": token, "person": found, "query": query, "hits": selectors.item_hits(query) if query else [],
        "life_events": selectors.life_events(), "register_url": reverse("identity:register"),
    })


@require_POST
@login_required
def person_start(request, token: str):
    """Start an item or a life event for the person, with the same joint form and prefill as online."""
    clerk = _clerk(request)
    number = _person_number(request, token)
    if number is None:
        return redirect("hall:window")
    back = reverse("hall:window-person", args=[token])
    try:
        applicant = services.applicant_for(clerk=clerk, id_number=number)
        application = case_services.application_start_at_window(
            clerk=clerk, applicant=applicant, item_code=(request.POST.get("item") or "").strip()[:40],
            life_event_code=(request.POST.get("life_event") or "").strip()[:60])
    except ValidationError as exc:
        for text in [m for values in _errors(exc).values() for m in values]:
            messages.error(request, text)
        return redirect(back)
    messages.success(request, _("已为办事人开始申报“%(title)s”，请核对预填内容并补充其余信息。") % {"title": application.title})
    return redirect("cases:application", pk=application.pk)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def window_case(request, number: str):
    """A case taken in at this window: its timeline and the clerk's tasks with their actions."""
    clerk = _clerk(request)
    case = cases.window_case_for(clerk, number)
    if case is None:
        raise Http404
    if request.method == "POST":
        _act(request, clerk, case)
        return redirect("hall:window-case", number=number)
    tasks = services.window_tasks(clerk=clerk, case=case)
    labels = dict(Action.choices)
    for row in tasks:
        row["action_choices"] = [(a, labels.get(a, a)) for a in row["actions"]]
    immediate = cases.is_immediate(case)
    return render(request, "hall/window_case.html", {
        "case": case, "tasks": tasks, "immediate": immediate,
        "can_conclude": immediate and any(Action.ACCEPT in r["actions"] or Action.APPROVE in r["actions"]
                                          for r in tasks),
        "timeline": cases.case_timeline(case), "outputs": list(cases.outputs_of(case)),
        "documents": list(cases.documents_of(case)),
    })


@require_GET
@never_cache
@login_required
def window_case_receipt(request, number: str):
    """The receipt (申报回执) printed at the window for the citizen to take away."""
    from yiwang.cases.documents import receipt_pdf

    clerk = _clerk(request)
    case = cases.window_case_for(clerk, number)
    if case is None:
        raise Http404
    services.window_document_print(clerk=clerk, case=case)
    response = HttpResponse(receipt_pdf(case, request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{case.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
@login_required
def window_case_document(request, number: str, document_id: int):
    """A notice or decision of the case (受理通知书, 一次性告知书, 决定书 ...) printed at the window."""
    clerk = _clerk(request)
    case = cases.window_case_for(clerk, number)
    document = cases.documents_of(case).filter(pk=document_id).first() if case is not None else None
    if document is None:
        raise Http404
    services.window_document_print(clerk=clerk, case=case, document=document)
    document = case_services.case_document_render(document=document)
    response = FileResponse(document.file.open("rb"), content_type="application/pdf",
                            filename=f"{case.number}-{document.kind}.pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}-{document.kind}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _act(request, clerk, case) -> None:
    try:
        if request.POST.get("conclude"):
            services.window_case_conclude(clerk=clerk, case=case)
        else:
            missing = [line.strip() for line in request.POST.get("missing", "").splitlines() if line.strip()]
            services.window_task_complete(clerk=clerk, case=case, task_id=request.POST.get("task"),
                                          action=request.POST.get("action", ""),
                                          comment=request.POST.get("comment", ""), missing=missing)
    except services.NotFound:
        raise Http404 from None
    except workflow.Conflict as exc:
        messages.warning(request, str(exc))
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("无法办理该任务。"))
    else:
        case.refresh_from_db()
        messages.success(request, _("已办理。办件状态：%(status)s。") % {"status": case.get_status_display()})
