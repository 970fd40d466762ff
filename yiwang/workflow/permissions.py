from rest_framework.permissions import BasePermission

from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors import has_role, staff_department_code


class IsDepartmentStaff(BasePermission):
    """Staff with a department (TOTP-verified: the middleware and the token endpoint see to it)."""

    def has_permission(self, request, view):
        return staff_department_code(request.user) is not None


def is_supervisor(user) -> bool:
    return has_role(user, StaffRole.SUPERVISOR)


class IsSupervisor(BasePermission):
    def has_permission(self, request, view):
        return is_supervisor(request.user)
