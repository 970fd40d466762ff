"""Demo accounts. Created only by `manage.py load_demo`, never by settings or migrations."""

from django.contrib.auth import get_user_model
from django.db import transaction

from yiwang.catalog.models import Department

from .constants import AccountKind

DEMO_PASSWORD = "yiwang-demo"  # noqa: S105 - published in README for the demo only

DEMO_ACCOUNTS = [
    ("citizen", AccountKind.CITIZEN, "张伟", None),
    ("citizen2", AccountKind.CITIZEN, "李秀英", None),
    ("enterprise", AccountKind.ENTERPRISE, "王芳（代理人）", None),
    ("clerk", AccountKind.STAFF, "综合窗口 陈静", "SPJ"),
]


@transaction.atomic
def create_demo_accounts() -> list[str]:
    """Idempotent: existing accounts keep their passwords and data."""
    User = get_user_model()
    created = []
    departments = {d.code: d for d in Department.objects.all()}
    wanted = [(u, k, n, departments.get(d) if d else None) for u, k, n, d in DEMO_ACCOUNTS]
    wanted += [(f"staff-{code.lower()}", AccountKind.STAFF, f"{dept.name} 工作人员", dept)
               for code, dept in sorted(departments.items())]
    for username, kind, name, dept in wanted:
        user, was_created = User.objects.get_or_create(
            username=username,
            defaults={"kind": kind, "display_name": name, "department": dept, "is_staff": False},
        )
        if was_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created.append(username)
    admin, was_created = User.objects.get_or_create(
        username="admin", defaults={"kind": AccountKind.STAFF, "display_name": "平台管理员",
                                    "is_staff": True, "is_superuser": True},
    )
    if was_created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
        created.append("admin")
    return created
