"""一表制: one form for one item or a whole life event.

Form fields of every item's published version are merged by key: the first label and type win, a
field is required if any item requires it (subject to the 情形 rules of rules.py), and each field
keeps the items that ask for it. File-type fields become optional materials (uploads). Materials
are merged by name the same way.

Values are checked per type (clean_value). Drafts save as you go: PATCH checks formats, unknown
keys and read-only fields and rejects the whole request on any error (nothing is half saved);
"required" is checked at submit, where every missing field and material is listed at once."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.catalog import selectors as catalog
from yiwang.core.ids import validate_id_number
from yiwang.identity.services import normalize_phone

from . import rules
from .constants import ONLINE_FORM_NOTE, SOURCE_LABELS
from .prefill import EDITABLE_SOURCES, is_registry_source
from .sources import BIRTH_PREFIX, bundle_source, license_source

DEFAULT_MAX_LENGTH = 500


def bundle(*, item_code: str = "", life_event_code: str = "") -> tuple[str, list]:
    """(title, published versions in bundle order) or ValidationError on the "item"/"life_event" field."""
    if bool(item_code) == bool(life_event_code):
        raise ValidationError({"item": [_("请指定一个事项或一件事。")]})
    versions = catalog.published_versions().prefetch_related("form_fields", "materials__license_type",
                                                             "outputs__license_type")
    if item_code:
        version = versions.filter(item__code=item_code).first()
        if version is None:
            raise ValidationError({"item": [_("没有编码为“%(code)s”的已发布事项。") % {"code": item_code}]})
        return version.name, [version]
    event = catalog.life_event_detail(life_event_code)
    if event is None:
        raise ValidationError({"life_event": [_("没有编码为“%(code)s”的一件事。") % {"code": life_event_code}]})
    codes = [entry.item.code for entry in event.entries.all()]
    by_code = {v.item.code: v for v in versions.filter(item__code__in=codes)}
    found = [by_code[c] for c in codes if c in by_code]
    if not found:
        raise ValidationError({"life_event": [_("该一件事暂无可在线申报的事项。")]})
    return event.name, found


def merge_fields(versions) -> tuple[list[dict], list[dict]]:
    """(merged field definitions, file fields turned into materials)."""
    merged: dict[str, dict] = {}
    file_materials: list[dict] = []
    for version in versions:
        code = version.item.code
        for f in version.form_fields.all():
            if f.type == "file":
                file_materials.append({"name": f.label, "required": f.required, "item_codes": [code],
                                       "license_type": ""})
                continue
            row = merged.get(f.key)
            if row is None:
                row = merged[f.key] = {"key": f.key, "label": f.label, "type": f.type,
                                       "prefill_source": f.prefill_source or "", "validation": dict(f.validation or {}),
                                       "items": [], "required_by": []}
            elif not row["prefill_source"] and f.prefill_source:
                row["prefill_source"] = f.prefill_source
            for name, value in (f.validation or {}).items():
                row["validation"].setdefault(name, value)
            row["items"].append(code)
            if f.required:
                row["required_by"].append(code)
    return list(merged.values()), file_materials


def bundle_outputs(versions) -> dict[str, set[str]]:
    """licence type code → codes of the bundle's items that issue it."""
    out: dict[str, set[str]] = {}
    for version in versions:
        for output in version.outputs.all():
            if output.license_type_id:
                out.setdefault(output.license_type.code, set()).add(version.item.code)
    return out


def merge_materials(versions, extra: list[dict] = ()) -> list[dict]:
    merged: dict[str, dict] = {}
    rows = [{"name": m.name, "required": m.required, "item_codes": [v.item.code],
             "license_type": m.license_type.code if m.license_type_id else "",
             "online_form": not m.license_type_id and ONLINE_FORM_NOTE in (m.note or "")}
            for v in versions for m in v.materials.all()]
    for row in [*rows, *extra]:
        current = merged.get(row["name"])
        if current is None:
            merged[row["name"]] = {**row, "item_codes": list(row["item_codes"])}
            continue
        current["required"] = current["required"] or row["required"]
        current["item_codes"] += [c for c in row["item_codes"] if c not in current["item_codes"]]
        current["license_type"] = current["license_type"] or row["license_type"]
        current["online_form"] = current.get("online_form", False) and row.get("online_form", False)
    return list(merged.values())


