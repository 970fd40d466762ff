from django.http import HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .health import run_checks
from .preferences import ELDERLY_COOKIE, ELDERLY_COOKIE_AGE


@never_cache
def healthz(request):
    checks = run_checks()
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    return target


@require_POST
def toggle_elderly_mode(request):
    """Remembered in a cookie so it works before login and for every later visit."""
    enable = request.POST.get("elderly") == "1"
    response = HttpResponseRedirect(_safe_next(request))
    if enable:
        response.set_cookie(ELDERLY_COOKIE, "1", max_age=ELDERLY_COOKIE_AGE, samesite="Lax",
                            secure=request.is_secure(), httponly=True)
    else:
        response.delete_cookie(ELDERLY_COOKIE, samesite="Lax")
    return response
