"""Demo accounts. Created only by `manage.py load_demo`, never by settings or migrations.

`citizen` (张伟) is a married parent in the person registry, `citizen2` (李秀英) an elderly widow who
made `citizen` her proxy, `enterprise` (王芳) an authorised agent of the demo company. Staff accounts
carry roles and a TOTP device with the published demo secret (README), because 2FA is mandatory."""

from __future__ import annotations

import base64
import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.catalog.models import Department
from yiwang.core.crypto import blind_index
from yiwang.registry.demo import DEMO_COMPANY, DEMO_PEOPLE, DEMO_PHONES

from .constants import AccountKind, EntityRole, ProxyRelation, StaffRole
from .models import EntityMembership, ProxyAuthorisation

DEMO_PASSWORD = "yiwang-demo"  # noqa: S105 - published in README for the demo only
DEMO_TOTP_KEY = b"yiwang-demo-totp-key"  # published in README (base32 below) for the demo only
DEMO_TOTP_SECRET_BASE32 = base64.b32encode(DEMO_TOTP_KEY).decode()

# username, kind, display name, department, registry person key, roles
DEMO_ACCOUNTS = [
    ("citizen", AccountKind.CITIZEN, "张伟", None, "citizen", []),
    ("citizen2", AccountKind.CITIZEN, "李秀英", None, "citizen2", []),
    ("enterprise", AccountKind.ENTERPRISE, "王芳", None, "enterprise", []),
    ("clerk", AccountKind.STAFF, "综合窗口 陈静", "SPJ", None, [StaffRole.WINDOW_CLERK]),
]
DEPARTMENT_STAFF_ROLES = [StaffRole.HANDLER, StaffRole.APPROVER, StaffRole.DEPARTMENT_ADMIN, StaffRole.DATA_OFFICER]
EXTRA_ROLES = {"SPJ": [StaffRole.SUPERVISOR, StaffRole.CATALOG_EDITOR], "SJJ": [StaffRole.SUPERVISOR]}


def _set_real_name(user, person_key: str) -> None:
    _name, _sex, _birth, id_number = DEMO_PEOPLE[person_key]
    phone = DEMO_PHONES.get(person_key, "")
    user.id_number, user.id_number_hash = id_number, blind_index(id_number, purpose="id")
    user.phone, user.phone_hash = phone, blind_index(phone, purpose="phone") if phone else ""
    user.real_name_verified_at = timezone.now()
    user.save(update_fields=["id_number", "id_number_hash", "phone", "phone_hash", "real_name_verified_at"])


def _ensure_totp(user) -> None:
    if not TOTPDevice.objects.filter(user=user).exists():
        TOTPDevice.objects.create(user=user, name="demo", key=DEMO_TOTP_KEY.hex(), confirmed=True)


@transaction.atomic
def create_demo_accounts() -> list[str]:
    """Idempotent: existing accounts keep their passwords and data."""
    User = get_user_model()
    created = []
    departments = {d.code: d for d in Department.objects.all()}
    groups = {g.name: g for g in Group.objects.filter(name__in=StaffRole.values)}
    wanted = [(u, k, n, departments.get(d) if d else None, p, r) for u, k, n, d, p, r in DEMO_ACCOUNTS]
    wanted += [(f"staff-{code.lower()}", AccountKind.STAFF, f"{dept.name} 工作人员", dept, None,
                DEPARTMENT_STAFF_ROLES + EXTRA_ROLES.get(code, []))
               for code, dept in sorted(departments.items())]
    wanted.append(("admin", AccountKind.STAFF, "平台管理员", None, None, []))
    for username, kind, name, dept, person_key, roles in wanted:
        is_admin = username == "admin"
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={"kind": kind, "display_name": name, "department": dept,
                      "is_staff": is_admin or StaffRole.CATALOG_EDITOR in roles, "is_superuser": is_admin},
        )
        if not was_created:
            continue
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        created.append(username)
        if person_key:
            _set_real_name(user, person_key)
        if roles:
            user.groups.add(*[groups[str(r)] for r in roles])
        if kind == AccountKind.STAFF:
            _ensure_totp(user)
    if "citizen2" in created and "citizen" in {u.username for u in User.objects.filter(username="citizen")}:
        ProxyAuthorisation.objects.get_or_create(
            principal=User.objects.get(username="citizen2"), proxy=User.objects.get(username="citizen"),
            defaults={"relation": ProxyRelation.FAMILY, "item_codes": [],
                      "valid_until": timezone.localdate() + dt.timedelta(days=3 * 365)},
        )
    if "enterprise" in created:
        EntityMembership.objects.get_or_create(
            user=User.objects.get(username="enterprise"), entity_uscc=DEMO_COMPANY["uscc"],
            defaults={"entity_name": DEMO_COMPANY["name"], "role": EntityRole.AGENT,
                      "valid_until": timezone.localdate() + dt.timedelta(days=365)},
        )
    return created
