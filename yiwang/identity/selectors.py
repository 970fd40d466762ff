"""Reads about accounts that other apps need (who a user is, for whom they may act)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from yiwang.core.crypto import blind_index
from yiwang.core.ids import normalize_uscc

from .constants import AccountKind, StaffRole
from .models import EntityMembership, ProxyAuthorisation, User


def subject_index(code: str) -> str:
    """The blind index of a subject code (公民身份号码 or 统一社会信用代码); the one used everywhere
    a record must be found by whose it is (licences, access log, inbox)."""
    return blind_index(normalize_uscc(code), purpose="id")


def active_memberships(user: User):
    return active_memberships_of([user.pk])


def own_subject_hashes(user: User) -> set[str]:
    """Subjects whose data and licences this user sees as their own: their person and the entities
    they act for (as legal representative or authorised agent). Proxy principals are not included:
    acting for them is explicit (acting_subject_hashes)."""
    return own_subject_hashes_many([user]).get(user.pk, set())


def own_subject_hashes_many(users) -> dict[int, set[str]]:
    """own_subject_hashes for several users with one read of their memberships (a batch of submits)."""
    out = {u.pk: ({u.id_number_hash} if u.id_number_hash else set()) for u in users if u.is_authenticated}
    if out:
        for user_id, uscc in active_memberships_of(out).values_list("user_id", "entity_uscc"):
            out[user_id].add(subject_index(uscc))
    return out


def active_memberships_of(user_ids):
    today = timezone.localdate()
    return EntityMembership.objects.filter(user_id__in=list(user_ids), revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today))


def ward_subject_hashes(user: User) -> set[str]:
    """Blind indexes of the user's wards (监护): their minor children by the registry's birth record.
    Kept apart from own_subject_hashes: a guardian sees and uses a ward's licences, nothing more."""
    from yiwang.registry import selectors as registry

    person = registry.person_of_account(user)
    if person is None or person.died_on is not None:
        return set()
    return {child.id_number_hash for child in registry.minor_children(person)}


def active_proxy_grants(proxy: User):
    today = timezone.localdate()
    return ProxyAuthorisation.objects.filter(proxy=proxy, revoked_at__isnull=True, valid_until__gte=today,
                                             principal__is_active=True).select_related("principal")


def proxy_grant_for(*, proxy: User, principal_id: int, item_code: str | None = None) -> ProxyAuthorisation | None:
    """The grant that lets `proxy` act for `principal_id` (for `item_code` if given), or None."""
    for grant in active_proxy_grants(proxy).filter(principal_id=principal_id):
        if grant.covers(item_code):
            return grant
    return None


def acting_subject_hashes(user: User, *, on_behalf_of: int | None = None, item_code: str | None = None) -> set[str]:
    """The subjects `user` may act as right now: themselves, or a principal under a valid grant."""
    if on_behalf_of is None:
        return own_subject_hashes(user)
    grant = proxy_grant_for(proxy=user, principal_id=on_behalf_of, item_code=item_code)
    if grant is None or not grant.principal.id_number_hash:
        return set()
    return {grant.principal.id_number_hash}


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
