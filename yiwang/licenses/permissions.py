"""Who may see, manage and use a licence."""

from yiwang.identity.constants import AccountKind
from yiwang.identity.selectors import acting_subject_hashes, own_subject_hashes, ward_subject_hashes


def is_holder(user, license) -> bool:
    return bool(user and license.holder_hash in own_subject_hashes(user))


def is_guardian(user, license) -> bool:
    """The holder is the user's minor child (a newborn's birth certificate, say)."""
    return bool(user and license.holder_hash in ward_subject_hashes(user))


def can_manage(user, license) -> bool:
    """Suspend, revoke, cancel: staff of the issuing department (platform superusers too, for the
    admin actions)."""
    if not user or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.kind == AccountKind.STAFF and user.department_id == license.issuer_id


def can_use(user, license, *, on_behalf_of=None, item_code: str = "") -> bool:
    """The holder uses it; or a proxy under a valid grant of the holder (代办) for this item; or
    department staff using it while handling a case."""
    if not user or not user.is_authenticated:
        return False
    if user.kind == AccountKind.STAFF:
        return user.department_id is not None
    if on_behalf_of is None:
        return is_holder(user, license) or is_guardian(user, license)
    hashes = acting_subject_hashes(user, on_behalf_of=on_behalf_of.pk, item_code=item_code or None)
    return license.holder_hash in hashes