def form_definition(fields: list[dict], *, sources: dict[str, str], facts: dict) -> list[dict]:
    """The stored form: merged fields with effective required flag, source and read-only flag."""
    out = []
    for f in fields:
        required, rule = rules.effective_required(f["key"], f["required_by"], facts)
        source = sources.get(f["key"], "")
        if bundle_source(source):
            required = False  # filled when the bundle's own item issues the licence
        readonly = bool(source) and is_registry_source(source) and source not in EDITABLE_SOURCES
        out.append({**f, "required": required, "rule": rule, "source": source, "readonly": readonly})
    return out


def source_label(source: str) -> str:
    if not source:
        return ""
    if source.startswith(BIRTH_PREFIX):
        return str(SOURCE_LABELS["birth"])
    if bundle_source(source):
        return str(SOURCE_LABELS["bundle"])
    return str(SOURCE_LABELS.get("license" if license_source(source) else source.split(".", 1)[0], ""))


def field_rows(form: list[dict], values: dict) -> list[dict]:
    """API.md shape: {key, label, type, required, value, source} plus readonly, source_label, items."""
    return [{"key": f["key"], "label": f["label"], "type": f["type"], "required": f["required"],
             "value": values.get(f["key"], ""), "source": f["source"] or None, "source_label": source_label(f["source"]),
             "readonly": f["readonly"], "items": f["items"], "options": options_of(f)} for f in form]


def options_of(field: dict) -> list[str]:
    validation = field.get("validation") or {}
    options = validation.get("options") or validation.get("choices") or []
    return [str(o) for o in options] if isinstance(options, list) else []


# --- values --------------------------------------------------------------------------------------------

def clean_value(field: dict, value) -> str:
    """The normalised value, "" for an empty one, or ValidationError with a message for the applicant."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValidationError(_("格式不正确。"), code="invalid")
    text = str(value).strip()
    if not text:
        return ""
    kind, validation = field["type"], field.get("validation") or {}
    if kind == "id_number":
        text = validate_id_number(text)
    elif kind == "phone":
        text = normalize_phone(text)
    elif kind == "date":
        try:
            text = dt.date.fromisoformat(text).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else ""
        except ValueError:
            text = ""
        if not text:
            raise ValidationError(_("请输入有效的日期，格式为 YYYY-MM-DD。"), code="date")
    elif kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(_("请输入数字。"), code="number")
        text = str(number)
    options = options_of(field)
    if options and text not in options:
        raise ValidationError(_("请从以下选项中选择：%(options)s。") % {"options": "、".join(options)}, code="choice")
    max_length = int(validation.get("max_length") or DEFAULT_MAX_LENGTH)
    if len(text) > max_length:
        raise ValidationError(_("最多 %(count)d 个字符。") % {"count": max_length}, code="max_length")
    pattern = validation.get("pattern")
    if pattern and kind not in ("id_number", "phone") and not re.fullmatch(pattern, text):
        raise ValidationError(_("格式不正确。"), code="pattern")
    return text


def apply_patch(form: list[dict], values: dict, data) -> tuple[dict, dict[str, list[str]]]:
    """(new values, field errors). With any error the caller saves nothing."""
    if not isinstance(data, dict):
        return values, {"data": [_("请以“字段键: 值”的形式提交表单数据。")]}
    by_key = {f["key"]: f for f in form}
    new, errors = dict(values), {}
    for key, raw in data.items():
        field = by_key.get(key)
        if field is None:
            errors[key] = [_("表单中没有该项。")]
            continue
        if field["readonly"]:
            # Resending the verified value is harmless; changing it is not allowed.
            if raw is None or str(raw).strip() != values.get(key, ""):
                errors[key] = [_("该项%(source)s，已经核验，不能修改。") % {"source": source_label(field["source"])}]
            continue
        try:
            value = clean_value(field, raw)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if value:
            new[key] = value
        else:
            new.pop(key, None)
    return new, errors


def missing_fields(form: list[dict], values: dict) -> dict[str, list[str]]:
    return {f["key"]: [_("此项为必填项。")] for f in form if f["required"] and not values.get(f["key"])}
