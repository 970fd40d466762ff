"""Import the service catalogue from a directory of JSON, CSV or XLSX tables (layouts: data/catalog/README.md).

The whole directory is read and checked first. If any problem is found, nothing is written. Otherwise the
writes go through the catalogue services in one transaction: departments, licence types and life events
are upserted, and each item goes through `services.item_import`. That service compares a content digest,
so unchanged data creates nothing and changed data becomes a new published version.

Every table is normalised to the dict shape of ../shared/data/*.json before it is written. An item
therefore has the same digest whether it came from JSON, CSV or XLSX.
"""

import csv
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from tqdm import tqdm

from yiwang.core.ids import validate_uscc

from . import selectors, services
from .constants import (
    CASE_KIND,
    FIELD_TYPES,
    ITEM_KIND,
    LEVEL,
    MATERIAL_FORM,
    MATERIAL_SOURCE,
    SCOPE,
    TARGET,
    DepartmentKind,
    VersionStatus,
)
from .models import CodeList, Department, FormField, LicenseType, LifeEvent, ServiceItem

TABLES = ("departments", "license_types", "service_items", "life_events")
# The nested lists of an item. In CSV or XLSX they may be kept in their own file or sheet, one row per
# element, tied to the item by `item_code`.
CHILD_TABLES = ("materials", "form_fields", "process", "outputs")
TABLE_LABELS = {
    "departments": "部门",
    "license_types": "证照类型",
    "service_items": "事项",
    "life_events": "一件事",
    "materials": "申请材料",
    "form_fields": "表单字段",
    "process": "办理流程",
    "outputs": "办理结果",
}
_TABLE_NAMES = {name: name for name in TABLE_LABELS} | {label: name for name, label in TABLE_LABELS.items()}
_TABLE_NAMES["实施清单"] = "service_items"

# Separators inside one spreadsheet cell. A newline (Alt+Enter in Excel) works too. Conditions and legal
# bases often contain "；", so only licence field names may also be separated by semicolons.
LIST_SEPARATORS = re.compile(r"[|\n]")
FIELD_NAME_SEPARATORS = re.compile(r"[|\n；;]")

SMALLINT_MAX = 32767  # PositiveSmallIntegerField
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
FORM_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PREFILL_RE = re.compile(r"^(person|entity)\.[a-z_]+$")
TRIGGER_RE = re.compile(r"^(person|entity)\.[a-z_]+$")
IMMEDIATE, COMMITTED = "即办件", "承诺件"


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header, accepted instead of the key
    required: bool = False  # the column must be present; empty cells are then checked like JSON fields


def _columns(*specs: tuple) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


COLUMNS: dict[str, tuple[Column, ...]] = {
    "departments": _columns(("code", "部门编码", True), ("name", "部门名称", True), ("kind", "部门类别", True),
                            ("credit_code", "统一社会信用代码")),
    "license_types": _columns(
        ("code", "证照类型编码", True), ("name", "证照名称", True), ("issuer", "颁发部门", True),
        ("holder", "持证主体", True), ("fields", "照面字段", True),
    ),
    "service_items": _columns(
        ("code", "事项编码", True), ("name", "事项名称", True), ("type", "事项类型", True),
        ("department", "实施主体", True), ("level", "行使层级", True), ("targets", "服务对象", True),
        ("legal_basis", "设定依据"), ("conditions", "受理条件"),
        ("statutory_days", "法定办结时限", True), ("promised_days", "承诺办结时限", True),
        ("case_kind", "办件类型"), ("fee_charged", "是否收费"), ("fee_standard", "收费标准"),
        ("fee_amount_yuan", "收费金额"), ("max_visits", "到现场次数", True), ("visit_reason", "到现场原因"),
        ("online_depth", "网上办理深度", True), ("scope", "通办范围", True),
        ("parallel_departments", "并联部门"), ("tolerant_acceptance", "容缺受理"), ("tolerant_materials", "容缺材料"),
        ("consult_phone", "咨询电话"), ("supervise_phone", "监督电话"), ("location", "办理地点"),
        ("keywords", "检索关键词"),
        # Nested lists as JSON text in a cell, for items whose lists are not kept in a child table.
        ("materials", "申请材料"), ("form_fields", "表单字段"), ("process", "办理流程"), ("outputs", "办理结果"),
    ),
    "life_events": _columns(
        ("code", "一件事编码", True), ("name", "一件事名称", True), ("targets", "服务对象", True),
        ("description", "说明"), ("items", "包含事项", True), ("trigger", "触发事件"),
    ),
    "materials": _columns(
        ("item_code", "事项编码", True), ("name", "材料名称", True), ("required", "是否必需"),
        ("form", "材料形式"), ("copies", "份数"), ("source", "来源渠道", True),
        ("license_type", "电子证照类型"), ("note", "填报须知"),
    ),
    "form_fields": _columns(
        ("item_code", "事项编码", True), ("key", "字段标识", True), ("name", "字段名称", True),
        ("type", "字段类型", True), ("required", "是否必填"), ("prefill", "预填来源"),
    ),
    "process": _columns(
        ("item_code", "事项编码", True), ("step", "环节名称", True), ("role", "办理人员"), ("days", "环节时限"),
    ),
    "outputs": _columns(("item_code", "事项编码", True), ("name", "结果名称", True), ("license_type", "电子证照类型")),
}

