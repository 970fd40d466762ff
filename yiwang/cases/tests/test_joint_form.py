import pytest
from django.core.exceptions import ValidationError

from yiwang.cases import joint_form, rules

pytestmark = pytest.mark.django_db


def test_life_event_fields_merge_by_key(demo_catalog):
    title, versions = joint_form.bundle(life_event_code="newborn_birth")
    assert title == "新生儿出生一件事"
    codes = [v.item.code for v in versions]
    assert codes == ["WJW-GG-0001", "WJW-GG-0002", "GAJ-QR-0001", "YBJ-GG-0001", "RSJ-GG-0001"]
    fields, file_materials = joint_form.merge_fields(versions)
    keys = [f["key"] for f in fields]
    assert len(keys) == len(set(keys))  # each datum asked once
    by_key = {f["key"]: f for f in fields}
    assert by_key["applicant_name"]["items"] == codes
    assert by_key["newborn_name"]["items"] == ["WJW-GG-0001", "WJW-GG-0002", "GAJ-QR-0001"]
    assert by_key["residence_address"]["items"] == ["WJW-GG-0002", "YBJ-GG-0001", "RSJ-GG-0001"]
    # Required if any item requires it: 邮寄地址 is optional in its only item.
    assert by_key["mailing_address"]["required_by"] == []
    assert by_key["phone"]["required_by"] == [c for c in codes if c != "GAJ-QR-0001"]  # 出生登记 has none
    # 10 fields of the first item, then only what each further item adds (the photo is a material).
    assert len(fields) == 10 + 1 + 3 + 3 + 4
    # The photo (a file field) becomes an optional material.
    assert file_materials == [{"name": "证件照片（数码照片回执）", "required": False, "item_codes": ["RSJ-GG-0001"],
                               "license_type": ""}]
    materials = joint_form.merge_materials(versions, file_materials)
    by_name = {m["name"]: m for m in materials}
    assert by_name["出生医学证明"]["item_codes"] == ["WJW-GG-0002", "GAJ-QR-0001", "YBJ-GG-0001"]
    assert by_name["出生医学证明"]["required"] is True  # optional for 医保, required for the others
    assert by_name["父母双方居民身份证"]["license_type"] == "resident_id_card"
    assert len(materials) == len(by_name)


def test_first_label_wins(demo_catalog):
    _title, versions = joint_form.bundle(life_event_code="newborn_birth")
    versions[1].form_fields.filter(key="applicant_name").update(label="另一个标签")
    fields, _files = joint_form.merge_fields(versions)
    assert {f["key"]: f for f in fields}["applicant_name"]["label"] == "申请人姓名"


def test_single_item_bundle(demo_catalog):
    title, versions = joint_form.bundle(item_code="RSJ-GG-0011")
    assert title == "社会保险个人权益记录（参保证明）查询打印"
    fields, _files = joint_form.merge_fields(versions)
    assert [f["key"] for f in fields] == ["applicant_name", "applicant_id_number", "print_range", "apply_reason",
                                          "phone"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"item_code": "NO-SUCH-0001"}, "item"),
    ({"life_event_code": "no_such_event"}, "life_event"),
    ({}, "item"),
    ({"item_code": "RSJ-GG-0011", "life_event_code": "newborn_birth"}, "item"),
])
def test_unknown_or_ambiguous_bundle(demo_catalog, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        joint_form.bundle(**kwargs)
    assert field in exc.value.message_dict


def test_spouse_rule():
    married, single = {"person.marital_status": "married"}, {"person.marital_status": "unmarried"}
    assert rules.effective_required("spouse_name", ["GAJ-QR-0004"], married) == (True, "")
    assert rules.effective_required("spouse_name", ["GAJ-QR-0004"], single) == (False, "spouse_if_married")
    # Unknown marital status: the catalogue's requirement stands.
    assert rules.effective_required("spouse_name", ["GAJ-QR-0004"], {}) == (True, "")
    # Marriage registration: the spouse is the partner-to-be, required for the unmarried.
    assert rules.effective_required("spouse_name", ["GAJ-QR-0004", "MZJ-QR-0001"], single) == (True, "")
    assert rules.effective_required("phone", ["GAJ-QR-0004"], single) == (True, "")
    assert rules.effective_required("spouse_name", [], married) == (False, "")
    assert rules.facts_needed(["phone", "spouse_name"]) == {"person.marital_status"}
    assert rules.facts_needed(["phone"]) == set()


@pytest.mark.parametrize(("type_", "value", "expected"), [
    ("id_number", "330102198805120356", "330102198805120356"),
    ("id_number", "３３０１０２１９８８０５１２０３５６", "330102198805120356"),  # full-width digits
    ("phone", "138-0000-0001", "13800000001"),
    ("date", "2026-03-01", "2026-03-01"),
    ("number", "12.50", "12.50"),
    ("number", 3, "3"),
    ("text", "  杭州  ", "杭州"),
    ("text", "", ""),
    ("text", None, ""),
])
def test_clean_value_accepts(type_, value, expected):
    assert joint_form.clean_value({"type": type_, "validation": {}}, value) == expected


@pytest.mark.parametrize(("field", "value", "message"), [
    ({"type": "id_number"}, "330102198805120357", "公民身份号码校验位错误，请核对后重新输入。"),
    ({"type": "id_number"}, "12345", "公民身份号码应为18位，前17位为数字，最后一位为数字或X。"),
    ({"type": "phone"}, "12345", "请输入有效的11位手机号码。"),
    ({"type": "date"}, "2026-02-30", "请输入有效的日期，格式为 YYYY-MM-DD。"),
    ({"type": "date"}, "2026/03/01", "请输入有效的日期，格式为 YYYY-MM-DD。"),
    ({"type": "number"}, "十二", "请输入数字。"),
    ({"type": "number"}, "NaN", "请输入数字。"),
    ({"type": "select", "validation": {"options": ["邮寄", "自取"]}}, "快递", "请从以下选项中选择：邮寄、自取。"),
    ({"type": "text", "validation": {"max_length": 3}}, "四个字符", "最多 3 个字符。"),
    ({"type": "text", "validation": {"pattern": r"\d+"}}, "abc", "格式不正确。"),
    ({"type": "text"}, ["a"], "格式不正确。"),
    ({"type": "text"}, True, "格式不正确。"),
])
def test_clean_value_rejects(field, value, message):
    with pytest.raises(ValidationError) as exc:
        joint_form.clean_value({"validation": {}, **field}, value)
    assert exc.value.messages == [message]


def test_apply_patch_rejects_readonly_and_unknown():
    form = [{"key": "name", "type": "text", "readonly": True, "source": "person.name", "validation": {}},
            {"key": "bank", "type": "text", "readonly": False, "source": "", "validation": {}}]
    values = {"name": "张伟"}
    new, errors = joint_form.apply_patch(form, values, {"name": "张伟", "bank": "工商银行"})
    assert errors == {} and new == {"name": "张伟", "bank": "工商银行"}  # resending the verified value is fine
    _new, errors = joint_form.apply_patch(form, values, {"name": "李四", "nope": "x"})
    assert errors == {"name": ["该项来自人口库，已经核验，不能修改。"], "nope": ["表单中没有该项。"]}
    new, errors = joint_form.apply_patch(form, {"name": "张伟", "bank": "工商银行"}, {"bank": ""})
    assert errors == {} and new == {"name": "张伟"}  # clearing a draft value
    _new, errors = joint_form.apply_patch(form, values, ["not", "a", "dict"])
    assert list(errors) == ["data"]
