"""Read-only admin for licences, their uses and signing keys; status changes go through the services
(suspend, revoke) so that they are checked and audited. Private keys are never shown."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from yiwang.core.masking import mask_id_number

from . import selectors, services
from .models import License, LicenseUse, SigningKey


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _transition_action(service, done_message):
    def action(modeladmin, request, queryset):
        done = 0
        for license in queryset:
            try:
                service(license=license, actor=request.user, reason=str(_("管理后台操作")))
                done += 1
            except (PermissionDenied, services.LicenseError) as exc:
                modeladmin.message_user(request, f"{license.identifier}: {exc}", messages.ERROR)
        if done:
            modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
    return action


@admin.register(License)
class LicenseAdmin(ReadOnlyAdmin):
    list_display = ["identifier", "name", "masked_holder", "issuer", "status", "valid_until"]
    list_filter = ["status", "license_type", "issuer"]
    search_fields = ["identifier", "number"]
    fields = ["identifier", "license_type", "type_code", "number", "name", "version", "issued_on", "issuer",
              "issuer_code", "valid_from", "valid_until", "holder_name", "masked_holder", "holder_code_type",
              "item_code", "masked_fields", "status", "status_reason", "status_changed_at", "signing_key",
              "signature"]
    readonly_fields = fields
    actions = ["suspend", "revoke"]

    @admin.display(description=_("持证主体代码"))
    def masked_holder(self, obj):
        return mask_id_number(obj.holder_code)

    @admin.display(description=_("照面信息"))
    def masked_fields(self, obj):
        return "；".join(f"{k}：{v}" for k, v in selectors.masked_fields(obj).items())

    @admin.action(description=_("暂扣所选证照"))
    def suspend(self, request, queryset):
        _transition_action(services.license_suspend, _("已暂扣 %(count)d 个证照。"))(self, request, queryset)

    @admin.action(description=_("撤销所选证照"))
    def revoke(self, request, queryset):
        _transition_action(services.license_revoke, _("已撤销 %(count)d 个证照。"))(self, request, queryset)


@admin.register(LicenseUse)
class LicenseUseAdmin(ReadOnlyAdmin):
    list_display = ["license", "item_name", "case_number", "used_by_label", "used_at", "valid_until"]
    search_fields = ["case_number", "item_code"]
    fields = ["license", "item_code", "item_name", "case_number", "purpose", "used_by_label",
              "on_behalf_of_label", "used_at", "valid_until", "stamp_text", "stamped_copy", "stamped_sha256"]
    readonly_fields = fields


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["key_id", "department", "algorithm", "active", "created_at", "retired_at"]
    list_filter = ["active", "algorithm", "department"]
    fields = ["key_id", "department", "algorithm", "public_key", "active", "created_at", "retired_at"]
    readonly_fields = fields
    actions = ["rotate"]

    @admin.action(description=_("为所选密钥的部门轮换新密钥"))
    def rotate(self, request, queryset):
        departments = {key.department for key in queryset.select_related("department")}
        for department in departments:
            services.license_key_rotate(department=department, actor=request.user)
        self.message_user(request, _("已为 %(count)d 个部门生成新密钥。") % {"count": len(departments)})
