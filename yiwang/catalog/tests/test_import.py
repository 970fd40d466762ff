"""The catalogue importer: formats, validation (all or nothing), re-import and the management command.

The session fixture `demo_catalog` may already have loaded the demo catalogue into the database, so
these tests assert on deltas and on codes they control (items prefixed "TST-").
"""

import copy
import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.importing import (
    TABLE_LABELS,
    CatalogImportError,
    _plan,
    check_directory,
    import_directory,
    to_tables,
)
from yiwang.catalog.models import (
    Department,
    LicenseType,
    LifeEvent,
    ServiceItem,
    ServiceItemVersion,
)

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(settings.CATALOG_DEMO_DIR)
FIXTURES = Path(__file__).parent / "import_fixtures"
TABLES = ("departments", "license_types", "service_items", "life_events")
SMALL_ITEMS = ("GAJ-QR-0001", "GAJ-QR-0006", "BDC-QR-0002", "GAJ-XK-0020")


# --------------------------------------------------------------------------------------------- helpers


def demo_tables() -> dict[str, list[dict]]:
    return {name: json.loads((DEMO_DIR / f"{name}.json").read_text(encoding="utf-8")) for name in TABLES}


def small_tables() -> dict[str, list[dict]]:
    """All demo departments and licence types, four demo items renamed TST-…, a new department and bundle."""
    demo = demo_tables()
    by_code = {item["code"]: item for item in demo["service_items"]}
    items = []
    for code in SMALL_ITEMS:
        item = copy.deepcopy(by_code[code])
        item["code"] = f"TST-{code}"
        items.append(item)
    return {
        "departments": demo["departments"] + [{"code": "TSTD", "name": "测试局", "kind": "条线部门"}],
        "license_types": demo["license_types"],
        "service_items": items,
        "life_events": [{"code": "tst_bundle", "name": "测试一件事", "targets": ["自然人"], "description": "测试",
                         "items": ["TST-GAJ-QR-0001", "TST-GAJ-QR-0006"], "trigger": None}],
    }


def write_json(directory: Path, tables: dict[str, list[dict]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, records in tables.items():
        (directory / f"{name}.json").write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return directory


def write_csv(directory: Path, tables: dict[str, list[dict]], *, nested="tables", headers="keys",
              encoding="utf-8") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in to_tables(tables, nested=nested, headers=headers).items():
        with open(directory / f"{name}.csv", "w", encoding=encoding, newline="") as fh:
            csv.writer(fh).writerows([["" if v is None else v for v in row] for row in rows])
    return directory


def write_xlsx(directory: Path, tables: dict[str, list[dict]], *, nested="tables", headers="labels") -> Path:
    """One workbook, one sheet per table, sheets and columns named in Chinese like a clerk's 实施清单."""
    directory.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.create_sheet("填表说明").append(["本工作簿由测试生成；此工作表不导入。"])
    for name, rows in to_tables(tables, nested=nested, headers=headers).items():
        sheet = workbook.create_sheet(TABLE_LABELS[name] if headers == "labels" else name)
        for row in rows:
            sheet.append(row)
    workbook.save(directory / "catalog.xlsx")
    return directory


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Department, LicenseType, ServiceItem, ServiceItemVersion, LifeEvent)}


def import_errors(directory: Path) -> list:
    """Import `directory` expecting failure; check that nothing at all was written."""
    before = counts()
    with pytest.raises(CatalogImportError) as info:
        import_directory(directory)
    assert counts() == before
    assert not ServiceItem.objects.filter(code__startswith="TST-").exists()
    assert not Department.objects.filter(code="TSTD").exists()
    return info.value.errors


def find(errors, *, file, row, field, message=""):
    hits = [e for e in errors if e.file == file and e.row == row and e.field == field and message in e.message]
    assert hits, f"no error {file}:{row}: {field}: …{message}… among:\n" + "\n".join(map(str, errors))
    return hits[0]


