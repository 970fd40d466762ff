"""Reads of applications and cases, always scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.licenses.constants import LicenseStatus
from yiwang.licenses.selectors import licenses_of

from . import permissions
from .constants import ApplicationStatus
from .models import Application, ApplicationMaterial, Case


def valid_licenses_by_type(user, type_codes) -> dict:
    """licence type code → the user's newest valid, unexpired licence of that type."""
    today = timezone.localdate()
    out = {}
    rows = (licenses_of(user).filter(license_type__code__in=list(type_codes), status=LicenseStatus.VALID)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)))
    for license in rows:
        out.setdefault(license.license_type.code, license)
    return out


def application_for(user, pk) -> Application | None:
    application = Application.objects.select_related("applicant", "submitted_by").filter(pk=pk).first()
    if application is None or not permissions.can_view_application(user, application):
        return None
    return application


def drafts_of(user, *, item_code: str = "", life_event_code: str = "") -> QuerySet[Application]:
    drafts = Application.objects.filter(Q(applicant=user) | Q(submitted_by=user), status=ApplicationStatus.DRAFT)
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


def cases_of(user) -> QuerySet[Case]:
    """The cases where the user is the applicant or the one who applied (proxy)."""
    if not user.is_authenticated:
        return Case.objects.none()
    return (Case.objects.filter(Q(applicant=user) | Q(submitted_by=user))
            .select_related("applicant", "submitted_by").order_by("-submitted_at", "-id"))


def case_for(user, number: str) -> Case | None:
    case = (Case.objects.select_related("applicant", "submitted_by", "application")
            .filter(number=number).first())
    if case is None or not permissions.can_view_case(user, case):
        return None
    return case
