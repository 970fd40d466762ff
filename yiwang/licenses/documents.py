"""QR codes (segno) and PDFs (WeasyPrint) of licences and their stamped copies (加注件)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe


def verify_url(token: str, request=None) -> str:
    path = f"{reverse('licenses:verify')}?{urlencode({'token': token})}"
    if request is not None:
        return request.build_absolute_uri(path)
    base = getattr(settings, "PUBLIC_BASE_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + path


def qr_svg(url: str, *, scale: int = 3, title: str = "") -> str:
    import segno

    qr = segno.make(url, error="m")
    # viewBox instead of a fixed size, so CSS scales it; segno escapes the title.
    svg = qr.svg_inline(scale=scale, title=title or None, svgclass="license-qr", lineclass=None, omitsize=True)
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308


def qr_data_uri(url: str, *, scale: int = 4) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=scale)


def license_pdf(license, *, token: str, stamp_text: str = "", request=None) -> bytes:
    """The licence's 照面 with issuer, validity, identifier and the QR code of its verification URL;
    with `stamp_text`, the stamped copy (加注件) of one use."""
    from weasyprint import HTML

    from .selectors import face_fields

    url = verify_url(token, request)
    html = render_to_string("licenses/license_pdf.html", {
        "license": license, "fields": face_fields(license), "qr": qr_data_uri(url), "verify_url": url,
        "stamp_text": stamp_text,
    })
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
