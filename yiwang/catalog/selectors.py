"""Reads of the catalogue. Public pages and the API only ever see published versions."""

from django.db.models import Prefetch, QuerySet

from .constants import VersionStatus
from .models import Code, Department, LifeEvent, LifeEventItem, ServiceItem, ServiceItemVersion


def code_lookup(list_name: str) -> dict[str, Code]:
    """value → Code and label → Code for one list, for resolving imported data."""
    out: dict[str, Code] = {}
    for code in Code.objects.filter(code_list__name=list_name, active=True):
        out[code.value] = code
        out[code.label] = code
    return out


def department_list() -> QuerySet[Department]:
    return Department.objects.order_by("code")


def published_versions() -> QuerySet[ServiceItemVersion]:
    return ServiceItemVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related(
        "item", "department", "kind", "level", "case_kind", "scope"
    ).prefetch_related("targets")


def published_version_for(code: str) -> ServiceItemVersion | None:
    return (
        published_versions()
        .prefetch_related(
            "materials__license_type", "form_fields", "process_steps", "outputs__license_type",
            "parallel_departments", "handling_forms",
        )
        .filter(item__code=code)
        .first()
    )


def life_event_list() -> QuerySet[LifeEvent]:
    return LifeEvent.objects.filter(published=True).prefetch_related("targets").order_by("code")


def life_event_detail(code: str) -> LifeEvent | None:
    versions = published_versions().prefetch_related("materials__license_type")
    entries = LifeEventItem.objects.select_related("item__current_version").prefetch_related(
        Prefetch("item__versions", queryset=versions, to_attr="published")
    )
    return (
        LifeEvent.objects.filter(published=True, code=code)
        .prefetch_related("targets", Prefetch("entries", queryset=entries))
        .first()
    )


def item_count() -> int:
    return ServiceItem.objects.filter(current_version__isnull=False).count()


def existing_item_codes(codes) -> set[str]:
    return set(ServiceItem.objects.filter(code__in=list(codes)).values_list("code", flat=True))