# The keys of the JSON records (../shared/data); unknown keys are reported because they are usually typos.
JSON_KEYS = {
    "departments": {"code", "name", "kind", "credit_code"},
    "license_types": {"code", "name", "issuer", "holder", "fields"},
    "service_items": {c.key for c in COLUMNS["service_items"] if not c.key.startswith("fee_")} | {"fee"},
    "life_events": {c.key for c in COLUMNS["life_events"]},
    "fee": {"charged", "standard", "amount_yuan"},
    **{table: {c.key for c in COLUMNS[table]} - {"item_code"} for table in CHILD_TABLES},
}


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ImportIssue:
    """One problem in the input. `row` is the 1-based record index (JSON) or the sheet/CSV row number."""

    file: str
    row: int | None
    field: str
    message: str

    def __str__(self) -> str:
        place = self.file if self.row is None else f"{self.file}:{self.row}"
        return f"{place}: {self.field}: {self.message}" if self.field else f"{place}: {self.message}"


@dataclass
class ImportReport:
    departments_created: int = 0
    departments_updated: int = 0
    license_types_created: int = 0
    license_types_updated: int = 0
    items_created: int = 0
    new_versions: int = 0  # changed items: a new published version, the old one retired
    unchanged: int = 0  # items whose content equals their published version
    life_events_created: int = 0
    life_events_updated: int = 0
    errors: list[ImportIssue] = field(default_factory=list)

    def summary(self) -> str:
        return _(
            "部门：新增 %(dc)d，更新 %(du)d；证照类型：新增 %(lc)d，更新 %(lu)d；"
            "事项：新增 %(ic)d，新版本 %(iv)d，未变化 %(iu)d；一件事：新增 %(ec)d，更新 %(eu)d"
        ) % {
            "dc": self.departments_created, "du": self.departments_updated,
            "lc": self.license_types_created, "lu": self.license_types_updated,
            "ic": self.items_created, "iv": self.new_versions, "iu": self.unchanged,
            "ec": self.life_events_created, "eu": self.life_events_updated,
        }


class CatalogImportError(Exception):
    """The input has errors; nothing was imported."""

    def __init__(self, errors: list[ImportIssue]):
        self.errors = errors
        self.report = ImportReport(errors=errors)
        super().__init__(_("目录导入失败：发现 %(n)d 个错误，未导入任何数据。") % {"n": len(errors)})


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class _Where:
    file: str
    row: int | None
    prefix: str = ""  # "materials[2]." for an element of a nested list
    headers: Mapping[str, str] | None = None  # key → the header as written, so errors name the column

    def field(self, key: str) -> str:
        return self.prefix + (self.headers or {}).get(key, key)


@dataclass
class _Record:
    where: _Where
    data: dict[str, Any]
    tabular: bool = False  # cells are text: numbers, booleans and lists are parsed from strings
    children: dict[str, list["_Record"]] = field(default_factory=dict)  # rows of child tables


@dataclass
class _Plan:
    departments: list[dict] = field(default_factory=list)
    license_types: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    life_events: list[dict] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)


