from rest_framework.permissions import BasePermission

from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors import has_role


def is_supervisor(user) -> bool:
    return has_role(user, StaffRole.SUPERVISOR)


class IsSupervisor(BasePermission):
    def has_permission(self, request, view):
        return is_supervisor(request.user)
