"""The editors' back office for the catalogue (Django admin).

Versions (ServiceItemVersion) follow the lifecycle of services.py: a draft is edited here, submitted
for review, returned with a note or published; publishing retires the previous version. Published,
in-review and retired versions are read-only here (all fields and inlines): a change always goes into
a new draft ("create new draft" on the item). Every transition goes through the services, so the
admin enforces exactly the rules the import and the API do.

Who may do what (models.py has no custom "publish" permission, so the reviewer role is a group):
- editors: staff with ``catalog.change_serviceitemversion`` create drafts, edit them and submit them;
- reviewers: superusers, or staff holding ``catalog.change_serviceitem`` *and* belonging to the group
  named ``catalog_reviewer`` (REVIEWER_GROUP), publish versions and return them to draft.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .constants import (
    CASE_KIND,
    FIELD_TYPES,
    HANDLING_FORM,
    ITEM_KIND,
    LEVEL,
    MATERIAL_FORM,
    MATERIAL_SOURCE,
    SCOPE,
    TARGET,
    VersionStatus,
)
from .models import (
    Code,
    CodeList,
    Department,
    FormField,
    LicenseType,
    LifeEvent,
    LifeEventItem,
    Material,
    Output,
    ProcessStep,
    SearchDemandReport,
    SearchLog,
    SearchSynonym,
    ServiceItem,
    ServiceItemVersion,
)
from .reports import build_demand_report, week_bounds

REVIEWER_GROUP = "catalog_reviewer"
EDITABLE_STATUSES = frozenset({VersionStatus.DRAFT})


def can_review(user) -> bool:
    """Publish and return-to-draft: a superuser, or ``catalog.change_serviceitem`` plus membership of
    the ``catalog_reviewer`` group."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return user.has_perm("catalog.change_serviceitem") and user.groups.filter(name=REVIEWER_GROUP).exists()


def can_edit(user) -> bool:
    """Create, edit and submit drafts."""
    return user.is_active and user.is_staff and user.has_perm("catalog.change_serviceitemversion")


def _is_editable(version) -> bool:
    return version is not None and version.status in EDITABLE_STATUSES


def _report_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _codes(list_name: str):
    return Code.objects.filter(code_list__name=list_name, active=True).order_by("position", "value")


