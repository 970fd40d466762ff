from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.crypto import EncryptedTextField
from yiwang.core.masking import mask_id_number

from .constants import AccountKind, EntityRole, ProxyRelation


class User(AbstractUser):
    """One account for the whole platform; the identity issue adds real-name data and roles."""

    kind = models.CharField(_("账号类型"), max_length=12, choices=AccountKind.choices, default=AccountKind.CITIZEN)
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="staff", verbose_name=_("所属部门"))
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    # Real-name data: encrypted, looked up through the blind index (yiwang.core.crypto).
    id_number = EncryptedTextField(_("公民身份号码"), blank=True, default="")
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    phone = EncryptedTextField(_("手机号码"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    real_name_verified_at = models.DateTimeField(_("实名认证时间"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_department_staff(self) -> bool:
        return self.kind == AccountKind.STAFF and self.department_id is not None


class EntityMembership(models.Model):
    """An enterprise account acting for a registered entity (法人库), as its legal representative or
    an agent the representative authorised."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="entity_memberships")
    entity_uscc = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    entity_name = models.CharField(_("法人名称"), max_length=200)
    role = models.CharField(_("身份"), max_length=10, choices=EntityRole.choices)
    authorised_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    valid_until = models.DateField(_("授权截止日期"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("法人账号绑定")
        verbose_name_plural = _("法人账号绑定")
        constraints = [models.UniqueConstraint(fields=["user", "entity_uscc"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} → {self.entity_name}"


class ProxyAuthorisation(models.Model):
    """代办 / 帮办: `principal` lets `proxy` act for them, for some items or all, until a date.
    Every action taken under it records both (audit on_behalf_of, case applicant and submitter)."""

    principal = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proxies_granted",
                                  verbose_name=_("委托人"))
    proxy = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proxies_received",
                              verbose_name=_("代办人"))
    relation = models.CharField(_("关系"), max_length=20, choices=ProxyRelation.choices)
    item_codes = models.JSONField(_("授权事项"), default=list, blank=True,
                                  help_text=_("为空表示全部事项"))
    valid_until = models.DateField(_("授权截止日期"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("代办授权")
        verbose_name_plural = _("代办授权")

    def __str__(self):
        return f"{self.principal} → {self.proxy}"

    def covers(self, item_code: str | None) -> bool:
        return not self.item_codes or item_code is None or item_code in self.item_codes
