"""Pages: start an application, the joint form with materials, my cases, a case and its receipt."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.catalog import selectors as catalog
from yiwang.core.masking import mask_id_number, mask_phone
from yiwang.identity.selectors import active_proxy_grants

from . import joint_form, selectors, services
from .api.views import material_response, receipt_response
from .constants import ApplicationStatus, MaterialStatus
from .documents import case_url

INPUT_TYPES = {"date": "date", "phone": "tel", "number": "number"}
MASKS = {"id_number": mask_id_number, "phone": mask_phone}


def _application_or_404(request, pk):
    application = selectors.application_for(request.user, pk)
    if application is None:
        raise Http404
    return application


def _case_or_404(request, number):
    case = selectors.case_for(request.user, number)
    if case is None:
        raise Http404
    return case


def _messages(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


@require_GET
@never_cache
@login_required
def my_cases(request):
    return render(request, "cases/my_cases.html", {
        "cases": selectors.cases_of(request.user)[:200], "drafts": selectors.drafts_of(request.user)[:50]})


def _start(request, *, title: str, item_code: str = "", life_event_code: str = ""):
    errors = {}
    if request.method == "POST":
        try:
            application = services.application_start(
                user=request.user, item_code=item_code, life_event_code=life_event_code,
                on_behalf_of=request.POST.get("on_behalf_of") or None)
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            return redirect("cases:application", pk=application.pk)
    grants = list(active_proxy_grants(request.user))
    return render(request, "cases/start.html", {
        "title": title, "item_code": item_code, "life_event_code": life_event_code, "errors": errors,
        "grants": grants, "drafts": selectors.drafts_of(request.user, item_code=item_code,
                                                        life_event_code=life_event_code)[:10],
    }, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def apply_item(request, code: str):
    version = catalog.published_version_for(code)
    if version is None:
        raise Http404
    return _start(request, title=version.name, item_code=code)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def apply_life_event(request, code: str):
    event = catalog.life_event_detail(code)
    if event is None:
        raise Http404
    return _start(request, title=event.name, life_event_code=code)


def _page(request, application, *, errors=None, posted=None, status=200):
    rows = joint_form.field_rows(application.form, {**application.values, **(posted or {})})
    errors = errors or {}
    for row in rows:
        row["errors"] = errors.get(row["key"], [])
        row["input_type"] = INPUT_TYPES.get(row["type"], "text")
        # Verified identifiers are not edited, so the page shows them masked.
        row["display"] = MASKS.get(row["type"], str)(row["value"]) if row["readonly"] else row["value"]
    materials = list(selectors.materials_of(application))
    return render(request, "cases/application.html", {
        "application": application, "fields": rows, "materials": materials, "errors": errors,
        "material_errors": errors.get("materials", []), "idempotency_key": uuid.uuid4().hex,
        "held": MaterialStatus.HELD_BY_GOVERNMENT, "uploaded": MaterialStatus.UPLOADED,
        "is_draft": application.status == ApplicationStatus.DRAFT, "cases": application.cases.order_by("id"),
    }, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def application_page(request, pk: int):
    application = _application_or_404(request, pk)
    if request.method == "GET":
        return _page(request, application)
    # Only editable fields are posted; read-only (verified) values are shown, never sent.
    posted = {f["key"]: request.POST.get(f["key"], "") for f in application.form
              if not f["readonly"] and f["key"] in request.POST}
    try:
        if application.status == ApplicationStatus.DRAFT or request.POST.get("action") != "submit":
            application = services.application_update(user=request.user, application=application, data=posted)
        # else: a repeated submit (double click, reload): the idempotency key below replays the first answer.
    except ValidationError as exc:
        messages.error(request, _("请更正标出的错误后再保存。"))
        return _page(request, application, errors=_messages(exc), posted=posted, status=400)
    except services.Conflict as exc:
        messages.error(request, str(exc))
        return redirect("cases:application", pk=application.pk)
    if request.POST.get("action") != "submit":
        messages.success(request, _("草稿已保存。"))
        return redirect("cases:application", pk=application.pk)
    try:
        result = services.application_submit(user=request.user, application=application,
                                             idempotency_key=request.POST.get("idempotency_key", ""))
    except ValidationError as exc:
        messages.error(request, _("还有未填写的内容或未提供的材料，请补齐后再提交。"))
        return _page(request, application, errors=_messages(exc), status=400)
    except services.Conflict as exc:
        messages.error(request, str(exc))
        return redirect("cases:application", pk=application.pk)
    numbers = "、".join(c["number"] for c in result.body["cases"])
    messages.success(request, _("申报已提交，办件编号：%(numbers)s。") % {"numbers": numbers})
    first = result.body["cases"][0]["number"]
    return redirect("cases:case-detail", number=first)


@require_POST
@login_required
def material_upload(request, pk: int):
    application = _application_or_404(request, pk)
    try:
        material = services.material_upload(user=request.user, application=application,
                                            name=request.POST.get("name", ""), file=request.FILES.get("file"))
    except ValidationError as exc:
        for text in [m for values in _messages(exc).values() for m in values]:
            messages.error(request, text)
    except services.Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(name)s”已上传。") % {"name": material.name})
    return redirect(reverse("cases:application", args=[pk]) + "#materials")


@require_GET
@never_cache
@login_required
def material_file(request, pk: int, material_id: int):
    return material_response(selectors.material_for(request.user, pk, material_id))


@require_GET
@never_cache
@login_required
def case_page(request, number: str):
    case = _case_or_404(request, number)
    return render(request, "cases/case.html", {"case": case, "url": case_url(case, request)})


@require_GET
@never_cache
@login_required
def case_receipt(request, number: str):
    return receipt_response(_case_or_404(request, number), request)
