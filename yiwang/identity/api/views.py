"""Accounts API (API.md "Conventions": auth/register, auth/token) and the caller's own account."""

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from yiwang.core.errors import Conflict, drf_validation_error, error_body

from .. import selectors, services
from ..auth import BearerTokenAuthentication
from ..models import ProxyAuthorisation
from . import serializers as s

TAGS = ["accounts"]


class _DeleteNeedsToken(BasePermission):
    def has_permission(self, request, view):
        return request.method != "DELETE" or (request.user.is_authenticated and request.auth is not None)


class AuthAPIView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterView(AuthAPIView):
    @extend_schema(tags=TAGS, request=s.RegisterSerializer, responses={201: s.AccountSerializer})
    def post(self, request):
        serializer = s.RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.citizen_register(**serializer.validated_data, request=request)
        except ValidationError as exc:
            raise drf_validation_error(exc) from None
        return Response(s.AccountSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(AuthAPIView):
    """Bearer tokens: POST issues one (staff must add their TOTP code), DELETE revokes the one used."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [_DeleteNeedsToken]

    @extend_schema(tags=TAGS, request=s.TokenRequestSerializer, responses={200: s.TokenSerializer})
    def post(self, request):
        serializer = s.TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        django_request = request._request
        user = authenticate(django_request, username=data["username"], password=data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return Response(error_body("throttled", _("登录失败次数过多，账号已临时锁定，请稍后再试。")),
                            status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None:
            return Response(error_body("authentication_failed"), status=status.HTTP_401_UNAUTHORIZED)
        if services.requires_second_factor(user) and services.totp_verify(user=user, token=data.get("otp", "")) is None:
            return Response(error_body("authentication_failed", _("工作人员须提供正确的动态口令。"),
                                       fields={"otp": [_("动态口令不正确或已过期。")]}),
                            status=status.HTTP_401_UNAUTHORIZED)
        instance, token = services.api_token_issue(user=user, request=request)
        return Response({"token": token, "expires_at": instance.expiry})

    @extend_schema(tags=TAGS, request=None, responses={204: None})
    def delete(self, request):
        services.api_token_revoke(user=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(tags=TAGS, responses=s.AccountSerializer)
    def get(self, request):
        return Response(s.AccountSerializer(request.user).data)


class ProxyListView(APIView):
    """Grants the caller gave (as principal)."""

    @extend_schema(tags=TAGS, responses=s.ProxyGrantSerializer(many=True))
    def get(self, request):
        grants = request.user.proxies_granted.select_related("principal", "proxy")
        data = s.ProxyGrantSerializer(grants, many=True).data
        return Response({"count": len(data), "results": data})

    @extend_schema(tags=TAGS, request=s.ProxyGrantRequestSerializer, responses={201: s.ProxyGrantSerializer})
    def post(self, request):
        serializer = s.ProxyGrantRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            grant = services.proxy_grant(principal=request.user, **serializer.validated_data)
        except ValidationError as exc:
            raise drf_validation_error(exc) from None
        return Response(s.ProxyGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class ProxyRevokeView(APIView):
    @extend_schema(tags=TAGS, request=None, responses=s.ProxyGrantSerializer)
    def post(self, request, pk: int):
        grant = get_object_or_404(ProxyAuthorisation.objects.filter(principal=request.user)
                                  | ProxyAuthorisation.objects.filter(proxy=request.user), pk=pk)
        try:
            grant = services.proxy_revoke(actor=request.user, grant=grant)
        except ValidationError as exc:
            raise Conflict(exc.messages[0]) from None
        return Response(s.ProxyGrantSerializer(grant).data)


class PrincipalListView(APIView):
    """People the caller may act for now (代办人 view)."""

    @extend_schema(tags=TAGS, responses=s.ProxyGrantSerializer(many=True))
    def get(self, request):
        data = s.ProxyGrantSerializer(selectors.active_proxy_grants(request.user).select_related("proxy"),
                                      many=True).data
        return Response({"count": len(data), "results": data})


class EntityAgentView(APIView):
    @extend_schema(tags=TAGS, request=s.AgentRequestSerializer, responses={201: None})
    def post(self, request, uscc: str):
        serializer = s.AgentRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            membership = services.entity_agent_authorise(actor=request.user, uscc=uscc,
                                                         **serializer.validated_data)
        except PermissionDenied:
            raise exceptions.NotFound() from None
        except ValidationError as exc:
            raise drf_validation_error(exc) from None
        return Response({"entity": membership.entity_uscc, "agent": membership.user.username,
                         "role": membership.role, "valid_until": membership.valid_until},
                        status=status.HTTP_201_CREATED)
