"""DRF permissions about who the caller is; object-level checks stay in each app's services."""

from rest_framework.permissions import BasePermission

from .selectors import staff_department_code


class IsDepartmentStaff(BasePermission):
    """Staff accounts with a department (TOTP-verified: the middleware and the token endpoint see to
    it). Other accounts get 403: a wrong kind of account, not an object-level refusal."""

    def has_permission(self, request, view):
        return staff_department_code(request.user) is not None
