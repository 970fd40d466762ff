from rest_framework.permissions import BasePermission

from yiwang.identity.selectors import staff_department_code


def is_department_staff(user) -> bool:
    return staff_department_code(user) is not None


class IsDepartmentStaff(BasePermission):
    """Staff with a department: the follow-up tasks are per department."""

    def has_permission(self, request, view):
        return is_department_staff(request.user)
