"""Names of the code lists (GB/T 39046). The codes themselves are data: see CodeList / Code."""

from django.db import models
from django.utils.translation import gettext_lazy as _

ITEM_KIND = "item_kind"  # 事项类型
TARGET = "target"  # 服务对象
LEVEL = "level"  # 行使层级
HANDLING_FORM = "handling_form"  # 办理形式
CASE_KIND = "case_kind"  # 办件类型
SCOPE = "scope"  # 通办范围
MATERIAL_SOURCE = "material_source"  # 来源渠道
MATERIAL_FORM = "material_form"  # 材料形式

FIELD_TYPES = ("text", "id_number", "date", "phone", "address", "select", "number", "file", "email", "textarea")

# The material source meaning "the government already holds it" (政府部门核发).
GOVERNMENT_ISSUED_SOURCE = "政府部门核发"


class VersionStatus(models.TextChoices):
    # A lifecycle, not a code list: the rules below depend on these states.
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("待审核")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class DepartmentKind(models.TextChoices):
    LINE = "条线部门", _("条线部门")
    COMPREHENSIVE = "综合部门", _("综合部门")
