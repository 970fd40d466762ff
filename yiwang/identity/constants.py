from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    CITIZEN = "citizen", _("自然人")
    ENTERPRISE = "enterprise", _("法人")
    STAFF = "staff", _("工作人员")


class StaffRole(models.TextChoices):
    """Staff roles; each is a Django group of the same name, held together with User.department."""

    WINDOW_CLERK = "window_clerk", _("窗口受理人员")
    HANDLER = "handler", _("承办人员")
    APPROVER = "approver", _("审批人员")
    DEPARTMENT_ADMIN = "department_admin", _("部门管理员")
    CATALOG_EDITOR = "catalog_editor", _("事项编辑")
    SUPERVISOR = "supervisor", _("电子监察人员")
    DATA_OFFICER = "data_officer", _("数据专员")


class EntityRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_rep", _("法定代表人")
    AGENT = "agent", _("授权经办人")


class ProxyRelation(models.TextChoices):
    FAMILY = "family", _("家庭成员")
    COMMUNITY_WORKER = "community", _("社区工作人员")
    OTHER = "other", _("其他受托人")
