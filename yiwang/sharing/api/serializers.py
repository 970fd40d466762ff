"""Shapes of the sharing API: request validation, plain row builders, and output classes for the
OpenAPI schema. Outputs never carry a full ID or mobile number (`masked`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from yiwang.core.masking import mask_name, mask_text

from ..constants import AccessChannel, RequestStatus


def masked(value):
    """mask_text over every string inside a value (dicts and lists included)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return value


def staff_label(user) -> str:
    return mask_name(user.display_name or user.get_username()) if user else ""


# --- request validation --------------------------------------------------------------------------------

class LookupQuerySerializer(serializers.Serializer):
    elements = serializers.CharField(max_length=1000, help_text="Comma-separated element codes, e.g. "
                                     "person.name,person.marital_status")
    purpose = serializers.CharField(max_length=500, help_text="Why the data is read (shown to the person).")
    case = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                 help_text="The case number (办件编号) the read serves.")

    def validate_elements(self, value: str) -> list[str]:
        codes = [c.strip() for c in value.split(",") if c.strip()]
        if not codes:
            raise serializers.ValidationError(_("请至少指定一个数据项。"))
        return codes


class RequestListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RequestStatus.choices, required=False)
    awaiting = serializers.BooleanField(required=False, default=False,
                                        help_text="Only the pending requests the caller decides.")
    overdue = serializers.BooleanField(required=False, default=False,
                                       help_text="Only pending requests past their review deadline.")


class SharingRequestCreateSerializer(serializers.Serializer):
    elements = serializers.ListField(child=serializers.CharField(max_length=60), min_length=1, max_length=50)
    purpose = serializers.CharField(max_length=500)
    legal_basis = serializers.CharField(max_length=500)
    valid_until = serializers.DateField()


class DecisionSerializer(serializers.Serializer):
    reasons = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- output --------------------------------------------------------------------------------------------

class SharingRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PersonLookupSerializer(serializers.Serializer):
    id_number = serializers.CharField(help_text="Masked.")
    values = serializers.DictField(help_text="element code → value (ID and mobile numbers masked).")


class EntityLookupSerializer(serializers.Serializer):
    uscc = serializers.CharField()
    values = serializers.DictField()


class DataElementSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    source_department = serializers.CharField()
    subject_kind = serializers.CharField()
    sharing_class = serializers.CharField()
    sensitive = serializers.BooleanField()
    description = serializers.CharField()


class SharingRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requesting_department = SharingRefSerializer()
    source_department = SharingRefSerializer()
    elements = SharingRefSerializer(many=True)
    purpose = serializers.CharField()
    legal_basis = serializers.CharField()
    valid_until = serializers.DateField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    status_label = serializers.CharField()
    requested_at = serializers.DateTimeField()
    requested_by = serializers.CharField(help_text="Masked staff label.")
    due_at = serializers.DateField(help_text="Review deadline (working days from the request).")
    overdue = serializers.BooleanField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(help_text="Masked staff label.")
    reasons = serializers.CharField()
    can_decide = serializers.BooleanField()


class AccessRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    department = SharingRefSerializer(allow_null=True, help_text="null when the person read their own data.")
    reader = serializers.CharField(help_text="Masked staff label, or 本人.")
    subject = serializers.CharField(help_text="Masked label of whose data was read.")
    elements = SharingRefSerializer(many=True)
    purpose = serializers.CharField()
    case_number = serializers.CharField()
    channel = serializers.ChoiceField(choices=AccessChannel.choices)
    channel_label = serializers.CharField()


def _ref(department) -> dict:
    return {"code": department.code, "name": department.name}


def request_row(sharing_request, *, decides_for: str | None) -> dict:
    """`decides_for`: the department code whose requests the caller decides (a data officer's), or None."""
    r = sharing_request
    return {
        "id": r.pk, "requesting_department": _ref(r.requesting_department),
        "source_department": _ref(r.source_department),
        "elements": [{"code": e.code, "name": e.name} for e in r.elements.all()],
        "purpose": mask_text(r.purpose), "legal_basis": r.legal_basis, "valid_until": r.valid_until.isoformat(),
        "status": r.status, "status_label": str(r.get_status_display()),
        "requested_at": serializers.DateTimeField().to_representation(r.created_at),
        "requested_by": staff_label(r.requested_by), "due_at": r.due_at.isoformat(), "overdue": r.is_overdue,
        "decided_at": serializers.DateTimeField().to_representation(r.decided_at) if r.decided_at else None,
        "decided_by": staff_label(r.decided_by), "reasons": mask_text(r.reasons),
        "can_decide": r.status == RequestStatus.PENDING and bool(decides_for)
        and r.source_department.code == decides_for,
    }


def access_rows(records, *, departments: dict[str, str], elements: dict[str, str]) -> list[dict]:
    channels = dict(AccessChannel.choices)
    return [{
        "id": rec.pk, "at": serializers.DateTimeField().to_representation(rec.at),
        "department": {"code": rec.department, "name": departments.get(rec.department, rec.department)}
        if rec.department else None,
        "reader": rec.reader_label, "subject": rec.subject_label,
        "elements": [{"code": c, "name": elements.get(c, c)} for c in rec.elements],
        "purpose": rec.purpose, "case_number": rec.case_number,
        "channel": rec.channel, "channel_label": str(channels.get(rec.channel, rec.channel)),
    } for rec in records]