def _cell(value: Any) -> Any:
    """A spreadsheet cell as the checker expects it: stripped text or None, numbers and booleans as is."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: int | float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Source:
    table: str
    label: str  # how errors name it: "service_items.csv" or "catalog.xlsx[materials]"
    path: Path
    sheet: str | None = None

    @property
    def tabular(self) -> bool:
        return self.path.suffix.lower() != ".json"


def _table_name(name: str) -> str | None:
    return _TABLE_NAMES.get(name.strip()) or _TABLE_NAMES.get(name.strip().lower())


class _Reader:
    """Finds the tables of a directory and turns their rows into records."""

    def __init__(self, issues: list[ImportIssue]):
        self.issues = issues
        self.workbooks: dict[Path, Any] = {}

    def error(self, file: str, row: int | None, key: str, message: str) -> None:
        self.issues.append(ImportIssue(file, row, key, message))

    def read(self, path: Path) -> tuple[dict[str, list[_Record]], dict[str, _Source]]:
        try:
            sources = self._discover(path)
            tables: dict[str, list[_Record]] = {}
            for table, source in sources.items():
                records = self._read_source(source)
                if records is not None:
                    tables[table] = records
            self._attach_children(tables, sources)
            return tables, sources
        finally:
            for workbook in self.workbooks.values():
                workbook.close()

    def _discover(self, path: Path) -> dict[str, _Source]:
        if not path.is_dir():
            self.error(str(path), None, "", _("目录不存在"))
            return {}
        sources: dict[str, _Source] = {}

        def add(source: _Source) -> None:
            if source.table in sources:
                self.error(source.label, None, "", _("表“%(table)s”已在 %(other)s 中出现，每张表只能出现一次")
                           % {"table": source.table, "other": sources[source.table].label})
            else:
                sources[source.table] = source

        for file in sorted(path.iterdir()):
            if not file.is_file() or file.name.startswith((".", "~$")):  # hidden files, Excel lock files
                continue
            suffix = file.suffix.lower()
            table = _table_name(file.stem)
            if suffix == ".json" and table in TABLES:
                add(_Source(table, file.name, file))
            elif suffix == ".json" and table in CHILD_TABLES:
                self.error(file.name, None, "", _("子表只支持 CSV 或 XLSX 格式；JSON 中请把它写在事项记录里"))
            elif suffix == ".csv" and table:
                add(_Source(table, file.name, file))
            elif suffix == ".xlsx":
                for source in self._workbook_sources(file, table):
                    add(source)
        if not sources:
            self.error(str(path), None, "", _("目录中没有可导入的表（%(names)s）") % {"names": ", ".join(TABLES)})
        return sources

    def _workbook_sources(self, file: Path, stem_table: str | None) -> list[_Source]:
        try:
            workbook = load_workbook(file, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            self.error(file.name, None, "", _("无法读取 Excel 文件：%(error)s") % {"error": exc})
            return []
        self.workbooks[file] = workbook
        out = []
        for sheet in workbook.sheetnames:
            table = _table_name(sheet)
            if table:
                out.append(_Source(table, f"{file.name}[{sheet}]", file, sheet))
        if not out and stem_table:
            # A one-table workbook named after its table: its first sheet, whatever it is called.
            sheet = workbook.sheetnames[0]
            out.append(_Source(stem_table, f"{file.name}[{sheet}]", file, sheet))
        if not out:
            self.error(file.name, None, "", _("工作簿中没有可识别的工作表；工作表应命名为 %(names)s")
                       % {"names": ", ".join(TABLES + CHILD_TABLES)})
        return out

    def _decode(self, source: _Source) -> str | None:
        raw = source.path.read_bytes()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            try:
                raw.decode("gb18030")
                hint = _("，看起来是 GBK/GB18030 编码")
            except UnicodeDecodeError:
                hint = ""
            self.error(source.label, line if source.tabular else None, "",
                       _("文件不是 UTF-8 编码（第 %(line)d 行，第 %(byte)d 字节）%(hint)s；"
                         "请另存为 UTF-8 编码（Excel：“CSV UTF-8（逗号分隔）”）")
                       % {"line": line, "byte": exc.start + 1, "hint": hint})
            return None

    def _read_source(self, source: _Source) -> list[_Record] | None:
        suffix = source.path.suffix.lower()
        if suffix == ".json":
            return self._read_json(source)
        if suffix == ".csv":
            text = self._decode(source)
            if text is None:
                return None
            try:
                rows = [(n, [_cell(v) for v in cells])
                        for n, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)]
            except csv.Error as exc:
                self.error(source.label, None, "", _("CSV 格式错误：%(error)s") % {"error": exc})
                return None
            return self._read_rows(source, rows)
        worksheet = self.workbooks[source.path][source.sheet]
        worksheet.reset_dimensions()  # some writers store wrong dimensions; read every row
        rows = ((n, [_cell(v) for v in cells]) for n, cells in enumerate(worksheet.iter_rows(values_only=True), 1))
        return self._read_rows(source, rows)

    def _read_json(self, source: _Source) -> list[_Record] | None:
        text = self._decode(source)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.error(source.label, None, "", _("JSON 格式错误（第 %(line)d 行第 %(col)d 列）：%(msg)s")
                       % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg})
            return None
        if not isinstance(data, list):
            self.error(source.label, None, "", _("JSON 顶层应为数组（每条记录一个对象）"))
            return None
        records = []
        for n, element in enumerate(data, start=1):
            if isinstance(element, dict):
                records.append(_Record(_Where(source.label, n), element))
            else:
                self.error(source.label, n, "", _("记录应为 JSON 对象"))
        return records

    def _read_rows(self, source: _Source, rows: Iterable[tuple[int, list]]) -> list[_Record] | None:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return []
        header_row, header_cells = first
        aliases = {c.key: c.key for c in COLUMNS[source.table]} | {c.label: c.key for c in COLUMNS[source.table]}
        positions: dict[int, str] = {}
        headers: dict[str, str] = {}
        ok = True
        for index, cell in enumerate(header_cells):
            text = _cell_text(cell)
            if not text:
                continue
            key = aliases.get(text)
            if key is None and (match := re.fullmatch(r"(.*?)\s*[(（]\s*(.*?)\s*[)）]", text)):
                key = aliases.get(match.group(2)) or aliases.get(match.group(1))  # "事项编码(code)"
            if key is None:
                self.error(source.label, header_row, text, _("未知的列；可用的列：%(columns)s")
                           % {"columns": ", ".join(c.key for c in COLUMNS[source.table])})
                ok = False
            elif key in headers:
                self.error(source.label, header_row, text, _("列重复（与“%(other)s”相同）") % {"other": headers[key]})
                ok = False
            else:
                headers[key] = text
                positions[index] = key
        for column in COLUMNS[source.table]:
            if column.required and column.key not in headers:
                self.error(source.label, header_row, column.key, _("缺少必需的列（%(label)s）") % {"label": column.label})
                ok = False
        if not ok:
            return None
        records = []
        for n, cells in rows:
            if all(v is None for v in cells):
                continue
            for index, value in enumerate(cells):
                if value is not None and index not in positions:
                    self.error(source.label, n, _("第 %(col)d 列") % {"col": index + 1}, _("该列没有表头，其中的数据无法导入"))
            data = {key: cells[index] if index < len(cells) else None for index, key in positions.items()}
            records.append(_Record(_Where(source.label, n, headers=headers), data, tabular=True))
        return records

    def _attach_children(self, tables: dict[str, list[_Record]], sources: dict[str, _Source]) -> None:
        items_source = sources.get("service_items")
        items: dict[str, _Record] = {}
        for record in tables.get("service_items", []):
            items.setdefault(_cell_text(record.data.get("code")), record)
        for table in CHILD_TABLES:
            if table not in sources:
                continue
            if items_source is None or not items_source.tabular:
                self.error(sources[table].label, None, "",
                           _("子表只能配合 CSV 或 XLSX 格式的事项表（service_items）使用"))
                continue
            for record in tables.pop(table, []):
                code = _cell_text(record.data.pop("item_code", None))
                if not code:
                    self.error(record.where.file, record.where.row, record.where.field("item_code"), _("缺少必填字段"))
                elif code not in items:
                    self.error(record.where.file, record.where.row, record.where.field("item_code"),
                               _("事项“%(code)s”不在事项表中") % {"code": code})
                else:
                    items[code].children.setdefault(table, []).append(record)


# --------------------------------------------------------------------------------------------- checking


class _Checker:
    """Checks the records and turns them into the canonical dicts the services take."""

    def __init__(self, issues: list[ImportIssue], unreadable: set[str]):
        self.issues = issues
        # Tables whose file could not be read: references to them are not checked, or every row would
        # repeat the file's one error.
        self.unreadable = unreadable
        self.codes = {name: selectors.code_lookup(name)
                      for name in (ITEM_KIND, TARGET, LEVEL, CASE_KIND, SCOPE, MATERIAL_FORM, MATERIAL_SOURCE)}
        self.titles = dict(CodeList.objects.values_list("name", "title"))
        self.departments: set[str] = set(Department.objects.values_list("code", flat=True))
        self.license_fields: dict[str, list[str]] = dict(LicenseType.objects.values_list("code", "fields"))
        self.item_codes: set[str] = set(ServiceItem.objects.values_list("code", flat=True))
        self.key_meanings: dict[str, tuple[tuple, str]] = {}

    def unknown_department(self, code: str) -> bool:
        return "departments" not in self.unreadable and code not in self.departments

    def unknown_license_type(self, code: str) -> bool:
        return "license_types" not in self.unreadable and code not in self.license_fields

    def unknown_item(self, code: str) -> bool:
        return "service_items" not in self.unreadable and code not in self.item_codes

    # ---- reporting and basic values

    def error(self, where: _Where, key: str, message: str) -> None:
        self.issues.append(ImportIssue(where.file, where.row, where.field(key) if key else "", message))

    def missing(self, r: _Record, key: str) -> None:
        self.error(r.where, key, _("缺少必填字段"))

    def unknown_keys(self, r: _Record, table: str) -> None:
        if not r.tabular:
            for key in r.data:
                if key not in JSON_KEYS[table]:
                    self.error(r.where, key, _("未知字段"))

    def text(self, r: _Record, key: str, *, required: bool = True, max_length: int | None = None) -> str | None:
        value = r.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.missing(r, key)
            return None
        if isinstance(value, str):
            text = value
        elif r.tabular and isinstance(value, int | float) and not isinstance(value, bool):
            text = _cell_text(value)
        else:
            self.error(r.where, key, _("应为文本"))
            return None
        if max_length and len(text) > max_length:
            self.error(r.where, key, _("长度不能超过 %(n)d 个字符（当前 %(len)d）") % {"n": max_length, "len": len(text)})
            return None
        return text

    def integer(self, r: _Record, key: str, *, required: bool = True, default: int | None = None,
                min_value: int = 0, max_value: int = SMALLINT_MAX) -> int | None:
        value = r.data.get(key)
        if value is None:
            if required:
                self.missing(r, key)
            return default
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif r.tabular and isinstance(value, float) and value.is_integer():
            number = int(value)
        elif r.tabular and isinstance(value, str) and re.fullmatch(r"\d+(\.0*)?", value):
            number = int(float(value))
        if number is None or not min_value <= number <= max_value:
            self.error(r.where, key, _("应为 %(min)d 至 %(max)d 之间的整数（当前值：%(value)s）")
                       % {"min": min_value, "max": max_value, "value": value})
            return None
        return number

    def boolean(self, r: _Record, key: str, *, default: bool) -> bool | None:
        value = r.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if r.tabular:
            text = _cell_text(value).lower()
            if text in {"是", "true", "1", "y", "yes", "√"}:
                return True
            if text in {"否", "false", "0", "n", "no", "×"}:
                return False
        self.error(r.where, key, _("应为“是”或“否”（当前值：%(value)s）") % {"value": value})
        return None

    def amount(self, r: _Record, key: str) -> int | float | None:
        value = r.data.get(key)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return _number(value)
        if r.tabular and isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = -1
            if number >= 0:
                return _number(number)
        self.error(r.where, key, _("应为不小于 0 的金额（当前值：%(value)s）") % {"value": value})
        return None

    def str_list(self, r: _Record, key: str, *, required: bool = False,
                 separators: re.Pattern = LIST_SEPARATORS) -> list[str] | None:
        value = r.data.get(key)
        if r.tabular and isinstance(value, str | int | float) and not isinstance(value, bool):
            value = [part.strip() for part in separators.split(_cell_text(value)) if part.strip()]
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(r.where, key, _("应为文本列表"))
            return None
        if required and not value:
            self.missing(r, key)
            return None
        return value

    def _choices(self, list_name: str) -> str:
        codes = {c.pk: c for c in self.codes[list_name].values()}.values()
        return "、".join(c.label for c in sorted(codes, key=lambda c: (c.position, c.value)))

    def _resolve(self, r: _Record, key: str, list_name: str, value: str) -> str | None:
        code = self.codes[list_name].get(value)
        if code is None:
            self.error(r.where, key, _("“%(value)s”不是有效的%(list)s，可选：%(choices)s")
                       % {"value": value, "list": self.titles.get(list_name, list_name),
                          "choices": self._choices(list_name)})
            return None
        return code.label

    def code(self, r: _Record, key: str, list_name: str, *, required: bool = True) -> str | None:
        value = self.text(r, key, required=required)
        return None if value is None else self._resolve(r, key, list_name, value)

    def code_list(self, r: _Record, key: str, list_name: str) -> list[str] | None:
        values = self.str_list(r, key, required=True)
        if values is None:
            return None
        labels = [self._resolve(r, key, list_name, v) for v in values]
        if None in labels:
            return None
        if len(set(labels)) != len(labels):
            self.error(r.where, key, _("有重复的取值"))
            return None
        return labels

    def duplicate(self, r: _Record, seen: dict[str, _Where], code: str | None) -> None:
        if code is None:
            return
        if code in seen:
            first = seen[code]
            place = (_("第 %(row)d 行") if r.tabular else _("第 %(row)d 条记录")) % {"row": first.row}
            self.error(r.where, "code", _("编码“%(code)s”重复，%(place)s已使用") % {"code": code, "place": place})
        else:
            seen[code] = r.where

    def children(self, r: _Record, key: str) -> list[_Record]:
        """The elements of a nested list: child-table rows, JSON text in a cell, or a JSON list."""
        value = r.data.get(key)
        if key in r.children:
            if value not in (None, []):
                self.error(r.where, key, _("已在子表 %(table)s 中填写，此处应留空") % {"table": key})
            return r.children[key]
        if value is None:
            return []
        if r.tabular and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                self.error(r.where, key, _("JSON 格式错误（第 %(line)d 行第 %(col)d 列）：%(msg)s")
                           % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg})
                return []
        if not isinstance(value, list):
            self.error(r.where, key, _("应为列表"))
            return []
        out = []
        for n, element in enumerate(value, start=1):
            path = f"{r.where.field(key)}[{n}]"
            if isinstance(element, dict):
                # JSON inside a cell has JSON types, so it is checked like a JSON file.
                out.append(_Record(replace(r.where, prefix=path + ".", headers=None), element))
            else:
                self.error(replace(r.where, prefix="", headers=None), path, _("应为 JSON 对象"))
        return out

    # ---- tables

    def departments_table(self, records: list[_Record]) -> list[dict]:
        self.departments |= {_cell_text(r.data.get("code")) for r in records}
        out, seen = [], {}
        for r in records:
            before = len(self.issues)
            self.unknown_keys(r, "departments")
            code = self.text(r, "code", max_length=20)
            self.duplicate(r, seen, code)
            name = self.text(r, "name", max_length=100)
            kind = self.text(r, "kind")
            if kind is not None and kind not in DepartmentKind.values:
                self.error(r.where, "kind", _("部门类别应为 %(choices)s 之一") % {"choices": "、".join(DepartmentKind.values)})
            credit_code = _cell_text(r.data.get("credit_code"))
            if credit_code:
                try:
                    credit_code = validate_uscc(credit_code)
                except ValidationError as exc:
                    self.error(r.where, "credit_code", exc.messages[0])
            if len(self.issues) == before:
                out.append({"code": code, "name": name, "kind": kind, "credit_code": credit_code or ""})
        return out

    def license_types_table(self, records: list[_Record]) -> list[dict]:
        out, seen = [], {}
        for r in records:
            before = len(self.issues)
            self.unknown_keys(r, "license_types")
            code = self.text(r, "code", max_length=60)
            if code is not None and not SLUG_RE.match(code):
                self.error(r.where, "code", _("编码只能包含字母、数字、下划线和连字符"))
            self.duplicate(r, seen, code)
            name = self.text(r, "name", max_length=100)
            issuer = self.text(r, "issuer")
            if issuer is not None and self.unknown_department(issuer):
                self.error(r.where, "issuer", _("部门“%(code)s”不存在") % {"code": issuer})
            holder = self.code(r, "holder", TARGET)
            fields = self.str_list(r, "fields", required=True, separators=FIELD_NAME_SEPARATORS)
            if fields is not None:
                if len(set(fields)) != len(fields):
                    self.error(r.where, "fields", _("照面字段有重复"))
                if code is not None:
                    self.license_fields[code] = fields
            if len(self.issues) == before:
                out.append({"code": code, "name": name, "issuer": issuer, "holder": holder, "fields": fields})
        return out

    def known_form_fields(self, exclude_items: set[str]) -> None:
        """Form-field keys are global: seed their meaning from the published items not being imported."""
        rows = (FormField.objects.filter(version__status=VersionStatus.PUBLISHED)
                .exclude(version__item__code__in=exclude_items)
                .values_list("key", "label", "type", "prefill_source", "version__item__code"))
        for key, label, type_, prefill, item_code in rows:
            self.key_meanings.setdefault(key, ((label, type_, prefill or None), _("已发布的事项 %(code)s")
                                               % {"code": item_code}))

    def items_table(self, records: list[_Record]) -> list[dict]:
        self.item_codes |= {_cell_text(r.data.get("code")) for r in records}
        self.known_form_fields({_cell_text(r.data.get("code")) for r in records})
        out, seen = [], {}
        for r in records:
            item = self.item(r, seen)
            if item is not None:
                out.append(item)
        return out

    def item(self, r: _Record, seen: dict[str, _Where]) -> dict | None:
        before = len(self.issues)
        self.unknown_keys(r, "service_items")
        code = self.text(r, "code", max_length=40)
        self.duplicate(r, seen, code)
        name = self.text(r, "name", max_length=200)
        kind = self.code(r, "type", ITEM_KIND)
        department = self.text(r, "department")
        if department is not None and self.unknown_department(department):
            self.error(r.where, "department", _("部门“%(code)s”不存在") % {"code": department})
        level = self.code(r, "level", LEVEL)
        targets = self.code_list(r, "targets", TARGET)
        legal_basis = self.str_list(r, "legal_basis")
        conditions = self.str_list(r, "conditions")
        statutory = self.integer(r, "statutory_days")
        promised = self.integer(r, "promised_days")
        case_kind = self.code(r, "case_kind", CASE_KIND, required=False)
        fee = self.fee(r)
        max_visits = self.integer(r, "max_visits")
        visit_reason = self.text(r, "visit_reason", required=False)
        online_depth = self.integer(r, "online_depth", min_value=1, max_value=4)
        scope = self.code(r, "scope", SCOPE)
        parallel = self.str_list(r, "parallel_departments")
        tolerant_acceptance = self.boolean(r, "tolerant_acceptance", default=False)
        tolerant_materials = self.str_list(r, "tolerant_materials")
        extras = {key: self.text(r, key, required=False, max_length=length)
                  for key, length in (("consult_phone", 30), ("supervise_phone", 30), ("location", 200))}
        keywords = self.str_list(r, "keywords")

        materials = [self.material(m) for m in self.children(r, "materials")]
        form_fields = self.form_fields(self.children(r, "form_fields"), code)
        process = [self.step(s) for s in self.children(r, "process")]
        outputs = [self.output(o) for o in self.children(r, "outputs")]

        # The consistency rules of the catalogue audit (STANDARDS.md).
        if statutory is not None and promised is not None and promised > statutory:
            self.error(r.where, "promised_days", _("承诺办结时限(%(promised)d)不能大于法定办结时限(%(statutory)d)")
                       % {"promised": promised, "statutory": statutory})
        if promised is not None:
            expected = IMMEDIATE if promised == 0 else COMMITTED
            if case_kind is None:
                case_kind = expected
            elif case_kind != expected:
                self.error(r.where, "case_kind", _("承诺办结时限为 %(days)d 个工作日，办件类型应为“%(expected)s”，而不是“%(kind)s”")
                           % {"days": promised, "expected": expected, "kind": case_kind})
        if max_visits and not visit_reason:
            self.error(r.where, "visit_reason", _("到现场次数为 %(n)d 时必须填写到现场原因") % {"n": max_visits})
        if online_depth == 4 and max_visits:
            self.error(r.where, "online_depth", _("全程网办（网上办理深度4）的事项到现场次数必须为0（当前为 %(n)d）")
                       % {"n": max_visits})
        for dept in parallel or []:
            if self.unknown_department(dept):
                self.error(r.where, "parallel_departments", _("并联部门“%(code)s”不存在") % {"code": dept})
            elif dept == department:
                self.error(r.where, "parallel_departments", _("实施主体“%(code)s”不能同时作为并联部门") % {"code": dept})
        if tolerant_materials is not None:
            names = {m["name"] for m in materials if m}
            for name_ in tolerant_materials:
                if name_ not in names:
                    self.error(r.where, "tolerant_materials", _("容缺材料“%(name)s”不在该事项的申请材料中") % {"name": name_})
            if tolerant_acceptance is not None and tolerant_acceptance != bool(tolerant_materials):
                self.error(r.where, "tolerant_acceptance", _("容缺受理的事项必须列出容缺材料，列出容缺材料的事项必须容缺受理"))
        material_names = [m["name"] for m in materials if m]
        for name_ in {n for n in material_names if material_names.count(n) > 1}:
            self.error(r.where, "materials", _("申请材料“%(name)s”重复") % {"name": name_})
        if extras["consult_phone"] and extras["consult_phone"] == extras["supervise_phone"]:
            self.error(r.where, "supervise_phone", _("监督电话不能与咨询电话相同"))

        if len(self.issues) > before:
            return None
        item = {
            "code": code, "name": name, "type": kind, "department": department, "level": level,
            "targets": targets, "legal_basis": legal_basis, "conditions": conditions,
            "materials": materials, "form_fields": form_fields,
            "statutory_days": statutory, "promised_days": promised, "case_kind": case_kind, "fee": fee,
            "max_visits": max_visits, "online_depth": online_depth, "scope": scope, "process": process,
            "parallel_departments": parallel, "outputs": outputs,
            "tolerant_acceptance": tolerant_acceptance, "tolerant_materials": tolerant_materials,
        }
        # Optional fields only when set, so an item without them keeps the digest of its JSON record.
        optional = {"visit_reason": visit_reason, **extras, "keywords": keywords}
        item.update({key: value for key, value in optional.items() if value})
        return item

    def fee(self, r: _Record) -> dict | None:
        if r.tabular:
            fee_record = r
            keys = {"charged": "fee_charged", "standard": "fee_standard", "amount_yuan": "fee_amount_yuan"}
        else:
            value = r.data.get("fee")
            if value is None:
                value = {}
            if not isinstance(value, dict):
                self.error(r.where, "fee", _("应为 JSON 对象"))
                return None
            fee_record = _Record(replace(r.where, prefix=r.where.prefix + "fee."), value)
            self.unknown_keys(fee_record, "fee")
            keys = {"charged": "charged", "standard": "standard", "amount_yuan": "amount_yuan"}
        charged = self.boolean(fee_record, keys["charged"], default=False)
        standard = self.text(fee_record, keys["standard"], required=False)
        amount = self.amount(fee_record, keys["amount_yuan"])
        if charged and not standard:
            self.error(fee_record.where, keys["standard"], _("收费事项必须填写收费标准"))
        if charged is False and amount:
            self.error(fee_record.where, keys["amount_yuan"], _("不收费的事项不应填写收费金额"))
        return {"charged": charged, "standard": standard or "", "amount_yuan": amount}

    def license_type(self, r: _Record, key: str) -> str | None:
        value = self.text(r, key, required=False)
        if value is not None and self.unknown_license_type(value):
            self.error(r.where, key, _("证照类型“%(code)s”不存在") % {"code": value})
        return value

    def material(self, r: _Record) -> dict | None:
        before = len(self.issues)
        self.unknown_keys(r, "materials")
        material = {
            "name": self.text(r, "name", max_length=200),
            "required": self.boolean(r, "required", default=True),
            "form": self.code(r, "form", MATERIAL_FORM, required=False) or "",
            "copies": self.integer(r, "copies", required=False, default=1),
            "source": self.code(r, "source", MATERIAL_SOURCE),
            "license_type": self.license_type(r, "license_type"),
        }
        note = self.text(r, "note", required=False)
        if note:
            material["note"] = note
        return material if len(self.issues) == before else None

    def form_fields(self, records: list[_Record], item_code: str | None) -> list[dict | None]:
        out, keys = [], set()
        for r in records:
            before = len(self.issues)
            self.unknown_keys(r, "form_fields")
            name = self.text(r, "name", max_length=100)
            key = self.text(r, "key", max_length=60)
            if key is not None and not FORM_KEY_RE.match(key):
                self.error(r.where, "key", _("字段标识只能包含小写字母、数字和下划线，并以字母开头"))
                key = None
            if key is not None and key in keys:
                self.error(r.where, "key", _("字段标识“%(key)s”在该事项中重复") % {"key": key})
            keys.add(key)
            type_ = self.text(r, "type")
            if type_ is not None and type_ not in FIELD_TYPES:
                self.error(r.where, "type", _("字段类型应为 %(choices)s 之一") % {"choices": ", ".join(FIELD_TYPES)})
            required = self.boolean(r, "required", default=False)
            prefill = self.text(r, "prefill", required=False, max_length=120)
            if prefill is not None:
                self.check_prefill(r, prefill)
            if len(self.issues) == before:
                self.check_key_meaning(r, key, (name, type_, prefill), item_code)
            out.append({"name": name, "key": key, "type": type_, "required": required, "prefill": prefill}
                       if len(self.issues) == before else None)
        return out

    def check_prefill(self, r: _Record, prefill: str) -> None:
        if prefill.startswith("license:"):
            license_code, dot, field_name = prefill.removeprefix("license:").partition(".")
            if not dot or not field_name:
                self.error(r.where, "prefill", _("预填来源应为 license:<证照类型>.<字段名>"))
            elif self.unknown_license_type(license_code):
                self.error(r.where, "prefill", _("证照类型“%(code)s”不存在") % {"code": license_code})
            elif license_code in self.license_fields and field_name not in self.license_fields[license_code]:
                self.error(r.where, "prefill", _("证照类型“%(code)s”没有字段“%(field)s”，可用字段：%(fields)s")
                           % {"code": license_code, "field": field_name,
                              "fields": "、".join(self.license_fields[license_code])})
        elif not PREFILL_RE.match(prefill):
            self.error(r.where, "prefill", _("预填来源“%(value)s”无效，应为 person.<属性>、entity.<属性> 或 "
                                              "license:<证照类型>.<字段名>") % {"value": prefill})

    def check_key_meaning(self, r: _Record, key: str, meaning: tuple, item_code: str | None) -> None:
        known = self.key_meanings.get(key)
        if known is None:
            origin = _("事项 %(code)s（%(file)s:%(row)s）") % {"code": item_code, "file": r.where.file, "row": r.where.row}
            self.key_meanings[key] = (meaning, origin)
            return
        for attr, label, ours, theirs in zip(("name", "type", "prefill"), (_("名称"), _("类型"), _("预填来源")),
                                             meaning, known[0], strict=True):
            if ours != theirs:
                self.error(r.where, attr, _("字段标识“%(key)s”的%(attr)s在%(origin)s中为“%(theirs)s”，此处为“%(ours)s”；"
                                            "同一字段标识在所有事项中必须一致")
                           % {"key": key, "attr": label, "origin": known[1], "theirs": theirs, "ours": ours})

    def step(self, r: _Record) -> dict | None:
        before = len(self.issues)
        self.unknown_keys(r, "process")
        step = {
            "step": self.text(r, "step", max_length=100),
            "role": self.text(r, "role", required=False, max_length=100) or "",
            "days": self.integer(r, "days", required=False, default=0),
        }
        return step if len(self.issues) == before else None

    def output(self, r: _Record) -> dict | None:
        before = len(self.issues)
        self.unknown_keys(r, "outputs")
        output = {"name": self.text(r, "name", max_length=200), "license_type": self.license_type(r, "license_type")}
        return output if len(self.issues) == before else None

    def life_events_table(self, records: list[_Record]) -> list[dict]:
        out, seen = [], {}
        for r in records:
            before = len(self.issues)
            self.unknown_keys(r, "life_events")
            code = self.text(r, "code", max_length=60)
            if code is not None and not SLUG_RE.match(code):
                self.error(r.where, "code", _("编码只能包含字母、数字、下划线和连字符"))
            self.duplicate(r, seen, code)
            name = self.text(r, "name", max_length=100)
            targets = self.code_list(r, "targets", TARGET)
            description = self.text(r, "description", required=False) or ""
            items = self.str_list(r, "items", required=True)
            for item_code in items or []:
                if self.unknown_item(item_code):
                    self.error(r.where, "items", _("事项“%(code)s”不存在") % {"code": item_code})
            if items and len(set(items)) != len(items):
                self.error(r.where, "items", _("事项重复"))
            trigger = self.text(r, "trigger", required=False, max_length=60)
            if trigger is not None and not TRIGGER_RE.match(trigger):
                self.error(r.where, "trigger", _("触发事件应为 person.<事件> 或 entity.<事件>"))
            if len(self.issues) == before:
                out.append({"code": code, "name": name, "targets": targets, "description": description,
                            "items": items, "trigger": trigger})
        return out


# --------------------------------------------------------------------------------------------- entry points


def _plan(path: str | Path) -> _Plan:
    plan = _Plan()
    tables, sources = _Reader(plan.errors).read(Path(path))
    checker = _Checker(plan.errors, unreadable={table for table in sources if table not in tables})
    # Order matters: later tables refer to codes of the earlier ones.
    plan.departments = checker.departments_table(tables.get("departments", []))
    plan.license_types = checker.license_types_table(tables.get("license_types", []))
    plan.items = checker.items_table(tables.get("service_items", []))
    plan.life_events = checker.life_events_table(tables.get("life_events", []))
    return plan


def check_directory(path: str | Path) -> list[ImportIssue]:
    """Every problem of the directory, without writing anything."""
    return _plan(path).errors


def import_directory(path: str | Path, *, progress: bool = False, user=None) -> ImportReport:
    """Import a catalogue directory; raises CatalogImportError (nothing written) if any record is wrong."""
    plan = _plan(path)
    if plan.errors:
        raise CatalogImportError(plan.errors)
    report = ImportReport()
    with transaction.atomic():
        existing = {d.code: (d.name, d.kind, d.credit_code) for d in Department.objects.all()}
        for data in plan.departments:
            _dept, created = services.department_upsert(**data)
            report.departments_created += created
            report.departments_updated += not created and existing[data["code"]] != (
                data["name"], data["kind"], data["credit_code"])

        existing = {lt.code: (lt.name, lt.issuer.code, lt.holder, lt.fields)
                    for lt in LicenseType.objects.select_related("issuer")}
        for data in plan.license_types:
            _lt, created = services.license_type_upsert(**data)
            report.license_types_created += created
            report.license_types_updated += not created and existing[data["code"]] != (
                data["name"], data["issuer"], data["holder"], data["fields"])

        existing_items = set(ServiceItem.objects.values_list("code", flat=True))
        bar = tqdm(plan.items, desc=_("导入事项"), unit=_("项"), file=sys.stderr, disable=not progress)
        lookups = services.CatalogLookups.load()  # after departments and licence types are upserted
        for data in bar:
            _version, changed = services.item_import(data=data, user=user, lookups=lookups)
            if not changed:
                report.unchanged += 1
            elif data["code"] in existing_items:
                report.new_versions += 1
            else:
                report.items_created += 1

        existing_events = set(LifeEvent.objects.values_list("code", flat=True))
        for data in plan.life_events:
            _event, changed = services.life_event_upsert(**data)
            if data["code"] not in existing_events:
                report.life_events_created += 1
            elif changed:
                report.life_events_updated += 1
    return report


# --------------------------------------------------------------------------------------------- flat layout


def _flat(value: Any, separator: str = "|") -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return separator.join(value)
    return value


def to_tables(data: Mapping[str, list[dict]], *, nested: str = "tables",
              headers: str = "keys") -> dict[str, list[list[Any]]]:
    """The JSON tables in the flat CSV/XLSX layout: table → rows, the first row being the header.

    `nested="tables"` puts materials, form fields, process and outputs in child tables; `nested="cells"`
    writes them as JSON text in the item's row. `headers="labels"` uses the Chinese column headers.
    Used for templates and tests; the inverse of what the importer reads.
    """
    out: dict[str, list[list[Any]]] = {}

    def emit(table: str, rows: Iterator[dict]) -> None:
        columns = [c for c in COLUMNS[table]
                   if not (table == "service_items" and nested == "tables" and c.key in CHILD_TABLES)]
        header = [c.label if headers == "labels" else c.key for c in columns]
        out[table] = [header] + [[row.get(c.key) for c in columns] for row in rows]

    def flat_row(record: dict, separator: str = "|") -> dict:
        return {key: _flat(value, separator) for key, value in record.items()}

    if "departments" in data:
        emit("departments", (flat_row(r) for r in data["departments"]))
    if "license_types" in data:
        emit("license_types", (flat_row(r) for r in data["license_types"]))
    if "service_items" in data:
        items = data["service_items"]

        def item_row(item: dict) -> dict:
            row = flat_row({k: v for k, v in item.items() if k not in CHILD_TABLES and k != "fee"})
            fee = item.get("fee") or {}
            row |= {"fee_charged": _flat(bool(fee.get("charged"))), "fee_standard": fee.get("standard"),
                    "fee_amount_yuan": fee.get("amount_yuan")}
            if nested == "cells":
                row |= {key: json.dumps(item.get(key) or [], ensure_ascii=False) for key in CHILD_TABLES}
            return row

        emit("service_items", (item_row(i) for i in items))
        if nested == "tables":
            for table in CHILD_TABLES:
                emit(table, ({"item_code": i["code"], **flat_row(e)} for i in items for e in i.get(table) or []))
    if "life_events" in data:
        emit("life_events", (flat_row(r) for r in data["life_events"]))
    return out
