from django.contrib import admin

from .models import InboxMessage


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at"]
    search_fields = ["subject"]
    readonly_fields = ["recipient", "subject", "body", "link", "created_at", "read_at"]
    exclude = ["recipient_hash"]

    @admin.display(description="收件人索引")
    def recipient(self, obj):
        return obj.recipient_hash[:8] + "…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
