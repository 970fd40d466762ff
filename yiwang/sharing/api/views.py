"""The sharing API: staff look-ups in the registries through the sharing rules, conditional sharing
requests and their review, and the person's own access log (API.md).

A read the caller's department may not make answers 404, exactly like a person who does not exist,
so the API is no existence oracle; a request the caller may not decide answers 404 too."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from yiwang.core.errors import Conflict, drf_validation_error
from yiwang.core.ids import validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number
from yiwang.core.pagination import PageNumberPagination
from yiwang.identity.constants import StaffRole
from yiwang.identity.permissions import IsDepartmentStaff
from yiwang.identity.selectors import has_role, staff_department_code

from .. import selectors, services
from ..constants import AccessChannel
from ..exceptions import DecisionConflict, NotFound, SharingDenied
from ..models import SharingRequest
from . import serializers as s

_ERRORS = {400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}


class StaffAPIView(APIView):
    permission_classes = [IsAuthenticated, IsDepartmentStaff]
    throttle_classes = [UserRateThrottle]


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _paginated(request, view, queryset, build):
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(build(page))


# --- registry look-ups ---------------------------------------------------------------------------------

def _lookup(request, *, key: str, raw: str, validate, read) -> tuple[str, dict]:
    """Shared by the person and entity look-ups: a malformed code is 400 on its field; a subject
    that does not exist and elements the department may not read are the same 404 (no oracle)."""
    try:
        code = validate(raw)
    except DjangoValidationError as exc:
        raise exceptions.ValidationError({key: exc.messages}) from None
    params = _validated(s.LookupQuerySerializer, request.query_params)
    try:
        values = read(requester=request.user, elements=params["elements"], purpose=params["purpose"],
                      case_number=params["case"], channel=AccessChannel.STAFF_LOOKUP, **{key: code})
    except DjangoValidationError as exc:
        raise drf_validation_error(exc) from None
    except (SharingDenied, NotFound):
        raise exceptions.NotFound() from None
    return code, s.masked(values)


class PersonLookup(StaffAPIView):
    @extend_schema(tags=["sharing"], parameters=[s.LookupQuerySerializer],
                   responses={200: s.PersonLookupSerializer, **_ERRORS},
                   summary="Read a living person's data elements under the sharing rules (logged)")
    def get(self, request, id_number: str):
        number, values = _lookup(request, key="id_number", raw=id_number, validate=validate_id_number,
                                 read=services.person_data_read)
        return Response({"id_number": mask_id_number(number), "values": values})


class EntityLookup(StaffAPIView):
    @extend_schema(tags=["sharing"], parameters=[s.LookupQuerySerializer],
                   responses={200: s.EntityLookupSerializer, **_ERRORS},
                   summary="Read an entity's data elements under the sharing rules (logged)")
    def get(self, request, uscc: str):
        code, values = _lookup(request, key="uscc", raw=uscc, validate=validate_uscc, read=services.entity_data_read)
        return Response({"uscc": code, "values": values})


# --- the catalogue -------------------------------------------------------------------------------------

class DataElementList(StaffAPIView):
    pagination_class = None

    @extend_schema(tags=["sharing"], responses={200: s.DataElementSerializer(many=True)},
                   summary="The data catalogue (数据资源目录): elements, source departments, sharing classes")
    def get(self, request):
        rows = selectors.data_element_list().values(
            "code", "name", "source_department", "subject_kind", "sharing_class", "sensitive", "description")
        return Response({"count": len(rows), "results": list(rows)})


# --- sharing requests ----------------------------------------------------------------------------------

def _decides_for(user) -> str | None:
    return staff_department_code(user) if has_role(user, StaffRole.DATA_OFFICER) else None


def _request_or_404(user, pk: int) -> SharingRequest:
    sharing_request = selectors.sharing_request_visible(user, pk)
    if sharing_request is None:
        raise exceptions.NotFound()
    return sharing_request


class SharingRequestList(StaffAPIView):
    @extend_schema(tags=["sharing"], parameters=[s.RequestListQuerySerializer],
                   responses={200: s.SharingRequestSerializer(many=True), **_ERRORS},
                   summary="Sharing requests of the caller's department (made or addressed to it)")
    def get(self, request):
        params = _validated(s.RequestListQuerySerializer, request.query_params)
        if params["awaiting"]:
            queryset = selectors.sharing_requests_awaiting_decision(request.user)
        else:
            queryset = selectors.sharing_requests_for_user(request.user)
        if params.get("status"):
            queryset = queryset.filter(status=params["status"])
        if params["overdue"]:
            queryset = queryset.filter(pk__in=selectors.sharing_requests_overdue().values("pk"))
        decides_for = _decides_for(request.user)
        return _paginated(request, self, queryset,
                          lambda page: [s.request_row(r, decides_for=decides_for) for r in page])

    @extend_schema(tags=["sharing"], request=s.SharingRequestCreateSerializer,
                   responses={201: s.SharingRequestSerializer, **_ERRORS},
                   summary="Ask to read conditional elements of one source department")
    def post(self, request):
        data = _validated(s.SharingRequestCreateSerializer, request.data)
        try:
            created = services.sharing_request_create(user=request.user, **data)
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        created = selectors.sharing_request_visible(request.user, created.pk)
        return Response(s.request_row(created, decides_for=_decides_for(request.user)), status=201)


class SharingRequestDetail(StaffAPIView):
    @extend_schema(tags=["sharing"], responses={200: s.SharingRequestSerializer, **_ERRORS},
                   summary="One sharing request of the caller's department")
    def get(self, request, pk: int):
        return Response(s.request_row(_request_or_404(request.user, pk), decides_for=_decides_for(request.user)))


class _Decision(StaffAPIView):
    action_name = ""

    def act(self, request, sharing_request, reasons):
        raise NotImplementedError

    def post(self, request, pk: int):
        sharing_request = _request_or_404(request.user, pk)
        data = _validated(s.DecisionSerializer, request.data)
        try:
            self.act(request, sharing_request, data["reasons"])
        except SharingDenied:
            raise exceptions.NotFound() from None
        except DecisionConflict as exc:
            raise Conflict(str(exc)) from None
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        fresh = selectors.sharing_request_visible(request.user, pk)
        return Response(s.request_row(fresh, decides_for=_decides_for(request.user)))


_DECISION_SCHEMA = {"tags": ["sharing"], "request": s.DecisionSerializer,
                    "responses": {200: s.SharingRequestSerializer, 409: OpenApiTypes.OBJECT, **_ERRORS}}


class SharingRequestApprove(_Decision):
    @extend_schema(summary="Approve (the source department's data officer)", **_DECISION_SCHEMA)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, sharing_request, reasons):
        services.sharing_request_approve(user=request.user, sharing_request=sharing_request, reasons=reasons)


class SharingRequestRefuse(_Decision):
    @extend_schema(summary="Refuse with reasons (the source department's data officer)", **_DECISION_SCHEMA)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, sharing_request, reasons):
        services.sharing_request_refuse(user=request.user, sharing_request=sharing_request, reasons=reasons)


class SharingRequestWithdraw(_Decision):
    @extend_schema(summary="Withdraw a pending or approved request (the requesting department)",
                   **_DECISION_SCHEMA)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, sharing_request, reasons):
        services.sharing_request_withdraw(user=request.user, sharing_request=sharing_request)


# --- the person's own access log -----------------------------------------------------------------------

class MyDataAccessLog(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle]

    @extend_schema(tags=["sharing"], responses={200: s.AccessRecordSerializer(many=True)},
                   parameters=[OpenApiParameter("page", OpenApiTypes.INT),
                               OpenApiParameter("page_size", OpenApiTypes.INT)],
                   summary="Who read my data (谁查看了我的数据): newest first")
    def get(self, request):
        queryset = selectors.access_records_for_user(request.user)

        def build(page):
            departments = selectors.department_names({r.department for r in page if r.department})
            return s.access_rows(page, departments=departments, elements=selectors.element_names())

        return _paginated(request, self, queryset, build)

