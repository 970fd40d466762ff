"""The audit log in the admin: read-only for everyone (superusers included), plus a page that runs
audit_verify, optionally against an anchor saved earlier."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry
from .selectors import audit_anchor, audit_verify, parse_anchor


class AnchorForm(forms.Form):
    anchor = forms.CharField(label=_("锚点（可选）"), required=False, max_length=100,
                             help_text=_("此前保存的“序号:哈希”，用于发现末尾记录被删除。"))

    def clean_anchor(self):
        value = self.cleaned_data["anchor"].strip()
        if not value:
            return None
        try:
            return parse_anchor(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("seq", "at", "action", "actor_label", "on_behalf_of", "department", "target_type",
                    "target_id")
    list_display_links = ("seq",)
    list_filter = ("action", "department")
    search_fields = ("=target_id",)
    ordering = ("-id",)  # unsealed entries (no seq yet) list too, newest first
    date_hierarchy = "at"
    show_full_result_count = False
    list_per_page = 50
    fields = ("seq", "at", "actor", "actor_label", "on_behalf_of", "department", "action", "target_type",
              "target_id", "data", "prev_hash", "hash")
    readonly_fields = fields
    change_list_template = "admin/audit/auditentry/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("verify/", self.admin_site.admin_view(self.verify_view), name="audit_auditentry_verify"),
            *super().get_urls(),
        ]

    def verify_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = AnchorForm(request.GET or None)
        result = None
        if form.is_bound and form.is_valid():
            result = audit_verify(anchor=form.cleaned_data["anchor"])
        seq, digest = audit_anchor()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("校验审计日志哈希链"),
            "form": form,
            "result": result,
            "current_anchor": f"{seq}:{digest}",
        }
        return TemplateResponse(request, "admin/audit/auditentry/verify.html", context)
