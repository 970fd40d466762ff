"""Applications and cases API (API.md "Applications and cases (applicant)").

Someone else's application, material or case answers 404; a change to a submitted application 409;
field errors 400 in the project error format, by field key."""

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, renderers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from yiwang.core.errors import Conflict, drf_validation_error
from yiwang.core.pagination import PageNumberPagination

from .. import selectors, services
from ..documents import receipt_pdf
from . import serializers as s

TAGS = ["applications"]
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Retry safely: the same key returns the first answer and creates nothing new.")


class AnyRenderer(renderers.JSONRenderer):
    """Lets a download answer any Accept header (a PDF or an image); errors still go out as JSON."""

    media_type = "*/*"
    format = ""


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _View(APIView):
    throttle_classes = [UserRateThrottle]

    def application(self, pk):
        application = selectors.application_for(self.request.user, pk)
        if application is None:
            raise Http404
        return application

    def run(self, func, **kwargs):
        try:
            return func(**kwargs)
        except DjangoValidationError as exc:
            raise drf_validation_error(exc) from None
        except services.Conflict as exc:
            raise Conflict(str(exc)) from None


class ApplicationCreate(_View):
    @extend_schema(tags=TAGS, operation_id="applications_create", request=s.ApplicationStartSerializer,
                   responses={201: s.ApplicationSerializer},
                   summary="Start an application for one item or one life event, prefilled (一表制)")
    def post(self, request):
        body = _validated(s.ApplicationStartSerializer, request.data)
        application = self.run(services.application_start, user=request.user, item_code=body.get("item") or "",
                               life_event_code=body.get("life_event") or "", on_behalf_of=body.get("on_behalf_of"),
                               beneficiary=body.get("beneficiary") or None)
        return Response(s.application_body(application), status=status.HTTP_201_CREATED)


class ApplicationDetail(_View):
    @extend_schema(tags=TAGS, operation_id="applications_retrieve", responses={200: s.ApplicationSerializer},
                   summary="An application with its joint form, values and materials")
    def get(self, request, pk: int):
        return Response(s.application_body(self.application(pk)))

    @extend_schema(tags=TAGS, operation_id="applications_partial_update", request=s.ApplicationPatchSerializer,
                   responses={200: s.ApplicationSerializer},
                   summary="Save draft values; any field error rejects the whole request")
    def patch(self, request, pk: int):
        application = self.application(pk)
        body = _validated(s.ApplicationPatchSerializer, request.data)
        application = self.run(services.application_update, user=request.user, application=application,
                               data=body["data"])
        return Response(s.application_body(application))


class MaterialUpload(_View):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=TAGS, operation_id="applications_materials_create", request={
        "multipart/form-data": s.MaterialUploadSerializer}, responses={201: s.ApplicationMaterialSerializer},
        summary="Upload one material (PDF, JPEG or PNG by content; size limit; virus scan)")
    def post(self, request, pk: int):
        application = self.application(pk)
        material = self.run(services.material_upload, user=request.user, application=application,
                            name=request.data.get("name", ""), file=request.FILES.get("file"))
        return Response(s.material_row(application, material), status=status.HTTP_201_CREATED)


class MaterialFile(_View):
    renderer_classes = [renderers.JSONRenderer, AnyRenderer]

    @extend_schema(tags=TAGS, operation_id="applications_materials_file", responses={200: OpenApiTypes.BINARY},
                   summary="Download an uploaded material (the applicant and the proxy only)")
    def get(self, request, pk: int, material_id: int):
        return material_response(selectors.material_for(request.user, pk, material_id))


