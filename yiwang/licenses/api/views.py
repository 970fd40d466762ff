"""Licences API: public verification, the holder's wallet and uses, and the issuer's transitions."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from yiwang.core.errors import Conflict
from yiwang.core.pagination import PageNumberPagination

from .. import selectors, services
from ..models import License
from . import serializers as s

TAGS = ["licenses"]
PAGE_PARAMETERS = [OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
                   OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page; at most 100.")]


class VerifyView(APIView):
    """Public: anyone holding a QR token can check the licence behind it."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(tags=TAGS, operation_id="licenses_verify", parameters=[s.VerifyQuerySerializer],
                   responses={200: s.VerifyResultSerializer},
                   summary="Verify a licence from the token in its QR code (signature, status, validity)")
    def get(self, request):
        query = s.VerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = services.license_verify_token(query.validated_data["token"])
        return Response(s.verify_result(result))


class _Paginated(APIView):
    def paginate(self, queryset, build):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response([build(row) for row in page])


class MyLicenseList(_Paginated):
    @extend_schema(tags=TAGS, operation_id="me_licenses_list", parameters=PAGE_PARAMETERS,
                   responses={200: s.OwnLicenseListSerializer},
                   summary="The caller's licences (their own, the entities they act for and their minor children's)")
    def get(self, request):
        return self.paginate(selectors.wallet_licenses(request.user),
                             lambda lic: s.own_license(lic, services.license_token(lic)))


class MyLicenseUseList(_Paginated):
    @extend_schema(tags=TAGS, operation_id="me_license_uses_list", parameters=PAGE_PARAMETERS,
                   responses={200: s.LicenseUseListSerializer},
                   summary="Every use (用证) of one of the caller's licences")
    def get(self, request, identifier: str):
        license = selectors.own_license(request.user, identifier)
        return self.paginate(selectors.license_uses(license), s.license_use)


class LicenseTransitionView(APIView):
    """Staff of the issuing department: suspend (暂扣), revoke (撤销/吊销), cancel (注销)."""

    action_name = ""
    actions = {"suspend": services.license_suspend, "revoke": services.license_revoke,
               "cancel": services.license_cancel}

    @extend_schema(tags=TAGS, request=s.TransitionRequestSerializer, responses={200: s.PublicLicenseSerializer})
    def post(self, request, identifier: str):
        body = s.TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        license = License.objects.select_related("license_type", "issuer").filter(identifier=identifier).first()
        if license is None:
            raise Http404
        try:
            license = self.actions[self.action_name](license=license, actor=request.user,
                                                     reason=body.validated_data["reason"])
        except PermissionDenied:
            raise Http404 from None  # not the issuer: no existence oracle
        except services.LicenseError as exc:
            raise Conflict(str(exc)) from None
        return Response(selectors.license_public_summary(license))
