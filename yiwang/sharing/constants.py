from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.registry.constants import DATA_SOURCES

# Working days a source department has to decide a conditional sharing request (settings override).
SHARING_REVIEW_DAYS = 5
# Longest validity of an approved request, in days from the request (settings override).
SHARING_MAX_VALID_DAYS = 366


class SharingClass(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NOT_SHARED = "not_shared", _("不予共享")


class SubjectKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTITY = "entity", _("法人")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("已拒绝")
    EXPIRED = "expired", _("已过期")
    WITHDRAWN = "withdrawn", _("已撤回")


class AccessChannel(models.TextChoices):
    PREFILL = "prefill", _("表单预填")
    STAFF_LOOKUP = "staff_lookup", _("工作人员查询")
    REGISTRY_LOOKUP = "registry_lookup", _("基础库核验")
    CASE_HANDLING = "case_handling", _("办件审查")


U, C, N = SharingClass.UNCONDITIONAL, SharingClass.CONDITIONAL, SharingClass.NOT_SHARED

# The data catalogue (数据资源目录): code → (name, sharing class, sensitive, description). Every key of
# registry DATA_SOURCES has an entry; the source department comes from DATA_SOURCES (一数一源).
# Identification data is open to every department with a purpose; family, address and life events
# need an approved request (minimum necessary, 个人信息保护法); the phone number is used only by its
# source and by the person themself. Entity registration data is public (企业信用信息公示).
ELEMENTS = {
    "person.id_number": ("公民身份号码", U, False, "18位公民身份号码（GB 11643）。"),
    "person.name": ("姓名", U, False, "户籍登记的姓名。"),
    "person.sex": ("性别", U, False, "M 男，F 女。"),
    "person.birth_date": ("出生日期", U, False, "出生医学证明记载的出生日期。"),
    "person.ethnicity": ("民族", C, True, "户籍登记的民族。"),
    "person.address": ("户籍地址", C, True, "户籍登记的住址。"),
    "person.household": ("户籍信息", C, True, "户号、住址、与户主关系和同户成员（身份号码脱敏）。"),
    "person.phone": ("手机号码", N, True, "户籍登记时留存的手机号码，只供来源部门和本人使用。"),
    "person.entry_status": ("户籍状态", C, False, "正常或已注销。"),
    "person.marital_status": ("婚姻状况", C, True, "未婚、已婚、离婚、丧偶。"),
    "person.spouse": ("配偶", C, True, "配偶姓名和脱敏的身份号码。"),
    "person.birth_place": ("出生地", C, False, "出生医学证明记载的出生地。"),
    "person.parents": ("父母", C, True, "父亲、母亲的姓名和脱敏的身份号码。"),
    "person.died_on": ("死亡日期", C, True, "死亡医学证明记载的死亡日期。"),
    "entity.uscc": ("统一社会信用代码", U, False, "18位统一社会信用代码（GB 32100）。"),
    "entity.name": ("法人名称", U, False, "登记的名称。"),
    "entity.kind": ("法人类型", U, False, "有限责任公司、个体工商户等。"),
    "entity.legal_representative": ("法定代表人", U, False, "法定代表人姓名。"),
    "entity.address": ("住所", U, False, "登记的住所。"),
    "entity.status": ("登记状态", U, False, "存续、注销、吊销。"),
}



def catalog_defaults() -> list[dict]:
    """The catalogue rows to seed, one per key of DATA_SOURCES. A datum the registry adds before it is
    described here defaults to conditional and sensitive: never more open than decided."""
    rows = []
    for code, source in DATA_SOURCES.items():
        name, cls, sensitive, description = ELEMENTS.get(code, (code, C, True, ""))
        rows.append({"code": code, "name": name, "source_department": source,
                     "subject_kind": code.split(".", 1)[0], "sharing_class": str(cls),
                     "sensitive": sensitive, "description": description})
    return rows
