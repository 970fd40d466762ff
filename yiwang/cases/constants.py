"""Code lists and limits of applications (申报) and cases (办件)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Upload limit in MB (settings CASES_MAX_UPLOAD_MB overrides).
MAX_UPLOAD_MB = 10
# Where uploaded materials live in storage; never under a publicly served URL.
PRIVATE_PREFIX = "private/cases"
SERIAL_DIGITS = 5


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")


class Channel(models.TextChoices):
    """How an application reaches the government: online by the applicant, by a proxy (代办) under a
    grant, or at the comprehensive window (综合窗口) by a clerk for the applicant present."""

    ONLINE = "online", _("网上申报")
    WINDOW = "window", _("综合窗口")
    PROXY = "proxy", _("代办")


# 办件类型 of an item version (catalog code list case_kind, by label): decided on the spot.
IMMEDIATE_CASE_KIND = "即办件"
# Window variants of an item's process are keyed `<item code>@<window department>` (integration.py).
WINDOW_PROCESS_SEPARATOR = "@"


class MaterialStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    HELD_BY_GOVERNMENT = "held_by_government", _("政府部门已持有")
    # Issued by another item of the same life event (the birth certificate for 出生登记): attached
    # when that case issues it; the dependent case cannot conclude before.
    FROM_BUNDLE = "from_bundle", _("本次申请办理后自动关联")
    # The catalogue's paper form that the online joint form replaces (note "可线上填写").
    FILLED_ONLINE = "filled_online", _("已在线填写")
    MISSING = "missing", _("未提供")


# Material statuses that need no upload at submit.
PROVIDED_WITHOUT_UPLOAD = frozenset({MaterialStatus.FROM_BUNDLE, MaterialStatus.FILLED_ONLINE})
ONLINE_FORM_NOTE = "线上填写"

# Life events done for someone else than the applicant (服务对象), by the event's registry trigger.
NEWBORN_TRIGGER = "person.born"
# Form fields about the applicant themself (the guardian), whoever the application is for.
APPLICANT_FIELD_KEYS = frozenset({"applicant_name", "applicant_id_number", "phone", "contact_name",
                                  "contact_phone"})
# Where the beneficiary has no value of their own (a newborn's address), the guardian's is theirs.
GUARDIAN_FALLBACK_SOURCES = frozenset({"person.address", "person.residence_address"})


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("待检测")
    CLEAN = "clean", _("安全")
    INFECTED = "infected", _("含病毒")


class CaseStatus(models.TextChoices):
    """Kept in step with the workflow instance by the case handler (handling.py)."""

    SUBMITTED = "submitted", _("已提交，待受理")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("待补正")
    UNDER_REVIEW = "under_review", _("补正后审查中")
    ACCEPTED = "accepted", _("已受理，审查中")
    SUSPENDED = "suspended", _("特别程序（暂停计时）")
    CONCLUDED = "concluded", _("已办结")
    TERMINATED = "terminated", _("已终止")


class CaseResult(models.TextChoices):
    APPROVED = "approved", _("准予")
    DENIED = "denied", _("不予许可")
    REFUSED = "refused", _("不予受理")


class Delivery(models.TextChoices):
    """How the result reaches the applicant (送达方式)."""

    ONLINE = "online", _("网上送达（电子证照、电子文书）")
    POST = "post", _("邮寄送达")
    PICKUP = "pickup", _("窗口领取")


class DocumentKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理通知书")
    REFUSAL = "refusal", _("不予受理通知书")
    SUPPLEMENT = "supplement", _("一次性告知书")
    SUSPENSION = "suspension", _("特别程序告知书")
    RESUMPTION = "resumption", _("恢复办理告知书")
    APPROVAL = "approval", _("准予许可决定书")
    DENIAL = "denial", _("不予许可决定书")


class SupplyKind(models.TextChoices):
    SUPPLEMENT = "supplement", _("补正材料")
    TOLERANT = "tolerant", _("容缺后补材料")


# 行政复议法 art. 20 (60 days) and 行政诉讼法 art. 46 (6 months): stated on every denial.
APPEAL_DAYS = 60
LAWSUIT_MONTHS = 6

# Licence face fields (照面项) filled from who holds the licence and who issues it, when the licence
# type has them; the rest come from the application's fields whose key or label is the same name.
HOLDER_NAME_FIELDS = ("姓名", "名称", "经营者名称", "单位名称", "持证人", "持证人姓名", "权利人")
HOLDER_CODE_FIELDS = ("公民身份号码", "身份证号码", "统一社会信用代码")
ISSUER_FIELDS = ("发证机关", "发证机构", "登记机关", "颁发机关")
ISSUE_DATE_FIELDS = ("签发日期", "发证日期", "登记日期")


# Allowed upload types, recognised by their first bytes (never by the name or the client's type).
MAGIC_TYPES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)

# Materials that are the proxy's own documents (受托人居民身份证 …): with a proxy, the proxy's licence
# stands in for them; without one they do not apply, so no licence of the applicant is offered.
PROXY_MATERIAL_PREFIXES = ("受托人", "代办人", "代理人", "委托代理人", "经办人")

# Where a prefilled value came from, shown beside it (来自人口库 …); keyed by the source prefix.
SOURCE_LABELS = {
    "person": _("来自人口库"),
    "entity": _("来自法人库"),
    "license": _("来自电子证照"),
    "birth": _("来自出生医学记录"),
    "bundle": _("待本次申请签发证照后自动填写"),
}