class LinesField(forms.CharField):
    """A JSON list of strings edited as one entry per line."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            return [str(v).strip() for v in value if str(v).strip()]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class LinesFieldMixin:
    lines_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.lines_fields:
            return LinesField(label=db_field.verbose_name.capitalize(), required=not db_field.blank,
                              help_text=_("每行一项。"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# --- reference data -------------------------------------------------------------------------------------

@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind", "phone")
    list_filter = ("kind",)
    search_fields = ("code", "name", "name_en")
    ordering = ("code",)


@admin.register(LicenseType)
class LicenseTypeAdmin(LinesFieldMixin, SimpleHistoryAdmin):
    list_display = ("code", "name", "issuer", "holder")
    list_filter = ("holder", "issuer")
    list_select_related = ("issuer",)
    search_fields = ("code", "name")
    lines_fields = ("fields",)


class CodeInline(admin.TabularInline):
    model = Code
    extra = 0
    fields = ("position", "value", "label", "label_en", "active")
    ordering = ("position", "value")


@admin.register(CodeList)
class CodeListAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "standard", "code_count")
    search_fields = ("name", "title")
    inlines = [CodeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(code_count=Count("codes"))

    @admin.display(description=gettext_lazy("代码数"), ordering="code_count")
    def code_count(self, obj):
        return obj.code_count


@admin.register(Code)
class CodeAdmin(SimpleHistoryAdmin):
    list_display = ("label", "value", "label_en", "code_list", "position", "active")
    list_filter = ("code_list", "active")
    list_select_related = ("code_list",)
    search_fields = ("label", "value", "label_en")


# --- life events ----------------------------------------------------------------------------------------

class LifeEventItemInline(admin.TabularInline):
    model = LifeEventItem
    extra = 0
    fields = ("position", "item")
    ordering = ("position",)
    autocomplete_fields = ("item",)


@admin.register(LifeEvent)
class LifeEventAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "published", "item_count", "trigger", "popularity")
    list_filter = ("published",)
    search_fields = ("code", "name")
    inlines = [LifeEventItemInline]
    fields = ("code", "name", "description", "targets", "trigger", "published", "popularity")
    readonly_fields = ("popularity",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("entries"))

    @admin.display(description=gettext_lazy("事项数"), ordering="item_count")
    def item_count(self, obj):
        return obj.item_count

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "targets":
            kwargs["queryset"] = _codes(TARGET)
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        code = form.instance.code

        def reindex():
            from .search import indexing

            indexing.index_life_events([code])

        transaction.on_commit(reindex)


# --- search ---------------------------------------------------------------------------------------------

class SearchSynonymForm(forms.ModelForm):
    expansions = LinesField(label=gettext_lazy("规范用语"), help_text=gettext_lazy("每行一个规范用语。"))

    class Meta:
        model = SearchSynonym
        fields = ("term", "expansions", "active")


@admin.register(SearchSynonym)
class SearchSynonymAdmin(SimpleHistoryAdmin):
    """The editable colloquial lexicon. Every change bumps the search index version, so each process
    reloads the lexicon; re-segmenting the documents with new words is the "rebuild" action."""

    form = SearchSynonymForm
    list_display = ("term", "expansions_display", "active", "updated_at")
    list_editable = ("active",)
    list_filter = ("active",)
    search_fields = ("term",)
    actions = ["rebuild_index"]

    @admin.display(description=gettext_lazy("规范用语"))
    def expansions_display(self, obj):
        return "、".join(obj.expansions)

    def _changed(self):
        from .search import state

        state.bump()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._changed()

    @admin.action(description=gettext_lazy("按新词库重建检索索引"), permissions=["change"])
    def rebuild_index(self, request, queryset):
        from .tasks import rebuild_search_index

        transaction.on_commit(rebuild_search_index.delay)
        messages.success(request, _("已安排重建检索索引。"))


class UnmetFilter(admin.SimpleListFilter):
    title = gettext_lazy("需求满足情况")
    parameter_name = "unmet"

    def lookups(self, request, model_admin):
        return [("zero", _("无结果")), ("no_click", _("有结果未点击")), ("clicked", _("已点击"))]

    def queryset(self, request, queryset):
        if self.value() == "zero":
            return queryset.filter(result_count=0)
        if self.value() == "no_click":
            return queryset.filter(result_count__gt=0, clicked_at__isnull=True)
        if self.value() == "clicked":
            return queryset.filter(clicked_at__isnull=False)
        return queryset


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "query", "normalized", "result_count", "clicked_code", "clicked_rank",
                    "channel", "language")
    list_filter = (UnmetFilter, "channel", "language")
    search_fields = ("query", "normalized")
    date_hierarchy = "created_at"
    show_full_result_count = False


class WeekForm(forms.Form):
    week = forms.DateField(label=gettext_lazy("周（任一天）"), widget=forms.DateInput(attrs={"type": "date"}))


@admin.register(SearchDemandReport)
class SearchDemandReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only weekly reports; the change view draws the rows as a table with CSS bars."""

    list_display = ("week_start", "week_end", "total_searches", "zero_result_searches", "no_click_searches",
                    "generated_at")
    date_hierarchy = "week_start"
    fields = ("week_start", "generated_at", "total_searches", "zero_result_searches", "no_click_searches")
    actions = ["rebuild_reports"]
    change_form_template = "admin/catalog/searchdemandreport/change_form.html"
    change_list_template = "admin/catalog/searchdemandreport/change_list.html"

    @admin.display(description=gettext_lazy("截止日期"))
    def week_end(self, obj):
        return obj.week_start + datetime.timedelta(days=6)

    def get_urls(self):
        return [
            path("build/", self.admin_site.admin_view(self.build_view), name="catalog_searchdemandreport_build"),
            *super().get_urls(),
        ]

    def build_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = WeekForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请选择一个有效的日期。"))
            return HttpResponseRedirect(reverse("admin:catalog_searchdemandreport_changelist"))
        report = build_demand_report(form.cleaned_data["week"])
        messages.success(request, _("已生成 %(week)s 这一周的报告。") % {"week": report.week_start})
        return HttpResponseRedirect(reverse("admin:catalog_searchdemandreport_change", args=[report.pk]))

    @admin.action(description=gettext_lazy("重新生成所选周报"), permissions=["view"])
    def rebuild_reports(self, request, queryset):
        weeks = list(queryset.values_list("week_start", flat=True))
        for week in weeks:
            build_demand_report(week)
        messages.success(request, _("已重新生成 %(n)d 份周报。") % {"n": len(weeks)})

    def changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        extra_context = {**(extra_context or {}), "week_form": WeekForm(initial={"week": week_bounds(today)[0]})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **(demand_chart(report) if report else {})}
        return super().change_view(request, object_id, form_url, extra_context)


