"""Request validation and response shapes of the applications and cases API (API.md)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from .. import joint_form
from ..constants import MaterialStatus


class ApplicationStartSerializer(serializers.Serializer):
    item = serializers.CharField(required=False, allow_blank=True, max_length=40)
    life_event = serializers.CharField(required=False, allow_blank=True, max_length=60)
    on_behalf_of = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                            help_text="The principal's user id (代办).")

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
    fields = ApplicationFieldSerializer(many=True)
    materials = ApplicationMaterialSerializer(many=True)
    cases = CaseRefSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ApplicationSubmitResponseSerializer(serializers.Serializer):
    cases = CaseRefSerializer(many=True)


class CaseTimelineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    comment = serializers.CharField()


class CaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    item = serializers.CharField()
    item_name = serializers.CharField()
    department = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    warning = serializers.CharField()
    concluded_at = serializers.DateTimeField(allow_null=True)
    result = serializers.CharField(allow_null=True)
    applicant = serializers.DictField()
    submitted_by = serializers.DictField()
    timeline = CaseTimelineSerializer(many=True)
    outputs = serializers.ListField(child=serializers.DictField())
    receipt_url = serializers.CharField()


class CaseListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = CaseSerializer(many=True)


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
        "fields": joint_form.field_rows(application.form, application.values),
        "materials": [material_row(application, m) for m in application.materials.order_by("position", "id")],
        "cases": [case_ref(c) for c in application.cases.order_by("id")],
        "created_at": application.created_at, "updated_at": application.updated_at,
    }


def case_body(case) -> dict:
    submitted_by = _person(case.submitted_by)
    return {
        "number": case.number, "item": case.item_code, "item_name": case.item_name,
        "department": case.department_code, "status": case.status, "submitted_at": case.submitted_at,
        # Filled in by the workflow (acceptance, clock, e-supervision, decision).
        "accepted_at": None, "deadline": None, "warning": "none", "concluded_at": None, "result": None,
        "applicant": _person(case.applicant), "submitted_by": submitted_by,
        "timeline": [{"at": case.submitted_at, "actor": submitted_by["name"], "action": "submitted", "comment": ""}],
        "outputs": [],
        "receipt_url": reverse("cases-api-receipt", args=[case.number]),
    }
