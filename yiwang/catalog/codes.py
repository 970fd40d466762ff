"""The seed content of the code lists (GB/T 39046 and the platform's own), used by the data migration.

Each list is (name, title, [(value, label, label_en), ...]). Editors may add codes later; imports
resolve a code by its value or its label.
"""

CODE_LISTS = [
    ("item_kind", "事项类型", [
        ("01", "行政许可", "Administrative licensing"),
        ("02", "行政处罚", "Administrative penalty"),
        ("03", "行政强制", "Administrative enforcement"),
        ("04", "行政征收", "Administrative levy"),
        ("05", "行政给付", "Administrative benefit"),
        ("06", "行政检查", "Administrative inspection"),
        ("07", "行政确认", "Administrative confirmation"),
        ("08", "行政奖励", "Administrative reward"),
        ("09", "行政裁决", "Administrative adjudication"),
        ("10", "其他行政权力", "Other administrative power"),
        ("20", "公共服务", "Public service"),
    ]),
    ("target", "服务对象", [
        ("1", "自然人", "Natural person"),
        ("2", "法人", "Legal person"),
        ("3", "事业法人", "Public institution"),
        ("4", "社会组织", "Social organisation"),
        ("5", "行政机关", "Government body"),
        ("6", "其他组织", "Other organisation"),
    ]),
    ("level", "行使层级", [
        ("1", "国家级", "National"),
        ("2", "省级", "Provincial"),
        ("3", "市级", "Municipal"),
        ("4", "区县级", "County"),
        ("5", "乡镇街道", "Township"),
        ("6", "村社区", "Village / community"),
    ]),
    ("handling_form", "办理形式", [
        ("1", "窗口办理", "At a window"),
        ("2", "网上办理", "Online (PC)"),
        ("3", "移动端办理", "Mobile"),
        ("4", "快递申请", "By post"),
    ]),
    ("case_kind", "办件类型", [
        ("1", "即办件", "Immediate"),
        ("2", "承诺件", "Committed"),
    ]),
    ("scope", "通办范围", [
        ("1", "全国通办", "Nationwide"),
        ("2", "跨省通办", "Across provinces"),
        ("3", "全省通办", "Province-wide"),
        ("4", "全市通办", "City-wide"),
    ]),
    ("material_source", "来源渠道", [
        ("1", "申请人自备", "Provided by the applicant"),
        ("2", "政府部门核发", "Issued by a government department"),
        ("3", "中介机构出具", "Issued by an intermediary"),
    ]),
    ("material_form", "材料形式", [
        ("1", "原件", "Original"),
        ("2", "复印件", "Copy"),
        ("3", "电子文件", "Electronic file"),
        ("4", "原件及复印件", "Original and copy"),
    ]),
]
