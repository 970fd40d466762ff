"""The public catalogue API (API.md "Catalogue"): no authentication, throttled per client.

Views stay thin: validation and shapes are in serializers.py, reads in ..selectors, the life event
savings in ..savings, ranking in ..search.engine.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from .. import selectors
from ..constants import VersionStatus
from ..savings import life_event_savings, life_event_versions
from ..search import engine
from . import serializers as s

TAGS = ["catalogue"]
_ERRORS = {400: s.ErrorSerializer, 404: s.ErrorSerializer, 429: s.ErrorSerializer}


class PublicAPIView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle]


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _page_window(params: dict) -> tuple[int, int]:
    """(offset, limit) of the requested page."""
    return (params["page"] - 1) * params["page_size"], params["page_size"]


def _check_page(params: dict, offset: int, count: int) -> None:
    # The first page of an empty list is an empty page; any other page past the end does not exist.
    if params["page"] > 1 and offset >= count:
        raise exceptions.NotFound(_("页码超出范围：共 %(count)d 条记录。") % {"count": count})


def _paginate(params: dict, queryset):
    """(count, the requested page of `queryset`), or 404 for a page past the end."""
    offset, limit = _page_window(params)
    count = queryset.count()
    _check_page(params, offset, count)
    return count, queryset[offset:offset + limit]


def _code_path_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=description)


class DepartmentList(PublicAPIView):
    @extend_schema(tags=TAGS, operation_id="departments_list", parameters=[s.PageQuerySerializer],
                   responses={200: s.DepartmentListSerializer, **_ERRORS},
                   summary="Departments (实施主体) with the number of published items each decides")
    def get(self, request):
        params = _validated(s.PageQuerySerializer, request)
        count, departments = _paginate(params, selectors.department_list().annotate(
            item_count=Count("item_versions", filter=Q(item_versions__status=VersionStatus.PUBLISHED))
        ))
        return Response({"count": count, "results": s.department_rows(departments)})


def _filtered_versions(params: dict):
    versions = selectors.published_versions()
    if params.get("department"):
        versions = versions.filter(department=params["department"])
    if params.get("kind"):
        versions = versions.filter(kind=params["kind"])
    if params.get("target"):
        versions = versions.filter(targets=params["target"])
    if params.get("scope"):
        versions = versions.filter(scope=params["scope"])
    return versions


def _label(code):
    return code.label if code is not None else None


class ItemList(PublicAPIView):
    @extend_schema(
        tags=TAGS, operation_id="items_list", parameters=[s.ItemListQuerySerializer],
        responses={200: s.ItemListSerializer, **_ERRORS},
        summary="Published service items; with q, ranked by relevance",
        description="Without `q`: every published item ordered by code. With `q`: the items the search "
                    "engine finds, best first, each with its `score`; `did_you_mean` is added when the "
                    "engine suggests a spelling. Filters combine with AND.",
    )
    def get(self, request):
        params = _validated(s.ItemListQuerySerializer, request)
        if not params.get("q"):
            count, versions = _paginate(params, _filtered_versions(params).order_by("item__code"))
            return Response({"count": count, "results": s.item_summaries(versions)})
        offset, limit = _page_window(params)

        department = params.get("department")
        result = engine.search(
            params["q"], kinds=("item",), department=department.code if department else None,
            item_kind=_label(params.get("kind")), target=_label(params.get("target")),
            scope=_label(params.get("scope")), offset=offset, limit=limit, channel="api",
            language=getattr(request, "LANGUAGE_CODE", ""), want_log_id=False,
        )
        _check_page(params, offset, result.total)
        # The index keeps each item's summary, so a results page costs no query per item.
        results = [{**h.summary, "score": round(float(h.score), 4)}
                   for h in result.hits if h.kind == "item" and h.summary]
        body = {"count": result.total, "results": results}
        if result.did_you_mean:
            body["did_you_mean"] = result.did_you_mean
        return Response(body)


class ItemDetail(PublicAPIView):
    @extend_schema(tags=TAGS, operation_id="items_retrieve",
                   parameters=[_code_path_parameter("事项编码, e.g. GAJ-QR-0001")],
                   responses={200: s.ItemGuideSerializer, 404: s.ErrorSerializer, 429: s.ErrorSerializer},
                   summary="The service guide (办事指南) of a published item")
    def get(self, request, code: str):
        version = selectors.published_version_for(code)
        if version is None:
            raise exceptions.NotFound(_("事项不存在或已取消。"))
        life_events = version.item.life_events.filter(published=True).order_by("code").values("code", "name")
        return Response(s.item_guide(version, life_events))


class LifeEventList(PublicAPIView):
    @extend_schema(tags=TAGS, operation_id="life_events_list", parameters=[s.PageQuerySerializer],
                   responses={200: s.LifeEventListSerializer, **_ERRORS},
                   summary="Life events (一件事): bundles of items applied for once")
    def get(self, request):
        params = _validated(s.PageQuerySerializer, request)
        count, events = _paginate(params, selectors.life_event_list().annotate(
            published_items=Count("entries", filter=Q(entries__item__current_version__isnull=False))
        ))
        return Response({"count": count,
                         "results": [s.life_event_summary(e, e.published_items) for e in events]})


class LifeEventDetail(PublicAPIView):
    @extend_schema(tags=TAGS, operation_id="life_events_retrieve",
                   parameters=[_code_path_parameter("一件事编码, e.g. newborn_birth")],
                   responses={200: s.LifeEventDetailSerializer, 404: s.ErrorSerializer, 429: s.ErrorSerializer},
                   summary="A life event with its items and what applying once saves")
    def get(self, request, code: str):
        event = selectors.life_event_detail(code)
        if event is None:
            raise exceptions.NotFound(_("该一件事不存在。"))
        items = [s.item_summary(v) for v in life_event_versions(event)]
        body = s.life_event_summary(event, len(items))
        body.update({"items": items, "savings": life_event_savings(event)})
        return Response(body)