def materials_of(code: str) -> list[dict]:
    version = ServiceItem.objects.get(code=code).current_version
    return [{"name": m.name, "required": m.required, "form": m.form, "copies": m.copies, "source": m.source,
             "license_type": m.license_type.code if m.license_type else None, "note": m.note}
            for m in version.materials.order_by("position").select_related("license_type")]


def as_stored(materials: list[dict]) -> list[dict]:
    return [{**m, "note": m.get("note", "")} for m in materials]


# --------------------------------------------------------------------------------------------- the demo data


def test_demo_directory_imports_everything_published():
    report = import_directory(DEMO_DIR)
    demo = demo_tables()
    assert report.items_created + report.new_versions + report.unchanged == len(demo["service_items"]) >= 180
    codes = [i["code"] for i in demo["service_items"]]
    published = ServiceItemVersion.objects.filter(item__code__in=codes, status=VersionStatus.PUBLISHED)
    assert published.count() == len(codes)
    assert ServiceItem.objects.filter(code__in=codes, current_version__status=VersionStatus.PUBLISHED).count() == len(codes)
    assert Department.objects.filter(code__in=[d["code"] for d in demo["departments"]]).count() >= 20
    assert LifeEvent.objects.filter(code__in=[e["code"] for e in demo["life_events"]], published=True).count() >= 15
    version = ServiceItem.objects.get(code="GAJ-QR-0006").current_version
    assert version.max_visits == 1 and "指纹" in version.visit_reason


