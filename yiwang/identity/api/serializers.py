from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from yiwang.core.masking import mask_id_number

from ..constants import ProxyRelation
from ..models import ProxyAuthorisation


class RegisterSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    id_number = serializers.CharField(max_length=30)
    phone = serializers.CharField(max_length=20)
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})
    username = serializers.RegexField(r"^[A-Za-z][A-Za-z0-9_.-]{3,29}$", required=False,
                                      error_messages={"invalid": _("用户名以字母开头，4-30位字母、数字或 _ . -")})
    uscc = serializers.CharField(max_length=30, required=False, allow_blank=True)


class AccountSerializer(serializers.Serializer):
    username = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField(source="display_name")
    id_number = serializers.SerializerMethodField(help_text="masked")
    department = serializers.SerializerMethodField()
    real_name_verified = serializers.SerializerMethodField()

    def get_id_number(self, user) -> str:
        return mask_id_number(user.id_number)

    def get_department(self, user) -> str | None:
        return user.department.code if user.department_id else None

    def get_real_name_verified(self, user) -> bool:
        return user.real_name_verified_at is not None


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})
    otp = serializers.CharField(max_length=8, required=False, allow_blank=True,
                                help_text="TOTP code; required for staff accounts")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ProxyGrantRequestSerializer(serializers.Serializer):
    proxy_id_number = serializers.CharField(max_length=30)
    relation = serializers.ChoiceField(choices=ProxyRelation.choices)
    valid_until = serializers.DateField()
    item_codes = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=200)


class ProxyGrantSerializer(serializers.ModelSerializer):
    principal = serializers.SerializerMethodField()
    proxy = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()

    class Meta:
        model = ProxyAuthorisation
        fields = ["id", "principal", "proxy", "relation", "item_codes", "valid_until", "created_at", "revoked_at",
                  "active"]

    def _person(self, user) -> dict:
        return {"id": user.pk, "name": user.display_name, "id_number": mask_id_number(user.id_number)}

    def get_principal(self, grant) -> dict:
        return self._person(grant.principal)

    def get_proxy(self, grant) -> dict:
        return self._person(grant.proxy)

    def get_active(self, grant) -> bool:
        from django.utils import timezone

        return grant.revoked_at is None and grant.valid_until >= timezone.localdate()


class AgentRequestSerializer(serializers.Serializer):
    agent_id_number = serializers.CharField(max_length=30)
    valid_until = serializers.DateField(required=False, allow_null=True)
