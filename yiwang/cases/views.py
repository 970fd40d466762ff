"""Pages: start an application, the joint form with materials, my cases, a case and its receipt."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.catalog import selectors as catalog
from yiwang.core.masking import mask_id_number, mask_phone
from yiwang.identity.selectors import active_proxy_grants
from yiwang.workflow.constants import SuspensionKind

from . import joint_form, selectors, services
from .api.views import document_response, material_response, receipt_response
from .constants import PROVIDED_WITHOUT_UPLOAD, ApplicationStatus, CaseStatus, Delivery, MaterialStatus
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
    newborns = selectors.newborns_for(request.user, life_event_code) if life_event_code else []
    if request.method == "POST":
        # The page offers the user's own newborns by position; the service checks guardianship anyway.
        chosen = request.POST.get("beneficiary", "")
        ward = newborns[int(chosen)] if chosen.isdigit() and int(chosen) < len(newborns) else None
        try:
            application = services.application_start(
                user=request.user, item_code=item_code, life_event_code=life_event_code,
                on_behalf_of=request.POST.get("on_behalf_of") or None,
                beneficiary=ward.id_number if ward is not None else None)
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            return redirect("cases:application", pk=application.pk)
    grants = list(active_proxy_grants(request.user))
    return render(request, "cases/start.html", {
        "title": title, "item_code": item_code, "life_event_code": life_event_code, "errors": errors,
        "grants": grants, "newborns": newborns, "drafts": selectors.drafts_of(request.user, item_code=item_code,
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
        "no_upload": [MaterialStatus.HELD_BY_GOVERNMENT, *PROVIDED_WITHOUT_UPLOAD],
        "is_draft": application.status == ApplicationStatus.DRAFT, "cases": application.cases.order_by("id"),
        "deliveries": Delivery.choices, "delivery_errors": errors.get("delivery", []) + errors.get("delivery_address", []),
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
                                             idempotency_key=request.POST.get("idempotency_key", ""),
                                             delivery=request.POST.get("result_delivery") or None,
                                             delivery_address=request.POST.get("result_delivery_address", ""))
    except ValidationError as exc:
        messages.error(request, _("还有未填写的内容或未提供的材料，请补齐后再提交。"))
        return _page(request, application, errors=_messages(exc), status=400)
    except services.Conflict as exc:
        messages.error(request, str(exc))
        return redirect("cases:application", pk=application.pk)
    numbers = "、".join(c["number"] for c in result.body["cases"])
    messages.success(request, _("申报已提交，办件编号：%(numbers)s。") % {"numbers": numbers})
    first = result.body["cases"][0]["number"]
    if request.user.pk != application.applicant_id and application.is_window:
        return redirect(_window_case_url(first))
    return redirect("cases:case-detail", number=first)


def _window_case_url(number: str) -> str:
    """The window clerk goes on at the window (accepting the case there); the case page is the citizen's."""
    try:
        return reverse("hall:window-case", args=[number])
    except NoReverseMatch:  # the hall app is not installed
        return reverse("workflow:tasks")


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


def _field_labels(case, names) -> dict:
    """Listed item → form field (for items that name a field): the page offers a text input."""
    by_name = {}
    for field in case.application.form:
        by_name.setdefault(field["label"], field)
        by_name.setdefault(field["key"], field)
    return {name: by_name[name] for name in names if name in by_name}


@require_GET
@never_cache
@login_required
def case_page(request, number: str):
    case = _case_or_404(request, number)
    instance = selectors.instance_of(case)
    pending = selectors.case_pending(case, instance)
    fields = _field_labels(case, pending["supplement"] + pending["tolerant"])
    items = [{"name": name, "kind": kind, "field": fields.get(name)}
             for kind, names in (("supplement", pending["supplement"]), ("tolerant", pending["tolerant"]))
             for name in names]
    outputs = list(selectors.outputs_of(case))
    return render(request, "cases/case.html", {
        "case": case, "url": case_url(case, request), "warning": selectors.case_warning(instance),
        "timeline": selectors.case_timeline(case, instance), "documents": selectors.documents_of(case),
        "licenses": [o for o in outputs if o.license_id], "decisions": [o for o in outputs if o.document_id],
        "pending": pending, "pending_items": items, "deliveries": Delivery.choices,
        "open": case.status not in (CaseStatus.CONCLUDED, CaseStatus.TERMINATED),
        "suspension_label": dict(SuspensionKind.choices).get(case.suspension_kind, case.suspension_kind),
    })


@require_POST
@login_required
def case_delivery(request, number: str):
    case = _case_or_404(request, number)
    try:
        services.case_delivery_set(user=request.user, case=case, delivery=request.POST.get("delivery", ""),
                                   delivery_address=request.POST.get("delivery_address", ""))
    except ValidationError as exc:
        for text in [m for values in _messages(exc).values() for m in values]:
            messages.error(request, text)
    except services.Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("送达方式已保存。"))
    return redirect(reverse("cases:case-detail", args=[number]) + "#delivery")


@require_POST
@login_required
def case_supplement(request, number: str):
    case = _case_or_404(request, number)
    # Each listed item is posted under its own name (a file) or as "field:<key>" (a value).
    files = {name: request.FILES[name] for name in request.FILES}
    data = {key[len("field:"):]: value for key, value in request.POST.items()
            if key.startswith("field:") and value.strip()}
    try:
        result = services.case_supply(user=request.user, case=case, files=files, data=data)
    except ValidationError as exc:
        for text in [m for values in _messages(exc).values() for m in values]:
            messages.error(request, text)
    except services.Conflict as exc:
        messages.error(request, str(exc))
    else:
        if result["pending"]:
            messages.success(request, _("已提交。仍需提供：%(items)s。") % {"items": "、".join(result["pending"])})
        else:
            messages.success(request, _("补正材料已全部提交，审查将继续进行。"))
    return redirect(reverse("cases:case-detail", args=[number]) + "#pending")


@require_GET
@never_cache
@login_required
def case_document(request, number: str, document_id: int):
    return document_response(selectors.document_for(request.user, number, document_id))


@require_GET
@never_cache
@login_required
def staff_file(request, number: str, kind: str, pk: int):
    """A handling department downloads a material or a supplied file of the case (others: 404)."""
    found = selectors.staff_file_for(request.user, number, kind, pk)
    if found is None:
        raise Http404
    case, row = found
    services.case_file_view(user=request.user, case=case, row=row)
    response = FileResponse(row.file.open("rb"), content_type=row.content_type, as_attachment=True,
                            filename=row.original_name or f"{kind}-{row.pk}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
@login_required
def case_receipt(request, number: str):
    return receipt_response(_case_or_404(request, number), request)