def demand_chart(report: SearchDemandReport) -> dict:
    """Template context of the report's table: each row with its bar widths in percent of the largest."""
    rows = report.rows or []
    largest = max((r.get("searches", 0) for r in rows), default=0) or 1
    chart = []
    for rank, row in enumerate(rows, start=1):
        zero, no_click = row.get("zero_results", 0), row.get("no_click", 0)
        chart.append({
            **row, "rank": rank,
            "zero_width": round(100 * zero / largest, 1), "no_click_width": round(100 * no_click / largest, 1),
        })
    total = report.total_searches or 0
    unmet = report.zero_result_searches + report.no_click_searches
    return {
        "chart_rows": chart,
        "week_end": report.week_start + datetime.timedelta(days=6),
        "unmet_share": round(100 * unmet / total, 1) if total else 0,
        "unmet_searches": unmet,
    }


# --- items and versions ---------------------------------------------------------------------------------

class VersionChildInline(admin.TabularInline):
    """Materials, fields, steps and outputs: editable only while their version is a draft."""

    extra = 0
    ordering = ("position",)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("catalog.view_serviceitemversion") or can_edit(request.user)

    def has_add_permission(self, request, obj=None):
        return _is_editable(obj) and can_edit(request.user)

    def has_change_permission(self, request, obj=None):
        return _is_editable(obj) and can_edit(request.user)

    def has_delete_permission(self, request, obj=None):
        return _is_editable(obj) and can_edit(request.user)


