from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import AccountKind


class User(AbstractUser):
    """One account for the whole platform; the identity issue adds real-name data and roles."""

    kind = models.CharField(_("账号类型"), max_length=12, choices=AccountKind.choices, default=AccountKind.CITIZEN)
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="staff", verbose_name=_("所属部门"))
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def is_department_staff(self) -> bool:
        return self.kind == AccountKind.STAFF and self.department_id is not None
