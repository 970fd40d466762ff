"""Reads about accounts that other apps need (who a user is, for whom they may act)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from yiwang.core.crypto import blind_index
from yiwang.core.ids import normalize_uscc

from .constants import AccountKind, StaffRole
from .models import EntityMembership, User


def subject_index(code: str) -> str:
    """The blind index of a subject code (公民身份号码 or 统一社会信用代码); the one used everywhere
    a record must be found by whose it is (licences, access log, inbox)."""
    return blind_index(normalize_uscc(code), purpose="id")


def active_memberships(user: User):
    today = timezone.localdate()
    return EntityMembership.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today))


def own_subject_hashes(user: User) -> set[str]:
    """Subjects whose data and licences this user sees as their own: their person (citizens) and the
    entities they act for (enterprise accounts). Proxy principals are not included."""
    if not user.is_authenticated:
        return set()
    hashes = set()
    if user.id_number_hash:
        hashes.add(user.id_number_hash)
    if user.kind == AccountKind.ENTERPRISE:
        hashes |= {subject_index(m.entity_uscc) for m in active_memberships(user)}
    return hashes


def has_role(user: User, role: StaffRole | str) -> bool:
    if not user.is_authenticated or user.kind != AccountKind.STAFF:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=str(role)).exists()


def staff_department_code(user: User) -> str | None:
    if user.is_authenticated and user.kind == AccountKind.STAFF and user.department_id:
        return user.department.code
    return None
