"""Reads of the data catalogue, sharing requests and access records."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.catalog.selectors import department_list
from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors import has_role, own_subject_hashes, staff_department_code

from .constants import RequestStatus
from .models import DataAccessRecord, DataElement, SharingRequest


def data_element_list() -> QuerySet[DataElement]:
    return DataElement.objects.order_by("subject_kind", "source_department", "code")


def data_elements_by_code(codes) -> dict[str, DataElement]:
    return {e.code: e for e in DataElement.objects.filter(code__in=list(codes))}


def element_names() -> dict[str, str]:
    return dict(DataElement.objects.values_list("code", "name"))


def department_names(codes=None) -> dict[str, str]:
    departments = department_list() if codes is None else department_list().filter(code__in=list(codes))
    return dict(departments.values_list("code", "name"))


def granted_element_codes(department_code: str, *, today: dt.date | None = None) -> set[str]:
    """Elements `department_code` may read now under approved, unexpired requests."""
    today = today or timezone.localdate()
    return set(
        SharingRequest.objects.filter(requesting_department__code=department_code, status=RequestStatus.APPROVED,
                                      valid_until__gte=today)
        .values_list("elements__code", flat=True)
    )


def _requests() -> QuerySet[SharingRequest]:
    return SharingRequest.objects.select_related(
        "requesting_department", "source_department", "requested_by", "decided_by"
    ).prefetch_related("elements")


def sharing_requests_for_user(user) -> QuerySet[SharingRequest]:
    """The requests a staff user may see: their department's own and those addressed to it."""
    code = staff_department_code(user)
    if not code:
        return SharingRequest.objects.none()
    return _requests().filter(Q(requesting_department__code=code) | Q(source_department__code=code))


def sharing_requests_awaiting_decision(user) -> QuerySet[SharingRequest]:
    """Pending requests this user decides: data officers (数据专员) of the source department."""
    code = staff_department_code(user)
    if not code or not has_role(user, StaffRole.DATA_OFFICER):
        return SharingRequest.objects.none()
    return _requests().filter(source_department__code=code, status=RequestStatus.PENDING).order_by("due_at", "id")


def sharing_requests_overdue(*, today: dt.date | None = None) -> QuerySet[SharingRequest]:
    """Pending requests past their review deadline, for supervision (逾期未答复)."""
    today = today or timezone.localdate()
    return _requests().filter(status=RequestStatus.PENDING, due_at__lt=today).order_by("due_at", "id")


def sharing_request_visible(user, pk) -> SharingRequest | None:
    return sharing_requests_for_user(user).filter(pk=pk).first()


def can_decide(user, sharing_request: SharingRequest) -> bool:
    code = staff_department_code(user)
    return bool(code) and code == sharing_request.source_department.code and has_role(user, StaffRole.DATA_OFFICER)


def access_records_for_user(user) -> QuerySet[DataAccessRecord]:
    """Reads of the user's own data (their person, and entities an enterprise account acts for)."""
    hashes = own_subject_hashes(user)
    if not hashes:
        return DataAccessRecord.objects.none()
    return DataAccessRecord.objects.filter(subject_hash__in=hashes).order_by("-at", "-id")
