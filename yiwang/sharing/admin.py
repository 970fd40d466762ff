"""Admin of the data catalogue, sharing requests and the access log. Decisions on requests go through
the staff page or the API (services, audited), so requests and records are read-only here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiwang.audit.services import audit_record

from .models import DataAccessRecord, DataElement, SharingRequest


@admin.register(DataElement)
class DataElementAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "source_department", "subject_kind", "sharing_class", "sensitive")
    list_filter = ("sharing_class", "subject_kind", "source_department", "sensitive")
    search_fields = ("code", "name")
    fields = ("code", "name", "source_department", "subject_kind", "sharing_class", "sensitive", "description")

    def get_readonly_fields(self, request, obj=None):
        # The source follows registry DATA_SOURCES (一数一源): it is changed in code, not here.
        return ("code", "source_department", "subject_kind") if obj else ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(action="sharing.element_changed" if change else "sharing.element_created", actor=request.user,
                     target_type="data_element", target_id=obj.code,
                     data={"changed": list(form.changed_data), "sharing_class": obj.sharing_class})


@admin.register(SharingRequest)
class SharingRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "requesting_department", "source_department", "status", "due_at", "overdue",
                    "valid_until", "created_at")
    list_filter = ("status", "source_department", "requesting_department")
    date_hierarchy = "created_at"
    readonly_fields = ("requesting_department", "source_department", "elements", "purpose", "legal_basis",
                       "valid_until", "status", "requested_by", "decided_by", "decided_at", "reasons", "due_at",
                       "created_at")
    list_select_related = ("requesting_department", "source_department")

    @admin.display(boolean=True, description=_("逾期"))
    def overdue(self, obj):
        return obj.is_overdue

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataAccessRecord)
class DataAccessRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "department", "reader_label", "subject_label", "channel", "case_number", "purpose")
    list_filter = ("channel", "department", "subject_kind")
    search_fields = ("case_number",)
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