def test_demo_items_need_a_visit_reason_in_the_shared_copy(tmp_path):
    """The shared data lacks visit_reason; data/catalog adds it. The importer must tell them apart."""
    for name in ("departments.json", "license_types.json", "life_events.json"):
        (tmp_path / name).write_text((DEMO_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    items = json.loads((DEMO_DIR / "service_items.json").read_text(encoding="utf-8"))
    for item in items:
        item.pop("visit_reason", None)
    (tmp_path / "service_items.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    errors = check_directory(tmp_path)
    assert sum(e.field == "visit_reason" for e in errors) == 70
    assert check_directory(DEMO_DIR) == []


def test_canonical_form_of_the_demo_json_is_the_json_itself():
    # So an item's digest does not depend on the format it came in.
    plan = _plan(DEMO_DIR)
    assert plan.errors == []
    assert plan.items == demo_tables()["service_items"]


# --------------------------------------------------------------------------------------------- re-import


def test_reimport_of_identical_data_changes_nothing(tmp_path):
    directory = write_json(tmp_path / "cat", small_tables())
    first = import_directory(directory)
    assert first.items_created == 4
    assert first.departments_created >= 1 and first.life_events_created == 1
    before = counts()
    second = import_directory(directory)
    assert (second.items_created, second.new_versions, second.unchanged) == (0, 0, 4)
    assert (second.departments_created, second.departments_updated) == (0, 0)
    assert (second.life_events_created, second.life_events_updated) == (0, 0)
    assert counts() == before


def test_changed_item_becomes_version_2_and_retires_version_1(tmp_path):
    tables = small_tables()
    import_directory(write_json(tmp_path / "v1", tables))
    tables["service_items"][1]["name"] = "居民身份证首次申领（改）"
    tables["service_items"][1]["promised_days"] = 10
    tables["service_items"][1]["process"][0]["days"] = 0
    report = import_directory(write_json(tmp_path / "v2", tables))
    assert (report.items_created, report.new_versions, report.unchanged) == (0, 1, 3)
    assert ServiceItem.objects.filter(code="TST-GAJ-QR-0006").count() == 1
    item = ServiceItem.objects.get(code="TST-GAJ-QR-0006")
    versions = {v.version: v for v in item.versions.all()}
    assert set(versions) == {1, 2}
    assert versions[1].status == VersionStatus.RETIRED and versions[1].cancelled_on is not None
    assert versions[2].status == VersionStatus.PUBLISHED and item.current_version == versions[2]
    assert (versions[2].name, versions[2].promised_days) == ("居民身份证首次申领（改）", 10)
    assert versions[1].name == "居民身份证首次申领"


def test_departments_licence_types_and_life_events_are_upserted(tmp_path):
    tables = small_tables()
    import_directory(write_json(tmp_path / "a", tables))
    tables["departments"][-1]["name"] = "测试管理局"
    tables["license_types"][0]["fields"] = tables["license_types"][0]["fields"] + ["照片"]
    tables["life_events"][0]["items"] = ["TST-GAJ-QR-0006", "TST-GAJ-QR-0001", "TST-BDC-QR-0002"]
    report = import_directory(write_json(tmp_path / "b", tables))
    assert (report.departments_created, report.departments_updated) == (0, 1)
    assert (report.license_types_created, report.license_types_updated) == (0, 1)
    assert (report.life_events_created, report.life_events_updated) == (0, 1)
    assert report.unchanged == 4
    assert Department.objects.get(code="TSTD").name == "测试管理局"
    assert "照片" in LicenseType.objects.get(code=tables["license_types"][0]["code"]).fields
    event = LifeEvent.objects.get(code="tst_bundle")
    assert list(event.entries.values_list("item__code", flat=True)) == tables["life_events"][0]["items"]


def test_progress_bar_goes_to_stderr(tmp_path, capsys):
    import_directory(write_json(tmp_path / "cat", small_tables()), progress=True)
    assert "4/4" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------- bad input


def _item(tables, index):
    return tables["service_items"][index]


def _set(key, value, index=1):
    def mutate(tables):
        _item(tables, index)[key] = value
    return mutate


def _delete(key, index=0):
    def mutate(tables):
        del _item(tables, index)[key]
    return mutate


def _nested(key, position, field, value, index=0):
    def mutate(tables):
        _item(tables, index)[key][position][field] = value
    return mutate


def _duplicate_item(tables):
    tables["service_items"].append(copy.deepcopy(_item(tables, 0)))


def _duplicate_department(tables):
    tables["departments"].append({"code": "TSTD", "name": "又一个测试局", "kind": "条线部门"})


def _missing_life_event_item(tables):
    tables["life_events"][0]["items"].append("TST-NOPE-0001")


def _promised_over_statutory(tables):
    item = _item(tables, 1)  # 居民身份证首次申领: statutory 60
    item["statutory_days"], item["promised_days"] = 20, 30


def _visits_without_reason(tables):
    del _item(tables, 1)["visit_reason"]


def _depth_4_with_visit(tables):
    _item(tables, 1)["online_depth"] = 4


def _charged_without_standard(tables):
    _item(tables, 1)["fee"]["standard"] = ""


def _key_meaning_changes(tables):
    # applicant_name is "申请人姓名" in the other items.
    _item(tables, 2)["form_fields"][0]["name"] = "姓名"


def _prefill_unknown_field(tables):
    _item(tables, 0)["form_fields"][2]["prefill"] = "license:birth_medical_certificate.血型"


def _unknown_issuer(tables):
    tables["license_types"][0]["issuer"] = "NOPE"


def _unknown_parallel(tables):
    _item(tables, 2)["parallel_departments"] = ["NOPE"]


def _bad_case_kind(tables):
    _item(tables, 0)["case_kind"] = "承诺件"  # promised_days is 0


BAD_INPUT = {
    "missing required field": (_delete("name"), "service_items.json", 1, "name", "缺少必填字段"),
    "wrong type": (_set("statutory_days", "六十"), "service_items.json", 2, "statutory_days", "整数"),
    "wrong list type": (_set("targets", "自然人"), "service_items.json", 2, "targets", "列表"),
    "unknown key": (_set("visit_reson", "需到场"), "service_items.json", 2, "visit_reson", "未知字段"),
    "unknown department": (_set("department", "NOPE"), "service_items.json", 2, "department", "NOPE"),
    "unknown licence in material": (_nested("materials", 0, "license_type", "no_such_licence"),
                                    "service_items.json", 1, "materials[1].license_type", "no_such_licence"),
    "unknown licence in output": (_nested("outputs", 0, "license_type", "no_such_licence"),
                                  "service_items.json", 1, "outputs[1].license_type", "不存在"),
    "prefill names a field the licence lacks": (_prefill_unknown_field, "service_items.json", 1,
                                                "form_fields[3].prefill", "血型"),
    "licence issuer unknown": (_unknown_issuer, "license_types.json", 1, "issuer", "NOPE"),
    "duplicate item code": (_duplicate_item, "service_items.json", 5, "code", "第 1 条记录"),
    "duplicate department code": (_duplicate_department, "departments.json", 29, "code", "TSTD"),
    "promised over statutory": (_promised_over_statutory, "service_items.json", 2, "promised_days",
                                "承诺办结时限(30)不能大于法定办结时限(20)"),
    "visits without reason": (_visits_without_reason, "service_items.json", 2, "visit_reason", "到现场原因"),
    "depth 4 with a visit": (_depth_4_with_visit, "service_items.json", 2, "online_depth", "到现场次数必须为0"),
    "charged without standard": (_charged_without_standard, "service_items.json", 2, "fee.standard", "收费标准"),
    "life event names a missing item": (_missing_life_event_item, "life_events.json", 1, "items", "TST-NOPE-0001"),
    "unknown item type": (_set("type", "行政审批"), "service_items.json", 2, "type", "事项类型"),
    "unknown level": (_set("level", "省部级"), "service_items.json", 2, "level", "行使层级"),
    "unknown target": (_set("targets", ["外星人"]), "service_items.json", 2, "targets", "服务对象"),
    "unknown scope": (_set("scope", "全球通办"), "service_items.json", 2, "scope", "通办范围"),
    "unknown case kind": (_set("case_kind", "特办件"), "service_items.json", 2, "case_kind", "办件类型"),
    "case kind contradicts promised days": (_bad_case_kind, "service_items.json", 1, "case_kind", "即办件"),
    "form-field key changes meaning": (_key_meaning_changes, "service_items.json", 3, "form_fields[1].name",
                                       "applicant_name"),
    "unknown parallel department": (_unknown_parallel, "service_items.json", 3, "parallel_departments", "NOPE"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_rejected_and_nothing_is_imported(tmp_path, case):
    mutate, file, row, field, message = BAD_INPUT[case]
    tables = small_tables()
    mutate(tables)
    errors = import_errors(write_json(tmp_path / "cat", tables))
    find(errors, file=file, row=row, field=field, message=message)


def test_every_error_is_reported_at_once(tmp_path):
    tables = small_tables()
    _promised_over_statutory(tables)
    _unknown_parallel(tables)
    _missing_life_event_item(tables)
    errors = import_errors(write_json(tmp_path / "cat", tables))
    assert {(e.file, e.row, e.field) for e in errors} == {
        ("service_items.json", 2, "promised_days"),
        ("service_items.json", 3, "parallel_departments"),
        ("life_events.json", 1, "items"),
    }
    assert str(find(errors, file="life_events.json", row=1, field="items")).startswith("life_events.json:1: items: ")


def test_malformed_json_reports_line_and_column(tmp_path):
    directory = write_json(tmp_path / "cat", small_tables())
    path = directory / "service_items.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[9] = lines[9].rstrip(",")  # drop a comma inside the first item
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = import_errors(directory)
    error = find(errors, file="service_items.json", row=None, field="", message="JSON 格式错误")
    assert "第 11 行" in error.message
    assert len(errors) == 1


def test_references_resolve_against_the_database(tmp_path):
    """A directory may hold only some tables: the rest comes from what is already imported."""
    tables = small_tables()
    import_directory(write_json(tmp_path / "full", tables))
    tables["service_items"][0]["name"] = "出生登记（改）"
    report = import_directory(write_json(tmp_path / "items_only", {"service_items": tables["service_items"]}))
    assert (report.new_versions, report.unchanged) == (1, 3)


def test_missing_directory_and_empty_directory(tmp_path):
    assert "目录不存在" in check_directory(tmp_path / "nope")[0].message
    assert "没有可导入的表" in check_directory(tmp_path)[0].message


# --------------------------------------------------------------------------------------------- CSV and XLSX


def test_csv_round_trip_of_the_demo_data(tmp_path):
    demo = demo_tables()
    report = import_directory(write_csv(tmp_path / "csv", demo))
    assert report.new_versions == 0
    assert report.items_created + report.unchanged == len(demo["service_items"])
    assert ServiceItem.objects.filter(code__in=[i["code"] for i in demo["service_items"]]).count() == 205
    item = next(i for i in demo["service_items"] if i["code"] == "GAJ-QR-0001")
    assert materials_of("GAJ-QR-0001") == as_stored(item["materials"])
    # Same content as the JSON: the JSON import afterwards finds every item unchanged.
    again = import_directory(DEMO_DIR)
    assert (again.items_created, again.new_versions, again.unchanged) == (0, 0, 205)


def test_xlsx_round_trip_of_the_demo_data(tmp_path):
    demo = demo_tables()
    report = import_directory(write_xlsx(tmp_path / "xlsx", demo))
    assert report.new_versions == 0
    assert report.items_created + report.unchanged == 205
    item = next(i for i in demo["service_items"] if i["code"] == "GAJ-QR-0006")
    assert materials_of("GAJ-QR-0006") == as_stored(item["materials"])
    version = ServiceItem.objects.get(code="GAJ-QR-0006").current_version
    assert version.fee_charged and version.fee_amount == 20
    assert [f.key for f in version.form_fields.all()] == [f["key"] for f in item["form_fields"]]
    again = import_directory(DEMO_DIR)
    assert (again.items_created, again.new_versions, again.unchanged) == (0, 0, 205)


def test_nested_lists_as_json_in_a_cell(tmp_path):
    tables = small_tables()
    import_directory(write_csv(tmp_path / "cells", tables, nested="cells", headers="labels"))
    assert materials_of("TST-GAJ-XK-0020") == as_stored(tables["service_items"][3]["materials"])
    again = import_directory(write_json(tmp_path / "json", tables))
    assert again.unchanged == 4


def test_one_table_workbook_named_after_its_table(tmp_path):
    tables = small_tables()
    directory = write_json(tmp_path / "cat", {k: v for k, v in tables.items() if k != "departments"})
    workbook = Workbook()
    for row in to_tables({"departments": tables["departments"]})["departments"]:
        workbook.active.append(row)
    workbook.save(directory / "departments.xlsx")
    report = import_directory(directory)
    assert report.items_created == 4
    assert Department.objects.filter(code="TSTD").exists()


def test_csv_with_bom_imports(tmp_path):
    directory = write_csv(tmp_path / "bom", small_tables(), encoding="utf-8-sig")
    assert (directory / "departments.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    report = import_directory(directory)
    assert report.items_created == 4
    assert Department.objects.get(code="TSTD").name == "测试局"


def test_gbk_csv_gives_an_encoding_error(tmp_path):
    directory = write_csv(tmp_path / "gbk", small_tables())
    text = (directory / "departments.csv").read_text(encoding="utf-8")
    (directory / "departments.csv").write_bytes(text.encode("gbk"))
    errors = import_errors(directory)
    error = find(errors, file="departments.csv", row=2, field="", message="UTF-8")
    assert "GBK" in error.message
    assert len(errors) == 1  # references to the unreadable table are not reported row by row


def test_csv_errors_name_the_spreadsheet_row_and_column(tmp_path):
    tables = small_tables()
    directory = write_csv(tmp_path / "csv", tables, headers="labels")
    path = directory / "service_items.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    column = rows[0].index("法定办结时限")
    rows[3][column] = "十五"  # the third item, on spreadsheet row 4
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with (directory / "materials.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["TST-NOPE", "多出来的材料", "是", "原件", 1, "申请人自备", "", ""])
    errors = import_errors(directory)
    find(errors, file="service_items.csv", row=4, field="法定办结时限", message="整数")
    materials_rows = sum(len(i["materials"]) for i in tables["service_items"])
    find(errors, file="materials.csv", row=materials_rows + 2, field="事项编码", message="TST-NOPE")


def test_xlsx_child_row_errors_name_the_sheet(tmp_path):
    tables = small_tables()
    tables["service_items"][0]["materials"][1]["license_type"] = "no_such_licence"
    errors = import_errors(write_xlsx(tmp_path / "x", tables))
    find(errors, file="catalog.xlsx[申请材料]", row=3, field="电子证照类型", message="no_such_licence")


def test_unknown_and_missing_columns(tmp_path):
    directory = write_csv(tmp_path / "csv", small_tables())
    (directory / "departments.csv").write_text("code,名称,kind\nTSTD,测试局,条线部门\n", encoding="utf-8")
    errors = import_errors(directory)
    find(errors, file="departments.csv", row=1, field="名称", message="未知的列")
    find(errors, file="departments.csv", row=1, field="name", message="缺少必需的列")


def test_a_table_in_two_formats_is_an_error(tmp_path):
    tables = small_tables()
    directory = write_json(tmp_path / "cat", tables)
    write_csv(directory, {"departments": tables["departments"]})
    errors = import_errors(directory)
    find(errors, file="departments.json", row=None, field="", message="departments.csv")


def test_clerk_spreadsheet_fixture(db):
    """A hand-written CSV set with Chinese headers, as a clerk would keep it (import_fixtures/clerk_csv)."""
    report = import_directory(FIXTURES / "clerk_csv")
    assert (report.items_created, report.life_events_created) == (2, 1)
    version = ServiceItem.objects.get(code="TST-CSJ-XK-0001").current_version
    assert version.targets.count() == 2 and version.tolerant_acceptance
    assert [m.name for m in version.materials.all()] == ["营业执照", "户外广告设置方案", "场地使用证明"]
    assert version.form_fields.get(key="tst_sign_size").prefill_source == ""
    assert version.form_fields.get(key="tst_company_name").prefill_source == "license:tst_business_licence.名称"
    assert LicenseType.objects.get(code="tst_business_licence").fields == ["统一社会信用代码", "名称", "法定代表人"]


# --------------------------------------------------------------------------------------------- the command


def test_command_prints_every_error_and_fails(tmp_path):
    tables = small_tables()
    _visits_without_reason(tables)
    _unknown_parallel(tables)
    directory = write_json(tmp_path / "cat", tables)
    out, err = StringIO(), StringIO()
    before = counts()
    with pytest.raises(CommandError, match="2 个错误"):
        call_command("import_catalog", str(directory), "--no-progress", stdout=out, stderr=err)
    assert "service_items.json:2: visit_reason: " in err.getvalue()
    assert "service_items.json:3: parallel_departments: " in err.getvalue()
    assert counts() == before


def test_command_imports_and_prints_a_summary(tmp_path):
    directory = write_json(tmp_path / "cat", small_tables())
    out = StringIO()
    call_command("import_catalog", str(directory), "--dry-run", stdout=out)
    assert "检查通过" in out.getvalue()
    assert not ServiceItem.objects.filter(code__startswith="TST-").exists()
    call_command("import_catalog", str(directory), "--no-progress", stdout=out)
    assert "新增 4" in out.getvalue()
    assert ServiceItem.objects.filter(code__startswith="TST-").count() == 4
