"""The API error format of API.md: {"error": {"code", "message", "fields"}} in the request's language."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

_DEFAULT_MESSAGES = {
    "not_found": lambda: _("请求的资源不存在。"),
    "permission_denied": lambda: _("您没有执行该操作的权限。"),
    "not_authenticated": lambda: _("请先登录。"),
    "authentication_failed": lambda: _("用户名或密码错误。"),
    "throttled": lambda: _("请求过于频繁，请稍后再试。"),
    "method_not_allowed": lambda: _("不支持该请求方法。"),
    "parse_error": lambda: _("请求内容格式错误。"),
    "unsupported_media_type": lambda: _("不支持的请求内容类型。"),
    "invalid": lambda: _("提交的数据有误，请检查后重试。"),
    "conflict": lambda: _("该操作与当前状态冲突。"),
    "server_error": lambda: _("服务器内部错误，请稍后再试。"),
}


class Conflict(exceptions.APIException):
    """409: a transition that is no longer legal (API.md), e.g. a task already completed."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("该操作与当前状态冲突。")


def drf_validation_error(exc) -> exceptions.ValidationError:
    """A Django ValidationError from a service as the API's 400 with per-field messages."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def error_body(code: str, message: str | None = None, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message or _DEFAULT_MESSAGES.get(code, _DEFAULT_MESSAGES["invalid"])(),
                      "fields": fields or {}}}


def _flatten(detail, prefix: str = "") -> dict:
    """DRF's nested ValidationError detail → {"field": ["message"], "items.0.name": ["message"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}{key}."))
    elif isinstance(detail, list):
        messages = [str(v) for v in detail if not isinstance(v, dict | list)]
        if messages:
            out[prefix.rstrip(".") or "non_field_errors"] = messages
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out.update(_flatten(value, f"{prefix}{index}."))
    else:
        out[prefix.rstrip(".") or "non_field_errors"] = [str(detail)]
    return out


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(error_body("server_error"), status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", fields=_flatten(exc.detail))
    else:
        code = getattr(exc, "default_code", "error")
        if response.status_code == status.HTTP_409_CONFLICT:
            code = "conflict"
        detail = exc.detail if isinstance(exc.detail, str) else None
        body = error_body(code, str(detail) if detail else None)
    response.data = body
    return response


def json_error(request, code: str, status_code: int):
    return JsonResponse(error_body(code), status=status_code)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error(request, "not_found", 404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception, template_name="404.html")


def handler500(request):
    if request.path.startswith("/api/"):
        return json_error(request, "server_error", 500)
    from django.views.defaults import server_error

    return server_error(request, template_name="500.html")
