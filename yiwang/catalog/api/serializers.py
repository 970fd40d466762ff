"""The catalogue API's shapes (API.md).

Two kinds of things live here:
- request validation (`ItemListQuerySerializer`, `PageQuerySerializer`): bad input becomes a 400 in
  the error format, never a 500;
- plain builders (`item_summaries`, `item_guide`, ...) that turn rows into dicts. Lists are hot paths
  (ARCHITECTURE.md "Where the time goes"), so they read `.values()` and build dicts by hand instead of
  running a ModelSerializer per row. The `*Serializer` output classes below describe the same shapes
  for the OpenAPI schema; tests check that the builders and these classes agree field for field.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from .. import selectors
from ..constants import ITEM_KIND, SCOPE, TARGET
from ..models import Department, LifeEvent, ServiceItemVersion
from ..summaries import item_summary  # noqa: F401 - part of this module's interface

MAX_QUERY_LENGTH = 100
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_PAGE = 2**31 - 1


# --- request validation ---------------------------------------------------------------------------------

class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=MAX_PAGE,
        error_messages={"invalid": gettext_lazy("页码必须是正整数。"),
                        "min_value": gettext_lazy("页码必须是正整数。"),
                        "max_value": gettext_lazy("页码过大。")},
    )
    page_size = serializers.IntegerField(
        required=False, default=DEFAULT_PAGE_SIZE, min_value=1,
        help_text="Rows per page; at most 100 (larger values count as 100).",
        error_messages={"invalid": gettext_lazy("每页条数必须是正整数。"),
                        "min_value": gettext_lazy("每页条数必须是正整数。")},
    )

    def validate_page_size(self, value: int) -> int:
        return min(value, MAX_PAGE_SIZE)


def _choices_text(codes) -> str:
    return "、".join(f"{c.value} {c.label}" for c in codes)


class ItemListQuerySerializer(PageQuerySerializer):
    """The query string of GET /api/v1/items. kind, target and scope take a code value or its label."""

    q = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH,
        help_text="Search words (at most 100 characters); results are then ranked by relevance.",
        error_messages={"max_length": gettext_lazy("检索词不能超过 {max_length} 个字符。")},
    )
    department = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                       help_text="Code (or name) of the deciding department.")
    kind = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                 help_text="事项类型: code value (01) or label (行政许可).")
    target = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                   help_text="服务对象: code value (1) or label (自然人).")
    scope = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                  help_text="通办范围: code value (4) or label (全市通办).")

    def _code(self, list_name: str, value: str, message: str):
        if not value:
            return None
        lookup = selectors.code_lookup(list_name)
        code = lookup.get(value)
        if code is None:
            wanted = value.casefold()
            code = next((c for c in lookup.values() if c.label_en and c.label_en.casefold() == wanted), None)
        if code is None:
            distinct = sorted({c.pk: c for c in lookup.values()}.values(), key=lambda c: (c.position, c.value))
            raise serializers.ValidationError(message % {"value": value, "choices": _choices_text(distinct)})
        return code

    def validate_kind(self, value):
        return self._code(ITEM_KIND, value, _("未知的事项类型“%(value)s”，可选：%(choices)s。"))

    def validate_target(self, value):
        return self._code(TARGET, value, _("未知的服务对象“%(value)s”，可选：%(choices)s。"))

    def validate_scope(self, value):
        return self._code(SCOPE, value, _("未知的通办范围“%(value)s”，可选：%(choices)s。"))

    def validate_department(self, value):
        if not value:
            return None
        dept = Department.objects.filter(code=value).first() or Department.objects.filter(name=value).first()
        if dept is None:
            raise serializers.ValidationError(_("未知的部门“%(value)s”。") % {"value": value})
        return dept

    def validate_q(self, value):
        return value.strip()


# --- plain builders -------------------------------------------------------------------------------------

_SUMMARY_VALUES = (
    "id", "item__code", "name", "kind__value", "kind__label", "department__code", "department__name",
    "promised_days", "statutory_days", "max_visits", "online_depth", "scope__label", "case_kind__label",
)


def _targets_by_version(version_ids) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not version_ids:
        return out
    rows = (
        ServiceItemVersion.targets.through.objects.filter(serviceitemversion_id__in=version_ids)
        .order_by("code__position", "code__value")
        .values_list("serviceitemversion_id", "code__label")
    )
    for version_id, label in rows:
        out.setdefault(version_id, []).append(label)
    return out


def _summary_from_row(row: dict, targets: list[str]) -> dict:
    return {
        "code": row["item__code"],
        "name": row["name"],
        "kind": row["kind__label"],
        "kind_code": row["kind__value"],
        "department": {"code": row["department__code"], "name": row["department__name"]},
        "targets": targets,
        "promised_days": row["promised_days"],
        "statutory_days": row["statutory_days"],
        "max_visits": row["max_visits"],
        "online_depth": row["online_depth"],
        "scope": row["scope__label"],
        "case_kind": row["case_kind__label"],
    }


def item_summaries(versions) -> list[dict]:
    """Summaries of a queryset of versions, in its order: two queries whatever its length."""
    rows = list(versions.select_related(None).prefetch_related(None).values(*_SUMMARY_VALUES))
    targets = _targets_by_version([r["id"] for r in rows])
    return [_summary_from_row(r, targets.get(r["id"], [])) for r in rows]


def _license_ref(license_type) -> dict | None:
    return {"code": license_type.code, "name": license_type.name} if license_type is not None else None


def _yuan(amount: Decimal | None) -> float | None:
    return float(amount) if amount is not None else None


def item_guide(version: ServiceItemVersion, life_events) -> dict:
    """The whole service guide (办事指南) of a published version (see selectors.published_version_for)."""
    guide = item_summary(version)
    guide.update({
        "version": version.version,
        "effective_from": version.effective_from.isoformat() if version.effective_from else None,
        "level": version.level.label,
        "conditions": list(version.conditions),
        "materials": [
            {
                "name": m.name, "required": m.required, "form": m.form, "copies": m.copies, "source": m.source,
                "license_type": _license_ref(m.license_type), "held_by_government": m.held_by_government,
                "note": m.note, "tolerant": m.tolerant,
            }
            for m in version.materials.all()
        ],
        "form_fields": [
            {"key": f.key, "label": f.label, "type": f.type, "required": f.required,
             "prefill_source": f.prefill_source}
            for f in version.form_fields.all()
        ],
        "process": [{"step": s.name, "role": s.role, "days": s.days} for s in version.process_steps.all()],
        "fees": {"charged": version.fee_charged, "standard": version.fee_standard,
                 "amount_yuan": _yuan(version.fee_amount)},
        "legal_basis": list(version.legal_basis),
        "outputs": [{"name": o.name, "license_type": _license_ref(o.license_type)} for o in version.outputs.all()],
        "handling_forms": [c.label for c in sorted(version.handling_forms.all(), key=lambda c: (c.position, c.value))],
        "parallel_departments": [{"code": d.code, "name": d.name} for d in version.parallel_departments.all()],
        "tolerant_acceptance": version.tolerant_acceptance,
        "visit_reason": version.visit_reason,
        "consult_phone": version.consult_phone,
        "supervise_phone": version.supervise_phone,
        "location": version.location,
        "life_events": [{"code": e["code"], "name": e["name"]} for e in life_events],
    })
    return guide


def department_rows(departments) -> list[dict]:
    return [
        {"code": d["code"], "name": d["name"], "kind": d["kind"], "item_count": d["item_count"]}
        for d in departments.values("code", "name", "kind", "item_count")
    ]


def life_event_summary(event: LifeEvent, item_count: int) -> dict:
    targets = sorted(event.targets.all(), key=lambda c: (c.position, c.value))
    return {
        "code": event.code,
        "name": event.name,
        "description": event.description,
        "targets": [c.label for c in targets],
        "item_count": item_count,
    }


# --- output shapes for the OpenAPI schema ---------------------------------------------------------------

class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class RefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DepartmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="条线部门 / 综合部门")
    item_count = serializers.IntegerField(help_text="Published items the department decides.")


class DepartmentListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = DepartmentSerializer(many=True)


class ItemSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="事项类型 label, e.g. 行政许可")
    kind_code = serializers.CharField(help_text="事项类型 code value, e.g. 01")
    department = RefSerializer()
    targets = serializers.ListField(child=serializers.CharField(), help_text="服务对象 labels")
    promised_days = serializers.IntegerField(help_text="承诺办结时限 (working days)")
    statutory_days = serializers.IntegerField(help_text="法定办结时限 (working days)")
    max_visits = serializers.IntegerField(help_text="到现场次数 (0 or 1)")
    online_depth = serializers.IntegerField(min_value=1, max_value=4, help_text="网办深度 1-4")
    scope = serializers.CharField(help_text="通办范围 label")
    case_kind = serializers.CharField(help_text="即办件 / 承诺件")


class ItemSearchHitSerializer(ItemSummarySerializer):
    score = serializers.FloatField(required=False, help_text="Relevance; present when q is given.")


class ItemListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = ItemSearchHitSerializer(many=True)
    did_you_mean = serializers.CharField(required=False, help_text="A suggested spelling, when there is one.")


class MaterialSerializer(serializers.Serializer):
    name = serializers.CharField()
    required = serializers.BooleanField()
    form = serializers.CharField()
    copies = serializers.IntegerField()
    source = serializers.CharField()
    license_type = RefSerializer(allow_null=True)
    held_by_government = serializers.BooleanField()
    note = serializers.CharField()
    tolerant = serializers.BooleanField(help_text="May be missing at tolerant acceptance (容缺受理).")


class FormFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField()
    prefill_source = serializers.CharField()


class ProcessStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    role = serializers.CharField()
    days = serializers.IntegerField()


class FeesSerializer(serializers.Serializer):
    charged = serializers.BooleanField()
    standard = serializers.CharField()
    amount_yuan = serializers.FloatField(allow_null=True)


class OutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    license_type = RefSerializer(allow_null=True)


class ItemGuideSerializer(ItemSummarySerializer):
    version = serializers.IntegerField()
    effective_from = serializers.DateField(allow_null=True)
    level = serializers.CharField(help_text="行使层级 label")
    conditions = serializers.ListField(child=serializers.CharField())
    materials = MaterialSerializer(many=True)
    form_fields = FormFieldSerializer(many=True)
    process = ProcessStepSerializer(many=True)
    fees = FeesSerializer()
    legal_basis = serializers.ListField(child=serializers.CharField())
    outputs = OutputSerializer(many=True)
    handling_forms = serializers.ListField(child=serializers.CharField())
    parallel_departments = RefSerializer(many=True)
    tolerant_acceptance = serializers.BooleanField()
    visit_reason = serializers.CharField()
    consult_phone = serializers.CharField()
    supervise_phone = serializers.CharField()
    location = serializers.CharField()
    life_events = RefSerializer(many=True)


class LifeEventSummarySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    targets = serializers.ListField(child=serializers.CharField())
    item_count = serializers.IntegerField(help_text="Items with a published version.")


class LifeEventListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = LifeEventSummarySerializer(many=True)


class SavingsFigureSerializer(serializers.Serializer):
    item_by_item = serializers.IntegerField()
    bundled = serializers.IntegerField()
    saved = serializers.IntegerField()


class SavingsSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    visits = SavingsFigureSerializer(help_text="Trips: sum of max_visits vs the largest max_visits.")
    materials = SavingsFigureSerializer(
        help_text="Materials: all of them vs distinct ones the government does not already hold.")
    days = SavingsFigureSerializer(help_text="Working days: sum of promised_days vs the largest (in parallel).")


class LifeEventDetailSerializer(LifeEventSummarySerializer):
    items = ItemSummarySerializer(many=True)
    savings = SavingsSerializer()
