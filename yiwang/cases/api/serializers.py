"""Request validation and response shapes of the applications and cases API (API.md)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from yiwang.core.masking import mask_id_number
from yiwang.workflow.api.serializers import TimelineRowSerializer

from .. import joint_form, selectors
from ..constants import CaseResult, CaseStatus, Channel, Delivery, MaterialStatus


class ApplicationStartSerializer(serializers.Serializer):
    item = serializers.CharField(required=False, allow_blank=True, max_length=40)
    life_event = serializers.CharField(required=False, allow_blank=True, max_length=60)
    on_behalf_of = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                            help_text="The principal's user id (代办).")
    beneficiary = serializers.CharField(
        required=False, allow_blank=True, max_length=30,
        help_text="公民身份号码 of the applicant's minor child the application is for (服务对象); "
                  "新生儿出生一件事 defaults to the newborn the registry holds.")

    def validate(self, attrs):
        if bool(attrs.get("item")) == bool(attrs.get("life_event")):
            raise serializers.ValidationError({"item": [_("请指定一个事项（item）或一件事（life_event），二者选一。")]})
        return attrs


class ApplicationPatchSerializer(serializers.Serializer):
    data = serializers.DictField(help_text="Field key → value; the whole request is rejected on any error.")


class MaterialUploadSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    file = serializers.FileField()


class ApplicationFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField()
    value = serializers.CharField()
    source = serializers.CharField(allow_null=True)
    source_label = serializers.CharField()
    readonly = serializers.BooleanField()
    items = serializers.ListField(child=serializers.CharField())
    options = serializers.ListField(child=serializers.CharField())


class ApplicationMaterialSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    required = serializers.BooleanField()
    status = serializers.ChoiceField(choices=MaterialStatus.choices)
    license = serializers.DictField(allow_null=True)
    license_type = serializers.CharField(allow_null=True)
    file = serializers.DictField(allow_null=True)
    items = serializers.ListField(child=serializers.CharField())


class CaseRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    item = serializers.CharField()
    item_name = serializers.CharField()
    status = serializers.CharField()


class ApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    title = serializers.CharField()
    item = serializers.CharField(allow_null=True)
    life_event = serializers.CharField(allow_null=True)
    applicant = serializers.DictField()
    submitted_by = serializers.DictField()
    beneficiary = serializers.DictField(allow_null=True, help_text="服务对象 (name, masked ID) or null")
    channel = serializers.ChoiceField(choices=Channel.choices)
    fields = ApplicationFieldSerializer(many=True)
    materials = ApplicationMaterialSerializer(many=True)
    cases = CaseRefSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ApplicationSubmitResponseSerializer(serializers.Serializer):
    cases = CaseRefSerializer(many=True)


class ApplicationSubmitSerializer(serializers.Serializer):
    delivery = serializers.ChoiceField(choices=Delivery.choices, required=False, help_text="送达方式, default online")
    delivery_address = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CaseOutputSerializer(serializers.Serializer):
    """A licence issued by the case (API.md "outputs [licence]")."""

    identifier = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    url = serializers.CharField()


class CaseDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField()


class CasePendingSerializer(serializers.Serializer):
    supplement = serializers.ListField(child=serializers.CharField())
    notice = serializers.CharField()
    tolerant = serializers.ListField(child=serializers.CharField())
    tolerant_due = serializers.DateField(allow_null=True)


class CaseSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    item = serializers.CharField()
    item_name = serializers.CharField()
    department = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    submitted_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    concluded_at = serializers.DateTimeField(allow_null=True)
    result = serializers.ChoiceField(choices=CaseResult.choices, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices)


class CaseSerializer(CaseSummarySerializer):
    warning = serializers.ChoiceField(choices=["none", "yellow", "red"])
    suspension = serializers.DictField(allow_null=True)
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    pending = CasePendingSerializer()
    applicant = serializers.DictField()
    submitted_by = serializers.DictField()
    timeline = TimelineRowSerializer(many=True)
    outputs = CaseOutputSerializer(many=True)
    documents = CaseDocumentSerializer(many=True)
    receipt_url = serializers.CharField()


class CaseListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = CaseSummarySerializer(many=True)


class CaseListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    result = serializers.ChoiceField(choices=CaseResult.choices, required=False)


class CaseDeliverySerializer(serializers.Serializer):
    delivery = serializers.ChoiceField(choices=Delivery.choices)
    delivery_address = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CaseSupplySerializer(serializers.Serializer):
    """Documentation of the supplement request: one file part per listed item, named by the item."""

    data = serializers.JSONField(required=False, help_text="Form field key → corrected value (JSON object).")


class CaseSupplyResponseSerializer(serializers.Serializer):
    supplied = serializers.ListField(child=serializers.CharField())
    pending = serializers.ListField(child=serializers.CharField())


def _person(user) -> dict:
    return {"id": user.pk, "name": user.display_name or user.get_username()}


def material_row(application, material) -> dict:
    file = None
    if material.file:
        file = {"name": material.original_name, "size": material.size, "content_type": material.content_type,
                "sha256": material.sha256, "scan_status": material.scan_status,
                "url": reverse("cases-api-material-file", args=[application.pk, material.pk])}
    license = ({"identifier": material.license_identifier, "type": material.license_type_code}
               if material.status == MaterialStatus.HELD_BY_GOVERNMENT else None)
    return {"id": material.pk, "name": material.name, "required": material.required, "status": material.status,
            "license": license, "license_type": material.license_type_code or None, "file": file,
            "items": material.item_codes}


def case_ref(case) -> dict:
    return {"number": case.number, "item": case.item_code, "item_name": case.item_name, "status": case.status}


def application_body(application) -> dict:
    return {
        "id": application.pk, "status": application.status, "title": application.title,
        "item": application.item_code or None, "life_event": application.life_event_code or None,
        "applicant": _person(application.applicant), "submitted_by": _person(application.submitted_by),
        "beneficiary": ({"name": application.beneficiary_name,
                         "id_number": mask_id_number(application.beneficiary_id_number)}
                        if application.beneficiary_hash else None),
        "channel": application.channel, "fields": joint_form.field_rows(application.form, application.values),
        "materials": [material_row(application, m) for m in application.materials.order_by("position", "id")],
        "cases": [case_ref(c) for c in application.cases.order_by("id")],
        "created_at": application.created_at, "updated_at": application.updated_at,
    }


def case_summary(case) -> dict:
    return {"number": case.number, "item": case.item_code, "item_name": case.item_name,
            "department": case.department_code, "status": case.status, "submitted_at": case.submitted_at,
            "accepted_at": case.accepted_at, "deadline": case.deadline, "concluded_at": case.concluded_at,
            "result": case.result, "channel": case.channel}


def license_row(license) -> dict:
    return {"identifier": license.identifier, "type": license.license_type.code,
            "name": license.name, "status": license.status,
            "url": reverse("licenses:wallet") + f"#license-{license.pk}-title"}


def document_row(document) -> dict:
    return {"id": document.pk, "kind": document.kind, "name": document.title, "created_at": document.created_at,
            "url": reverse("cases-api-document", args=[document.case.number, document.pk])}


def case_body(case) -> dict:
    instance = selectors.instance_of(case)
    pending = selectors.case_pending(case, instance)
    suspension = ({"kind": case.suspension_kind, "reason": case.suspension_reason}
                  if case.status == CaseStatus.SUSPENDED else None)
    return {
        **case_summary(case),
        "warning": selectors.case_warning(instance), "suspension": suspension, "delivery": case.delivery,
        "pending": pending, "applicant": _person(case.applicant), "submitted_by": _person(case.submitted_by),
        "timeline": selectors.case_timeline(case, instance),
        "outputs": [license_row(o.license) for o in selectors.outputs_of(case) if o.license_id],
        "documents": [document_row(d) for d in selectors.documents_of(case)],
        "receipt_url": reverse("cases-api-receipt", args=[case.number]),
    }
