from django.contrib import admin

from .models import Application, ApplicationMaterial, Case


class ReadOnlyAdmin(admin.ModelAdmin):
    """Applications and cases change only through the services (audit, numbering, workflow)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MaterialInline(admin.TabularInline):
    model = ApplicationMaterial
    fields = ["name", "required", "status", "license_identifier", "original_name", "size", "sha256", "scan_status"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    # Never the form data: it holds personal data and is shown to handlers through the workflow.
    list_display = ["id", "title", "status", "applicant", "submitted_by", "created_at", "submitted_at"]
    list_filter = ["status", "channel"]
    search_fields = ["item_code", "life_event_code", "title"]
    fields = ["title", "item_code", "life_event_code", "status", "applicant", "submitted_by", "proxy_grant",
              "created_at", "submitted_at"]
    readonly_fields = fields
    inlines = [MaterialInline]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "item_name", "department_code", "status", "result", "deadline", "submitted_at"]
    list_filter = ["status", "result", "channel", "department_code"]
    search_fields = ["number", "item_code"]
    # Never the delivery address or the documents' content: personal data, shown to the parties only.
    readonly_fields = ["number", "application", "item_code", "item_name", "item_version", "department_code",
                       "status", "result", "submitted_at", "accepted_at", "deadline", "concluded_at",
                       "suspension_kind", "delivery", "applicant", "submitted_by"]
    fields = readonly_fields