def material_response(material):
    if material is None:
        raise Http404
    response = FileResponse(material.file.open("rb"), content_type=material.content_type, as_attachment=True,
                            filename=material.original_name or f"material-{material.pk}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class ApplicationSubmit(_View):
    @extend_schema(tags=TAGS, operation_id="applications_submit", request=s.ApplicationSubmitSerializer,
                   parameters=[IDEMPOTENCY_HEADER], responses={201: s.ApplicationSubmitResponseSerializer},
                   summary="Submit: one case per item, each with its number (optional 送达方式)")
    def post(self, request, pk: int):
        application = self.application(pk)
        body = _validated(s.ApplicationSubmitSerializer, request.data)
        result = self.run(services.application_submit, user=request.user, application=application,
                          idempotency_key=request.headers.get("Idempotency-Key", ""),
                          delivery=body.get("delivery"), delivery_address=body.get("delivery_address", ""))
        response = Response(result.body, status=result.status)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class CaseList(_View):
    @extend_schema(tags=TAGS, operation_id="cases_list", responses={200: s.CaseListSerializer},
                   parameters=[s.CaseListQuerySerializer, OpenApiParameter("page", OpenApiTypes.INT),
                               OpenApiParameter("page_size", OpenApiTypes.INT)],
                   summary="My cases (as applicant or as proxy), optionally by status or result")
    def get(self, request):
        query = _validated(s.CaseListQuerySerializer, request.query_params)
        cases = selectors.cases_of(request.user, status=query.get("status"), result=query.get("result"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(cases, request, view=self)
        return paginator.get_paginated_response([s.case_summary(c) for c in page])


class _CaseView(_View):
    def case(self, number: str):
        case = selectors.case_for(self.request.user, number)
        if case is None:
            raise Http404
        return case


class CaseDetail(_CaseView):
    @extend_schema(tags=TAGS, operation_id="cases_retrieve", responses={200: s.CaseSerializer},
                   summary="One case: status, clock, timeline, outputs")
    def get(self, request, number: str):
        return Response(s.case_body(self.case(number)))


class CaseReceipt(_CaseView):
    renderer_classes = [renderers.JSONRenderer, AnyRenderer]

    @extend_schema(tags=TAGS, operation_id="cases_receipt", responses={(200, "application/pdf"): OpenApiTypes.BINARY},
                   summary="The receipt (申报回执) PDF with a QR code of the case page")
    def get(self, request, number: str):
        return receipt_response(self.case(number), request)


class CaseDelivery(_CaseView):
    @extend_schema(tags=TAGS, operation_id="cases_delivery", request=s.CaseDeliverySerializer,
                   responses={200: s.CaseSerializer}, summary="Choose how the result is delivered (before it concludes)")
    def post(self, request, number: str):
        case = self.case(number)
        body = _validated(s.CaseDeliverySerializer, request.data)
        self.run(services.case_delivery_set, user=request.user, case=case, delivery=body["delivery"],
                 delivery_address=body.get("delivery_address", ""))
        return Response(s.case_body(self.case(number)))


def _supply_data(request):
    raw = request.data.get("data")
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):  # a multipart part carries JSON text
        try:
            return json.loads(raw)
        except ValueError:
            raise exceptions.ValidationError({"data": [_("不是有效的 JSON。")]}) from None
    return raw


class CaseSupplement(_CaseView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(tags=TAGS, operation_id="cases_supplement", request={
        "multipart/form-data": s.CaseSupplySerializer, "application/json": s.CaseSupplySerializer},
        responses={200: s.CaseSupplyResponseSerializer},
        summary="Supply what the one-time notice listed (补正) or materials missing at tolerant acceptance: "
                "one file part per listed item, named by the item; `data` for listed form fields")
    def post(self, request, number: str):
        case = self.case(number)
        files = {name: request.FILES[name] for name in request.FILES}
        result = self.run(services.case_supply, user=request.user, case=case, files=files,
                          data=_supply_data(request))
        return Response(result)


class CaseDocumentFile(_CaseView):
    renderer_classes = [renderers.JSONRenderer, AnyRenderer]

    @extend_schema(tags=TAGS, operation_id="cases_document", responses={(200, "application/pdf"): OpenApiTypes.BINARY},
                   summary="A notice or decision of the case as PDF (the applicant and the proxy only)")
    def get(self, request, number: str, document_id: int):
        return document_response(selectors.document_for(request.user, number, document_id))


def document_response(document) -> HttpResponse:
    if document is None:
        raise Http404
    document = services.case_document_render(document=document)
    response = FileResponse(document.file.open("rb"), content_type="application/pdf",
                            filename=f"{document.case.number}-{document.kind}.pdf")
    response["Content-Disposition"] = f'inline; filename="{document.case.number}-{document.kind}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def receipt_response(case, request) -> HttpResponse:
    response = HttpResponse(receipt_pdf(case, request), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{case.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
