"""The receipt (申报回执) and the notices and decisions of a case as PDF: WeasyPrint with the embedded
CJK font, and a segno QR code of the case's tracking page."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from yiwang.core.masking import mask_id_number


def case_url(case, request=None) -> str:
    path = reverse("cases:case-detail", args=[case.number])
    if request is not None:
        return request.build_absolute_uri(path)
    base = getattr(settings, "PUBLIC_BASE_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + path


def qr_data_uri(url: str, *, scale: int = 4) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=scale)


def person_label(user) -> str:
    """Name and masked ID number: enough to recognise, not to copy."""
    name = user.display_name or user.get_username()
    return f"{name}（{mask_id_number(user.id_number)}）" if user.id_number else name


def receipt_context(case, request=None) -> dict:
    url = case_url(case, request)
    return {
        "case": case, "url": url, "qr": qr_data_uri(url),
        "applicant": person_label(case.applicant),
        "submitted_by": person_label(case.submitted_by) if case.is_proxy else "",
        "window_clerk": (case.submitted_by.display_name or case.submitted_by.get_username()) if case.is_window else "",
        "submitted_at": timezone.localtime(case.submitted_at),
        "printed_at": timezone.localtime(),
    }


def receipt_pdf(case, request=None) -> bytes:
    from weasyprint import HTML

    html = render_to_string("cases/receipt_pdf.html", receipt_context(case, request))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def document_context(document, request=None) -> dict:
    url = case_url(document.case, request)
    return {"document": document, "case": document.case, "content": document.values, "url": url,
            "qr": qr_data_uri(url), "printed_at": timezone.localtime()}


def document_pdf(document, request=None) -> bytes:
    """A notice or decision (CaseDocument) as PDF, from the content fixed when it was issued."""
    from weasyprint import HTML

    html = render_to_string("cases/notice_pdf.html", document_context(document, request))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
