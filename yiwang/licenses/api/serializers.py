"""Shapes of the licences API. Builders make plain dicts; the Serializer classes describe the same
shapes for the OpenAPI schema (tests check that they agree)."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from .. import selectors
from ..models import License, LicenseUse


class VerifyQuerySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1000, trim_whitespace=True, error_messages={
        "required": gettext_lazy("请提供证照二维码中的令牌（token）。"),
        "blank": gettext_lazy("请提供证照二维码中的令牌（token）。"),
        "max_length": gettext_lazy("令牌过长。")})


class TransitionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class HolderSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked for natural persons.")
    code = serializers.CharField(help_text="公民身份号码 masked; 统一社会信用代码 in full.")
    code_type = serializers.CharField(help_text="111 公民身份号码, 001 统一社会信用代码")


class PublicLicenseSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    type = CodeNameSerializer()
    name = serializers.CharField()
    issuer = CodeNameSerializer()
    holder = HolderSerializer()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=["valid", "suspended", "revoked", "cancelled", "expired"])


class VerifyResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    reason = serializers.CharField(allow_null=True)
    reason_label = serializers.CharField(allow_blank=True)
    license = PublicLicenseSerializer(allow_null=True)


class OwnLicenseSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    type = CodeNameSerializer()
    name = serializers.CharField()
    number = serializers.CharField()
    issuer = CodeNameSerializer()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    token = serializers.CharField()
    holder = serializers.DictField(help_text="持证主体: name and code, masked for natural persons (a ward's "
                                             "licence names the child).")
    fields = serializers.DictField(child=serializers.CharField(), help_text="ID numbers masked.")


class LicenseUseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    case_number = serializers.CharField()
    purpose = serializers.CharField()
    used_by = serializers.CharField()
    on_behalf_of = serializers.CharField()
    used_at = serializers.DateTimeField()
    valid_until = serializers.DateField()
    stamp_text = serializers.CharField()
    stamped_sha256 = serializers.CharField()


class OwnLicenseListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = OwnLicenseSerializer(many=True)


class LicenseUseListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = LicenseUseSerializer(many=True)


def verify_result(result) -> dict:
    return {"valid": result.valid, "reason": str(result.reason) if result.reason else None,
            "reason_label": str(result.reason_label),
            "license": selectors.license_public_summary(result.license) if result.license else None}


def own_license(license: License, token: str) -> dict:
    return {
        "identifier": license.identifier,
        "type": {"code": license.license_type.code, "name": license.license_type.name},
        "name": license.name,
        "number": license.number,
        "issuer": {"code": license.issuer.code, "name": license.issuer.name},
        "valid_from": license.valid_from,
        "valid_until": license.valid_until,
        "status": license.effective_status,
        "token": token,
        "holder": selectors.masked_holder(license),
        "fields": selectors.masked_fields(license),
    }


def license_use(use: LicenseUse) -> dict:
    return {
        "id": use.pk, "item_code": use.item_code, "item_name": use.item_name, "case_number": use.case_number,
        "purpose": use.purpose, "used_by": use.used_by_label, "on_behalf_of": use.on_behalf_of_label,
        "used_at": use.used_at, "valid_until": use.valid_until, "stamp_text": use.stamp_text,
        "stamped_sha256": use.stamped_sha256,
    }
