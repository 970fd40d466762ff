"""Admin: process definitions with their stages inline (a definition with instances is read-only:
copy it to a new version, edit, publish), and instances read-only with their timeline."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import (
    Instance,
    ProcessDefinition,
    StageDefinition,
    Suspension,
    Task,
    WarningRecord,
    WorkflowEvent,
)


class StageForm(forms.ModelForm):
    class Meta:
        model = StageDefinition
        fields = ["position", "name", "kind", "departments", "quorum", "quorum_n", "limit_days", "actions"]

    def clean(self):
        data = super().clean()
        try:
            services.stage_validate(kind=data.get("kind"), departments=data.get("departments"),
                                    quorum=data.get("quorum"), quorum_n=data.get("quorum_n") or 0,
                                    actions=data.get("actions"))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data


class StageInline(admin.TabularInline):
    model = StageDefinition
    form = StageForm
    extra = 0

    def _in_use(self, obj) -> bool:
        return obj is not None and obj.pk is not None and obj.instances.exists()

    def has_add_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_delete_permission(request, obj)


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "version", "active", "source", "created_at"]
    list_filter = ["active"]
    search_fields = ["key", "name"]
    inlines = [StageInline]
    readonly_fields = ["version", "active", "source", "created_at"]
    actions = ["publish", "copy"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.instances.exists():
            return ["key", "name", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            last = ProcessDefinition.objects.filter(key=obj.key).order_by("-version").first()
            obj.version = (last.version + 1) if last else 1
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("发布所选版本（新办件使用）"))
    def publish(self, request, queryset):
        if queryset.values("key").distinct().count() != queryset.count():
            self.message_user(request, _("每个流程只能发布一个版本。"), messages.ERROR)
            return
        for definition in queryset:
            if not definition.stages.exists():
                self.message_user(request, _("%(d)s 没有环节，不能发布。") % {"d": definition}, messages.ERROR)
                continue
            services.definition_publish(definition=definition, actor=request.user)
        self.message_user(request, _("已发布。"))

    @admin.action(description=gettext_lazy("复制为新版本（草稿）"))
    def copy(self, request, queryset):
        for definition in queryset:
            services.definition_copy(definition=definition, actor=request.user)
        self.message_user(request, _("已复制，请编辑后发布。"))


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TaskInline(ReadOnlyInline):
    model = Task
    fields = ["stage", "department", "assignee", "state", "action", "comment", "missing", "due_on", "warning",
              "completed_at", "completed_by"]
    readonly_fields = fields


class SuspensionInline(ReadOnlyInline):
    model = Suspension
    fields = ["kind", "reason", "started_at", "ended_at", "working_days"]
    readonly_fields = fields


class WarningInline(ReadOnlyInline):
    model = WarningRecord
    fields = ["level", "department", "due_on", "task", "created_at"]
    readonly_fields = fields


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["subject_id", "subject_type", "title", "state", "outcome", "deadline", "warning", "started_at"]
    list_filter = ["state", "warning", "subject_type"]
    search_fields = ["subject_id", "title"]
    inlines = [TaskInline, SuspensionInline, WarningInline]
    exclude = []

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Instance._meta.fields] + ["timeline"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("办理过程"))
    def timeline(self, obj):
        events = WorkflowEvent.objects.filter(instance=obj).order_by("at", "id")
        return format_html_join(
            "", "<div>{} · {} · {} · {} {}</div>",
            ((e.at.strftime("%Y-%m-%d %H:%M"), e.stage_name, e.actor_label, e.action, e.comment) for e in events))


@admin.register(WarningRecord)
class WarningRecordAdmin(admin.ModelAdmin):
    list_display = ["instance", "level", "department", "due_on", "created_at"]
    list_filter = ["level", "department"]
    readonly_fields = ["instance", "task", "level", "department", "due_on", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
