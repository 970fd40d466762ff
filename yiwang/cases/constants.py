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


class MaterialStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    HELD_BY_GOVERNMENT = "held_by_government", _("政府部门已持有")
    MISSING = "missing", _("未提供")


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("待检测")
    CLEAN = "clean", _("安全")
    INFECTED = "infected", _("含病毒")


class CaseStatus(models.TextChoices):
    # The workflow adds the states after submission (accepted, concluded ...).
    SUBMITTED = "submitted", _("已提交")


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
}
