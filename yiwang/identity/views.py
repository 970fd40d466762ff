"""Pages: registration with the real-name check, the staff second factor, my account, proxies."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from . import selectors, services
from .forms import ProxyGrantForm, RegistrationForm, TwoFactorForm
from .models import ProxyAuthorisation

MAX_TOTP_FAILURES = 5


def _apply_errors(form, exc: ValidationError) -> None:
    for field, messages_ in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_http_methods(["GET", "POST"])
def register(request):
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.citizen_register(name=data["name"], id_number=data["id_number"], phone=data["phone"],
                                             password=data["password"], uscc=data.get("uscc", ""), request=request)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功，已通过实名核验。您的登录名是 %(username)s，也可以用公民身份号码或手机号码登录。")
                             % {"username": user.username})
            return redirect("identity:account")
    return render(request, "identity/register.html", {"form": form})


@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Enrol (first time: QR code of the secret) or verify the staff TOTP code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("identity:login")
    if not services.requires_second_factor(user) or user.is_verified():
        return redirect(_safe_next(request, "/"))
    device = services.totp_device_for(user)
    enrolling = device is None
    if enrolling:
        device = services.totp_device_for(user, create=True)
    form = TwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = services.totp_verify(user=user, token=form.cleaned_data["token"])
        if verified is not None:
            otp_login(request, verified)
            request.session.pop("totp_failures", None)
            return redirect(_safe_next(request, "/admin/" if user.is_staff else "/"))
        failures = request.session.get("totp_failures", 0) + 1
        if failures >= MAX_TOTP_FAILURES:
            logout(request)
            messages.error(request, _("动态口令连续错误次数过多，请重新登录。"))
            return redirect("identity:login")
        request.session["totp_failures"] = failures
        form.add_error("token", _("动态口令不正确或已过期，请重试。"))
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request, "")}
    if enrolling:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4, title=_("身份验证器二维码"))
        context["secret"] = _base32(device.bin_key)
    return render(request, "identity/two_factor.html", context)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


@login_required
def account(request):
    user = request.user
    context = {
        "memberships": selectors.active_memberships(user),
        "proxies_granted": user.proxies_granted.select_related("proxy"),
        "proxies_received": selectors.active_proxy_grants(user),
        "roles": list(user.groups.values_list("name", flat=True)),
    }
    return render(request, "identity/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def proxies(request):
    form = ProxyGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.proxy_grant(principal=request.user, proxy_id_number=form.cleaned_data["proxy_id_number"],
                                 relation=form.cleaned_data["relation"], valid_until=form.cleaned_data["valid_until"],
                                 item_codes=form.cleaned_item_codes())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已授权代办。"))
            return redirect("identity:proxies")
    context = {"form": form, "granted": request.user.proxies_granted.select_related("proxy"),
               "received": selectors.active_proxy_grants(request.user)}
    return render(request, "identity/proxies.html", context)


@login_required
@require_POST
def proxy_revoke(request, pk: int):
    grant = ProxyAuthorisation.objects.filter(pk=pk).first()
    if grant is None or request.user.pk not in (grant.principal_id, grant.proxy_id):
        raise Http404
    try:
        services.proxy_revoke(actor=request.user, grant=grant)
    except (ValidationError, PermissionDenied):
        messages.info(request, _("该授权已撤销。"))
    else:
        messages.success(request, _("已撤销代办授权。"))
    return redirect("identity:proxies")
