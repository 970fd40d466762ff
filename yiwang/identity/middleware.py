"""TOTP is mandatory for staff: a staff session that has not passed the second factor can reach
only the 2FA pages, logout, static files and the language switch."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from yiwang.core.errors import error_body

from .services import requires_second_factor

_OPEN_PREFIXES = ("/static/", "/i18n/", "/jsi18n/", "/healthz")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and requires_second_factor(user) and not user.is_verified():
            path = request.path
            allowed = {reverse("identity:two_factor"), reverse("identity:logout")}
            if path.startswith("/api/") and path != reverse("identity-api:token"):
                return JsonResponse(error_body("not_authenticated", _("工作人员须先完成动态口令验证。")), status=401)
            if path not in allowed and not path.startswith(_OPEN_PREFIXES):
                return redirect(f"{reverse('identity:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)
