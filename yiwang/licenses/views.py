"""Pages: the holder's wallet (证照夹) with QR codes and uses, PDFs, and public verification."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from yiwang.identity.selectors import own_subject_hashes

from . import selectors, services
from .constants import VerifyReason
from .documents import license_pdf, qr_svg, verify_url

MAX_TOKEN_LENGTH = 1000


@require_GET
@never_cache
@login_required
def wallet(request):
    rows = []
    own = own_subject_hashes(request.user)
    for license in selectors.wallet_licenses(request.user):
        url = verify_url(services.license_token(license), request)
        rows.append({"license": license, "fields": selectors.masked_fields(license),
                     "holder": selectors.masked_holder(license), "verify_url": url,
                     "qr": qr_svg(url, title=_("%(name)s核验二维码") % {"name": license.name}),
                     "uses": list(selectors.license_uses(license)), "ward": license.holder_hash not in own})
    rows.sort(key=lambda row: row["ward"])  # the user's own first, then their children's (stable)
    return render(request, "licenses/wallet.html", {"rows": rows})


@require_GET
@never_cache
@login_required
def license_pdf_view(request, identifier: str):
    license = selectors.own_license(request.user, identifier)
    pdf = license_pdf(license, token=services.license_token(license), request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{license.type_code}-{license.pk}.pdf"'
    return response


@require_GET
@never_cache
@login_required
def stamped_copy(request, identifier: str, use_id: int):
    use = services.stamped_copy_render(use=selectors.own_license_use(request.user, identifier, use_id))
    return FileResponse(use.stamped_copy.open("rb"), content_type="application/pdf",
                        filename=f"stamped-{use.license.type_code}-{use.pk}.pdf", as_attachment=False)


@require_GET
def verify(request):
    token = (request.GET.get("token") or "").strip()
    result = None
    if token:
        result = (services.license_verify_token(token) if len(token) <= MAX_TOKEN_LENGTH
                  else services.VerifyResult(False, VerifyReason.MALFORMED))
    summary = selectors.license_public_summary(result.license) if result and result.license else None
    return render(request, "licenses/verify.html", {"token": token, "result": result, "summary": summary})