class MaterialForm(forms.ModelForm):
    class Meta:
        model = Material
        fields = ("position", "name", "required", "form", "copies", "source", "license_type", "note", "tolerant")
        widgets = {"note": forms.TextInput(attrs={"size": 30})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, list_name in (("form", MATERIAL_FORM), ("source", MATERIAL_SOURCE)):
            if name not in self.fields:
                continue
            labels = list(_codes(list_name).values_list("label", flat=True))
            current = getattr(self.instance, name, "")
            if current and current not in labels:
                labels.append(current)
            blank = [("", "---------")] if not self.fields[name].required else []
            self.fields[name].widget = forms.Select(choices=blank + [(v, v) for v in labels])


class MaterialInline(VersionChildInline):
    model = Material
    form = MaterialForm
    autocomplete_fields = ("license_type",)
    verbose_name = gettext_lazy("申请材料")
    verbose_name_plural = gettext_lazy("申请材料")


class FormFieldInline(VersionChildInline):
    model = FormField
    fields = ("position", "key", "label", "type", "required", "prefill_source")
    verbose_name = gettext_lazy("表单字段")
    verbose_name_plural = gettext_lazy("表单字段")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "type":
            kwargs["widget"] = forms.Select(choices=[(t, t) for t in FIELD_TYPES])
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ProcessStepInline(VersionChildInline):
    model = ProcessStep
    fields = ("position", "name", "role", "days")
    verbose_name = gettext_lazy("办理流程")
    verbose_name_plural = gettext_lazy("办理流程")


class OutputInline(VersionChildInline):
    model = Output
    fields = ("position", "name", "license_type")
    autocomplete_fields = ("license_type",)
    verbose_name = gettext_lazy("办理结果")
    verbose_name_plural = gettext_lazy("办理结果")


_CODE_FIELDS = {"kind": ITEM_KIND, "level": LEVEL, "case_kind": CASE_KIND, "scope": SCOPE}
_CODE_M2M_FIELDS = {"targets": TARGET, "handling_forms": HANDLING_FORM}
_ALWAYS_READONLY = ("item", "version", "status", "created_by", "reviewed_by", "published_at", "review_note",
                    "cancelled_on", "content_digest", "created_at", "updated_at")


@admin.register(ServiceItemVersion)
class ServiceItemVersionAdmin(LinesFieldMixin, admin.ModelAdmin):
    list_display = ("item_code", "version", "name", "department", "status", "updated_at")
    list_display_links = ("item_code", "name")
    list_filter = ("status", "department", "kind")
    list_select_related = ("item", "department")
    search_fields = ("item__code", "name")
    ordering = ("item__code", "-version")
    inlines = [MaterialInline, FormFieldInline, ProcessStepInline, OutputInline]
    lines_fields = ("legal_basis", "conditions", "keywords")
    filter_horizontal = ("parallel_departments",)
    actions = ["submit_versions", "publish_versions", "return_versions"]
    change_form_template = "admin/catalog/serviceitemversion/change_form.html"
    fieldsets = (
        (gettext_lazy("版本"), {"fields": ("item", "version", "status", "review_note")}),
        (gettext_lazy("基本信息"), {"fields": ("name", "kind", "department", "level", "targets", "case_kind",
                                           "scope", "handling_forms", "parallel_departments")}),
        (gettext_lazy("时限与跑动"), {"fields": ("statutory_days", "promised_days", "max_visits", "visit_reason",
                                            "online_depth", "tolerant_acceptance")}),
        (gettext_lazy("收费"), {"fields": ("fee_charged", "fee_standard", "fee_amount")}),
        (gettext_lazy("办事指南"), {"fields": ("legal_basis", "conditions", "consult_phone", "supervise_phone",
                                           "location", "keywords", "effective_from")}),
        (gettext_lazy("记录"), {"classes": ("collapse",),
                              "fields": ("created_by", "reviewed_by", "published_at", "cancelled_on",
                                         "content_digest", "created_at", "updated_at")}),
    )

    @admin.display(description=gettext_lazy("事项编码"), ordering="item__code")
    def item_code(self, obj):
        return obj.item.code

    # Permissions: only drafts change; nothing is added here (drafts come from "create new draft") and
    # only drafts can be deleted.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and not _is_editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not _is_editable(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # would delete published versions too
        return actions

    def get_readonly_fields(self, request, obj=None):
        if obj is None or _is_editable(obj):
            return _ALWAYS_READONLY
        return tuple(f for fs in self.fieldsets for f in fs[1]["fields"])

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in _CODE_FIELDS:
            kwargs["queryset"] = _codes(_CODE_FIELDS[db_field.name])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in _CODE_M2M_FIELDS:
            kwargs["queryset"] = _codes(_CODE_M2M_FIELDS[db_field.name])
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        try:
            services.item_version_validate(obj)
        except ValidationError as exc:
            messages.warning(request, _("已保存，但提交审核前还需修正：%(errors)s")
                             % {"errors": " ".join(exc.messages)})

    # --- transitions ---

    def transitions(self, request, version) -> list[dict]:
        """The buttons legal for this version and this user."""
        user, out = request.user, []
        if version.status == VersionStatus.DRAFT and can_edit(user):
            out.append({"action": "submit", "label": _("提交审核")})
        if version.status == VersionStatus.IN_REVIEW and can_review(user):
            out.append({"action": "return", "label": _("退回修改"), "note": True})
        if version.status in (VersionStatus.DRAFT, VersionStatus.IN_REVIEW) and can_review(user):
            out.append({"action": "publish", "label": _("发布")})
        return out

    def get_urls(self):
        return [
            path("<path:object_id>/transition/<slug:action>/", self.admin_site.admin_view(self.transition_view),
                 name="catalog_serviceitemversion_transition"),
            *super().get_urls(),
        ]

    def _transition(self, request, version, action: str, note: str = "") -> bool:
        """Run one transition through the services; report the outcome with messages."""
        user = request.user
        allowed = can_edit(user) if action == "submit" else can_review(user)
        if not allowed:
            messages.error(request, _("您没有权限对“%(version)s”执行该操作。") % {"version": version})
            return False
        run = {
            "submit": lambda: services.item_version_submit(version=version, user=user),
            "return": lambda: services.item_version_return(version=version, user=user, note=note),
            "publish": lambda: services.item_version_publish(version=version, user=user),
        }[action]
        try:
            run()
        except ValidationError as exc:
            version.refresh_from_db()
            _report_errors(request, exc)
            return False
        done = {"submit": _("“%(version)s”已提交审核。"), "return": _("“%(version)s”已退回修改。"),
                "publish": _("“%(version)s”已发布，原发布版本已停用。")}[action]
        messages.success(request, done % {"version": version})
        return True

    def transition_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if action not in ("submit", "return", "publish"):
            raise PermissionDenied
        version = get_object_or_404(ServiceItemVersion.objects.select_related("item"), pk=object_id)
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        note = request.POST.get("note", "").strip()
        if action == "return" and not note:
            messages.error(request, _("退回修改时请填写退回意见。"))
        else:
            self._transition(request, version, action, note)
        return HttpResponseRedirect(reverse("admin:catalog_serviceitemversion_change", args=[version.pk]))

    def _run_on_queryset(self, request, queryset, action, note=""):
        done = 0
        for version in queryset.select_related("item"):
            done += self._transition(request, version, action, note)
        return done

    @admin.action(description=gettext_lazy("提交审核所选版本"))
    def submit_versions(self, request, queryset):
        self._run_on_queryset(request, queryset, "submit")

    @admin.action(description=gettext_lazy("发布所选版本"))
    def publish_versions(self, request, queryset):
        self._run_on_queryset(request, queryset, "publish")

    @admin.action(description=gettext_lazy("退回修改所选版本（填写意见）"))
    def return_versions(self, request, queryset):
        if not can_review(request.user):
            messages.error(request, _("只有审核人员可以退回版本。"))
            return None
        form = ReturnNoteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._run_on_queryset(request, queryset, "return", form.cleaned_data["note"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("退回修改"),
            "opts": self.model._meta,
            "queryset": queryset.select_related("item"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/catalog/serviceitemversion/return_note.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra = {}
        if version is not None:
            extra = {
                "transitions": self.transitions(request, version),
                "version_locked": not _is_editable(version),
                "can_create_draft": version.status == VersionStatus.PUBLISHED and can_edit(request.user),
                "open_draft": version.item.versions.filter(
                    status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]).exclude(pk=version.pk).first(),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


class ReturnNoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("退回意见"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))


class VersionHistoryInline(admin.TabularInline):
    """An item's versions, newest first: its history. Read-only; each links to its version page."""

    model = ServiceItemVersion
    fk_name = "item"
    fields = ("version", "status", "name", "published_at", "cancelled_on", "created_by", "reviewed_by",
              "review_note")
    readonly_fields = fields
    ordering = ("-version",)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name = gettext_lazy("版本")
    verbose_name_plural = gettext_lazy("版本历史")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ItemStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("published", _("已发布")), ("withdrawn", _("未发布或已取消")), ("open_draft", _("有待处理的草稿"))]

    def queryset(self, request, queryset):
        if self.value() == "published":
            return queryset.filter(current_version__isnull=False)
        if self.value() == "withdrawn":
            return queryset.filter(current_version__isnull=True)
        if self.value() == "open_draft":
            return queryset.filter(open_version__isnull=False)
        return queryset


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ("code", "current_name", "current_department", "status", "popularity")
    list_select_related = ("current_version__department",)
    list_filter = (ItemStatusFilter, "current_version__department")
    search_fields = ("code", "current_version__name")
    fields = ("code", "current_version_link", "popularity")
    readonly_fields = fields
    inlines = [VersionHistoryInline]
    actions = ["create_drafts"]
    change_form_template = "admin/catalog/serviceitem/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            open_version=Max("versions__version",
                             filter=Q(versions__status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW])),
        )

    def has_add_permission(self, request):
        return False  # items come from the import; a new item's first version is published there

    def has_delete_permission(self, request, obj=None):
        return False  # items are withdrawn (services.item_withdraw), never deleted

    @admin.display(description=gettext_lazy("事项名称"), ordering="current_version__name")
    def current_name(self, obj):
        return obj.current_version.name if obj.current_version else "—"

    @admin.display(description=gettext_lazy("实施主体"), ordering="current_version__department__code")
    def current_department(self, obj):
        return obj.current_version.department if obj.current_version else "—"

    @admin.display(description=gettext_lazy("状态"))
    def status(self, obj):
        text = (_("已发布 v%(v)d") % {"v": obj.current_version.version} if obj.current_version
                else _("未发布或已取消"))
        if getattr(obj, "open_version", None):
            text += " · " + _("草稿 v%(v)d 待处理") % {"v": obj.open_version}
        return text

    @admin.display(description=gettext_lazy("当前发布版本"))
    def current_version_link(self, obj):
        if obj.current_version is None:
            return "—"
        url = reverse("admin:catalog_serviceitemversion_change", args=[obj.current_version_id])
        return format_html('<a href="{}">v{} {}</a>', url, obj.current_version.version, obj.current_version.name)

    def get_urls(self):
        return [
            path("<path:object_id>/create-draft/", self.admin_site.admin_view(self.create_draft_view),
                 name="catalog_serviceitem_create_draft"),
            *super().get_urls(),
        ]

    def _create_draft(self, request, item):
        if not can_edit(request.user):
            messages.error(request, _("您没有权限创建草稿。"))
            return None
        try:
            draft = services.item_version_create_draft(item=item, user=request.user)
        except ValidationError as exc:
            _report_errors(request, exc)
            return None
        messages.success(request, _("已为 %(code)s 创建草稿 v%(v)d。") % {"code": item.code, "v": draft.version})
        return draft

    def create_draft_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        item = get_object_or_404(ServiceItem, pk=object_id)
        if not self.has_view_permission(request, item):
            raise PermissionDenied
        draft = self._create_draft(request, item)
        if draft is None:
            return HttpResponseRedirect(reverse("admin:catalog_serviceitem_change", args=[item.pk]))
        return HttpResponseRedirect(reverse("admin:catalog_serviceitemversion_change", args=[draft.pk]))

    @admin.action(description=gettext_lazy("为所选事项创建新草稿"))
    def create_drafts(self, request, queryset):
        for item in queryset:
            self._create_draft(request, item)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self.get_object(request, object_id)
        extra = {}
        if item is not None:
            extra = {
                # Nothing on this page is edited directly: changes go through a new draft.
                "show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
                "can_create_draft": can_edit(request.user),
                "open_draft": item.versions.filter(
                    status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]).first(),
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})
